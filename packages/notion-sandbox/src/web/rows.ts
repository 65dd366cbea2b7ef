/**
 * The rows a view shows, chosen by the fake's own filter and sort code, so the
 * page and `data_sources.query` can never disagree. A view whose filter no
 * longer fits the schema (a property was deleted) says so instead of failing
 * the whole page.
 */
import { NotionError } from '../errors.js';
import { compileFilter } from '../filters.js';
import { samePropertyId } from '../ids.js';
import { compileSorts } from '../sorts.js';
import type { PageRecord, PropertySchema, Store, ViewRecord } from '../store.js';

export interface Selection {
  schema: readonly PropertySchema[];
  rows: PageRecord[];
  /** Why the view cannot be shown, when it cannot. */
  problem?: string;
}

export function selectRows(store: Store, view: ViewRecord): Selection {
  const source = view.dataSourceId ? store.dataSources.get(view.dataSourceId) : undefined;
  if (!source || store.isTrashed(source.id)) return { schema: [], rows: [], problem: 'This view has no data source.' };
  const schema = source.properties;
  try {
    const ctx = { store, schema, now: store.now(), botId: store.bot.id };
    const match = view.filter ? compileFilter('view.filter', view.filter, ctx) : () => true;
    const order = compileSorts('view.sorts', view.sorts ?? undefined, store, schema);
    const rows = store.rowsOf(source.id).filter((p) => !store.isTrashed(p.id) && match(p)).sort(order);
    return { schema, rows };
  } catch (error) {
    if (!(error instanceof NotionError)) throw error;
    return { schema, rows: [], problem: `This view’s filter or sorts no longer fit the data source: ${error.message}` };
  }
}

/** Table columns: the title first, then schema order; a view may hide some (`properties[].visible: false`). */
export function visibleProperties(view: ViewRecord, schema: readonly PropertySchema[]): PropertySchema[] {
  const settings = Array.isArray(view.configuration?.properties) ? (view.configuration.properties as { property_id?: unknown; visible?: unknown }[]) : [];
  const hidden = settings.filter((s) => s.visible === false).map((s) => String(s.property_id));
  const shown = schema.filter((p) => !hidden.some((id) => samePropertyId(id, p.id)));
  return [...shown.filter((p) => p.type === 'title'), ...shown.filter((p) => p.type !== 'title')];
}
