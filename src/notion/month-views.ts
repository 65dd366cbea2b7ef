/**
 * Views whose filter names the first day of the current month (Month-to-date
 * cost). Notion's relative dates stop at "one month ago", so setup:notion
 * writes the day and the worker moves it when the month turns: one view update
 * per view or dashboard widget, which creates no block. Only the filter is
 * touched; whatever else a person changed in the view stays theirs.
 */
import type { Client } from '@notionhq/client';
import type { Dataset } from '../datasets.js';
import { CATALOGUE, type DatabaseSpec, type ViewSpec } from './catalogue/index.js';
import { notionCall } from './client.js';
import { readLiveSchema, readLiveViews } from './provision/live.js';
import { planSchema } from './provision/plan-schema.js';
import { containsSubset, viewBody, type LiveView, type ViewBody } from './provision/plan-views.js';
import { monthStartIn } from './provision/provision.js';

export interface MonthViewsOptions {
  client: Client;
  recorded: Partial<Record<Dataset, { dataSourceId: string | undefined }>>;
  timezone: string;
  now?: Date;
}

export interface MonthViewsResult {
  monthStart: string;
  /** "Database: view" for each view or dashboard widget whose filter was moved. */
  moved: string[];
  /** Why a database's views were left alone (not provisioned, a property missing). */
  skipped: string[];
}

const monthBound = (spec: DatabaseSpec): ViewSpec[] => spec.views.filter((v) => v.movesWithMonth);

/** Moves the filter of every month-bound view (and its widgets) that still names another month. */
export async function moveMonthViews(options: MonthViewsOptions): Promise<MonthViewsResult> {
  const monthStart = monthStartIn(options.now ?? new Date(), options.timezone);
  const result: MonthViewsResult = { monthStart, moved: [], skipped: [] };
  for (const spec of CATALOGUE.filter((s) => monthBound(s).length > 0)) {
    const dataSourceId = options.recorded[spec.dataset]?.dataSourceId;
    if (!dataSourceId) result.skipped.push(`${spec.title}: not provisioned; run npm run setup:notion`);
    else await moveIn(spec, dataSourceId, options.client, monthStart, result);
  }
  return result;
}

/** Ours by name or, renamed, by configuration: the same recognition setup:notion uses. */
const isOurs = (live: LiveView, body: ViewBody) =>
  live.type === body.type && (live.name === body.name || containsSubset(live.configuration ?? {}, body.configuration ?? {}));

async function moveIn(spec: DatabaseSpec, dataSourceId: string, client: Client, monthStart: string, result: MonthViewsResult) {
  const schema = planSchema(spec, await readLiveSchema(client, dataSourceId, spec.title));
  const idOf = (key: string) => schema.ids.get(key);
  const unknown = spec.properties.filter((p) => !idOf(p.key)).map((p) => p.name);
  if (unknown.length > 0) {
    result.skipped.push(`${spec.title}: ${unknown.join(', ')} missing; run npm run setup:notion`);
    return;
  }
  const bodies = monthBound(spec).map((view) => viewBody(view, (key) => idOf(key)!, { monthStart }));
  // Widgets show the data source's rows too, so listing by data source finds them beside the views.
  for (const live of await readLiveViews(client, { dataSourceId }, spec.title)) {
    const body = bodies.find((b) => isOurs(live, b));
    if (!body?.filter || containsSubset(live.filter, body.filter)) continue;
    const filter = body.filter;
    await notionCall(`move the month of view ${live.name} in ${spec.title}`, () => client.views.update({ view_id: live.id, filter } as never));
    result.moved.push(`${spec.title}: ${live.name}${live.dashboard_view_id ? ' (dashboard widget)' : ''}`);
  }
}
