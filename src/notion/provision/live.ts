/** Reads of what a database looks like now: its data source schema and its views. */
import { collectPaginatedAPI, type Client } from '@notionhq/client';
import { notionCall } from '../client.js';
import { readLiveProperties, type LiveProperty } from '../schema.js';
import type { LiveView } from './plan-views.js';

export async function readLiveSchema(client: Client, dataSourceId: string, title: string): Promise<LiveProperty[]> {
  const source = (await notionCall(`read data source of ${title}`, () =>
    client.dataSources.retrieve({ data_source_id: dataSourceId }),
  )) as { properties: Record<string, unknown> };
  return readLiveProperties(source.properties);
}

/**
 * Every view of a database, dashboards and widgets included (the list holds ids
 * only); or, given a data source, every view that shows its rows (no dashboards).
 */
export async function readLiveViews(client: Client, of: string | { dataSourceId: string }, title: string): Promise<LiveView[]> {
  const where = typeof of === 'string' ? { database_id: of } : { data_source_id: of.dataSourceId };
  const refs = await notionCall(`list views of ${title}`, () => collectPaginatedAPI(client.views.list, where));
  const views: LiveView[] = [];
  for (const ref of refs) {
    views.push((await notionCall(`read a view of ${title}`, () => client.views.retrieve({ view_id: ref.id }))) as LiveView);
  }
  return views;
}
