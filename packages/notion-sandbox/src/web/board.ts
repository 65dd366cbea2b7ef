/**
 * A board view: one column per group of its `group_by` property (every select
 * option in option order, then "No <property>" when some rows have none), cards
 * in the view's sort order showing the title and a few properties.
 */
import type { PageRecord, PropertySchema, Store, ViewRecord } from '../store.js';
import { samePropertyId } from '../ids.js';
import { chip, propertyValue } from './format.js';
import { emptyGroup, groupingOf, groupsOf, optionGroups, sortGroups, type Group, type Grouping } from './groups.js';
import { html, type Html } from './html.js';
import type { Selection } from './rows.js';
import { more, ROW_LIMIT, titleLink } from './table.js';

const CARD_PROPERTIES = 4;
/** Types that read well on a small card; long text and ids do not. */
const CARD_TYPES = ['select', 'multi_select', 'number', 'date', 'checkbox', 'formula'];

function cardProperties(view: ViewRecord, schema: readonly PropertySchema[], grouping: Grouping): PropertySchema[] {
  const chosen = Array.isArray(view.configuration?.properties) ? (view.configuration.properties as { property_id?: unknown; visible?: unknown }[]) : [];
  const visible = chosen.filter((c) => c.visible !== false).map((c) => String(c.property_id));
  if (visible.length > 0) return schema.filter((p) => p.type !== 'title' && visible.some((id) => samePropertyId(id, p.id)));
  return schema.filter((p) => p.id !== grouping.property.id && CARD_TYPES.includes(p.type)).slice(0, CARD_PROPERTIES);
}

function card(store: Store, schema: readonly PropertySchema[], shown: readonly PropertySchema[], page: PageRecord): Html {
  const fields = shown.flatMap((p) => {
    const value = propertyValue(store, schema, page, p);
    return value.text === '' ? [] : [html`<div class="card-field" title="${p.name}"><span class="card-label">${p.name}</span>${value}</div>`];
  });
  return html`<article class="card" data-page-id="${page.id}"><div class="card-title">${titleLink(store, page)}</div>${fields}</article>`;
}

interface Column {
  group: Group;
  pages: PageRecord[];
}

/** Cards past the limit are counted, not drawn. */
function column(store: Store, schema: readonly PropertySchema[], shown: readonly PropertySchema[], { group, pages }: Column): Html {
  const heading = group.color ? chip(group.label, group.color) : html`<span class="group-label">${group.label}</span>`;
  const cards = pages.slice(0, ROW_LIMIT).map((page) => card(store, schema, shown, page));
  return html`<div class="board-column" data-group="${group.key}" data-count="${pages.length}">
<div class="board-head">${heading}<span class="count">${pages.length}</span></div>
${cards}${more(pages.length, ROW_LIMIT)}</div>`;
}

export function renderBoard(store: Store, view: ViewRecord, selection: Selection): Html {
  const grouping = groupingOf(selection.schema, view.configuration?.group_by);
  if (!grouping) return html`<p class="problem">This board’s group-by property no longer exists.</p>`;
  const shown = cardProperties(view, selection.schema, grouping);
  const byKey = new Map<string, Column>();
  for (const group of optionGroups(grouping)) byKey.set(group.key, { group, pages: [] });
  for (const page of selection.rows) {
    const groups = groupsOf(store, selection.schema, grouping, page);
    for (const group of groups.length > 0 ? groups : [emptyGroup(grouping)]) {
      const entry = byKey.get(group.key) ?? { group, pages: [] };
      entry.pages.push(page);
      byKey.set(group.key, entry);
    }
  }
  const ordered = sortGroups([...byKey.values()].map((e) => e.group), grouping);
  return html`<div class="board">${ordered.map((g) => column(store, selection.schema, shown, byKey.get(g.key)!))}</div>`;
}
