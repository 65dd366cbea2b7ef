/**
 * A table view: the rows its filter selects, in its sort order, one column per
 * property (title first). Long tables stop at ROW_LIMIT rows; `data-rows` keeps
 * the full count so a test can check the filter without paging.
 */
import { pageTitle } from '../serialize.js';
import type { PageRecord, PropertySchema, Store, ViewRecord } from '../store.js';
import { propertyValue } from './format.js';
import { html, type Html } from './html.js';
import { visibleProperties, type Selection } from './rows.js';

export const ROW_LIMIT = 50;

const TYPE_GLYPHS: Record<string, string> = {
  title: 'Aa', rich_text: '≡', number: '#', select: '▾', multi_select: '☰', date: '▦', checkbox: '☑', url: '↗', email: '@',
  phone_number: '☏', formula: 'Σ', created_time: '▦', last_edited_time: '▦', created_by: '☺', last_edited_by: '☺',
};

/** Notion's property descriptions end with tokensync's marker; people need only the sentence. */
function description(property: PropertySchema): string {
  return (property.description ?? '').replace(/\s*\[tokensync:[a-z0-9_]+\]\s*$/, '');
}

function headerCell(property: PropertySchema): Html {
  return html`<th class="t-${property.type}" title="${description(property)}"><span class="glyph">${TYPE_GLYPHS[property.type] ?? '·'}</span>${property.name}</th>`;
}

/** The title cell links to the row's own page; its text is plain so no link sits inside the link. */
export function titleLink(store: Store, page: PageRecord): Html {
  return html`<a class="row-link" href="/pages/${page.id}">${pageTitle(store, page) || 'Untitled'}</a>`;
}

function row(store: Store, schema: readonly PropertySchema[], columns: readonly PropertySchema[], page: PageRecord): Html {
  const cells = columns.map((p) =>
    p.type === 'title'
      ? html`<td class="t-title">${titleLink(store, page)}</td>`
      : html`<td class="t-${p.type}">${propertyValue(store, schema, page, p)}</td>`,
  );
  return html`<tr data-page-id="${page.id}">${cells}</tr>`;
}

/** "and 12 more" under a list cut at `limit`. */
export function more(total: number, limit: number): Html {
  return total > limit ? html`<p class="more" data-more="${total - limit}">and ${total - limit} more</p>` : html``;
}

export function renderTable(store: Store, view: ViewRecord, selection: Selection): Html {
  const columns = visibleProperties(view, selection.schema);
  const rows = selection.rows.slice(0, ROW_LIMIT).map((p) => row(store, selection.schema, columns, p));
  const body = rows.length > 0 ? rows : html`<tr class="empty"><td colspan="${columns.length}">No rows</td></tr>`;
  return html`<div class="table-wrap"><table class="db-table" data-rows="${selection.rows.length}">
<thead><tr>${columns.map(headerCell)}</tr></thead>
<tbody>${body}</tbody>
</table></div>${more(selection.rows.length, ROW_LIMIT)}`;
}
