/**
 * Views whose filter names the first day of the current month (Month-to-date
 * cost). Notion's relative dates stop at "one month ago", so setup:notion
 * writes the day and the worker moves it when the month turns: one view update
 * each, which creates no block. Only the filter is touched; whatever else a
 * person changed in the view stays theirs until setup:notion runs.
 */
import type { Client } from '@notionhq/client';
import type { Dataset } from '../datasets.js';
import { CATALOGUE, type DatabaseSpec } from './catalogue/index.js';
import { notionCall } from './client.js';
import { readLiveSchema, readLiveViews } from './provision/live.js';
import { planSchema } from './provision/plan-schema.js';
import { planViews } from './provision/plan-views.js';
import { monthStartIn } from './provision/provision.js';

export interface MonthViewsOptions {
  client: Client;
  recorded: Partial<Record<Dataset, { databaseId: string | undefined; dataSourceId: string | undefined }>>;
  timezone: string;
  now?: Date;
}

export interface MonthViewsResult {
  monthStart: string;
  /** "Database: view" for each view (or dashboard widget) whose filter was moved. */
  moved: string[];
  /** Why a database's views were left alone (not provisioned, a property missing). */
  skipped: string[];
}

const movingViews = (spec: DatabaseSpec) => new Set(spec.views.filter((v) => v.movesWithMonth).map((v) => v.name));

/** Moves the filter of every month-bound view (and its widgets) that still names another month. */
export async function moveMonthViews(options: MonthViewsOptions): Promise<MonthViewsResult> {
  const monthStart = monthStartIn(options.now ?? new Date(), options.timezone);
  const result: MonthViewsResult = { monthStart, moved: [], skipped: [] };
  for (const spec of CATALOGUE.filter((s) => movingViews(s).size > 0)) {
    const ids = options.recorded[spec.dataset];
    if (!ids?.databaseId || !ids.dataSourceId) {
      result.skipped.push(`${spec.title}: not provisioned; run npm run setup:notion`);
      continue;
    }
    await moveIn(spec, { databaseId: ids.databaseId, dataSourceId: ids.dataSourceId }, options.client, monthStart, result);
  }
  return result;
}

async function moveIn(spec: DatabaseSpec, ids: { databaseId: string; dataSourceId: string }, client: Client, monthStart: string, result: MonthViewsResult) {
  const schema = planSchema(spec, await readLiveSchema(client, ids.dataSourceId, spec.title));
  const missing = spec.properties.filter((p) => !schema.ids.has(p.key)).map((p) => p.name);
  if (missing.length > 0) {
    result.skipped.push(`${spec.title}: ${missing.join(', ')} missing; run npm run setup:notion`);
    return;
  }
  const live = await readLiveViews(client, ids.databaseId, spec.title);
  const names = movingViews(spec);
  const changes = planViews(spec, live, (key) => schema.ids.get(key)!, { monthStart });
  for (const change of changes) {
    if (change.kind !== 'update' || !change.body.filter || !names.has(change.body.name)) continue;
    const filter = change.body.filter;
    await notionCall(`move the month of view ${change.body.name} in ${spec.title}`, () =>
      client.views.update({ view_id: change.viewId, filter } as never),
    );
    result.moved.push(`${spec.title}: ${change.body.name}`);
  }
}
