/**
 * The yardstick every figure is compared with: the straightforward way to keep a
 * Notion database in step with a table. Each pass loads every row changed since
 * the last one, then for each row asks Notion for the page with its Supabase ID
 * and creates or updates it. No content hash (unchanged rows are rewritten), no
 * page map of its own (every row costs a query), and a rate limit per process
 * (two processes send twice the rate; the SDK retries the 429s, honouring
 * Retry-After). It maps rows exactly as tokensync does, so only the strategy differs.
 */
import type { Client } from '@notionhq/client';
import pg from 'pg';
import type { Dataset } from '../src/datasets.js';
import { createNotionClient } from '../src/notion/client.js';
import { DATASET_DEFINITIONS } from '../src/sync/datasets/index.js';
import { createMemoryLimiter } from '../src/notion/rate-limit/limiter.js';
import { prepareRow } from '../src/sync/prepare.js';
import { planSchema } from '../src/notion/provision/plan-schema.js';
import { readLiveProperties } from '../src/notion/schema.js';

export interface NaiveOptions {
  databaseUrl: string;
  notion: { url: string; token: string };
  /** The table synced (default token_usage_logs), into `dataSourceId`. */
  dataset?: Dataset;
  dataSourceId: string;
  /** 0: no limit. */
  requestsPerSecond: number;
  concurrency?: number;
  /** Rows updated after this are the first change set (default: every row). */
  since?: string;
}

export interface NaivePass {
  rows: number;
  created: number;
  updated: number;
}

export interface NaiveSync {
  /** Every row updated after the previous pass (all of them the first time). */
  pass(): Promise<NaivePass>;
  close(): Promise<void>;
}

/** A fetch that waits for this process's own limiter before each request. */
function throttledFetch(requestsPerSecond: number): typeof fetch {
  const limiter = createMemoryLimiter({ requestsPerSecond });
  return async (input, init) => {
    await limiter.acquire();
    return fetch(input, init);
  };
}

async function propertyIds(client: Client, dataset: Dataset, dataSourceId: string): Promise<Map<string, string>> {
  const source = (await client.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Record<string, unknown> };
  return planSchema(DATASET_DEFINITIONS[dataset].spec, readLiveProperties(source.properties)).ids;
}

export function createNaiveSync(options: NaiveOptions): NaiveSync {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2, options: '-c TimeZone=UTC' });
  const client = createNotionClient({ token: options.notion.token, baseUrl: options.notion.url, fetch: throttledFetch(options.requestsPerSecond) });
  const dataset = options.dataset ?? 'token_usage_logs';
  const definition = DATASET_DEFINITIONS[dataset];
  let since = options.since ?? '-infinity';
  let ids: Map<string, string> | undefined;

  async function syncRow(raw: Record<string, unknown>, totals: NaivePass): Promise<void> {
    const row = prepareRow(definition, raw, ids!);
    if (!row.ok) return;
    const found = await client.dataSources.query({
      data_source_id: options.dataSourceId,
      filter: { property: ids!.get('id')!, rich_text: { equals: row.key } } as never,
      page_size: 1,
    });
    const existing = found.results[0]?.id;
    if (existing) {
      await client.pages.update({ page_id: existing, properties: row.properties as never });
      totals.updated += 1;
    } else {
      await client.pages.create({ parent: { type: 'data_source_id', data_source_id: options.dataSourceId }, properties: row.properties as never });
      totals.created += 1;
    }
  }

  return {
    async pass() {
      ids ??= await propertyIds(client, dataset, options.dataSourceId);
      // The whole change set at once, as `select … where updated_at > $last` naturally reads.
      const { rows } = await pool.query(
        `select to_jsonb(t) as row, t.updated_at::text as stamp from public.${dataset} t where t.updated_at > $1 order by t.updated_at`,
        [since],
      );
      const totals: NaivePass = { rows: rows.length, created: 0, updated: 0 };
      let next = 0;
      const lane = async () => {
        while (next < rows.length) await syncRow(rows[next++]!.row, totals);
      };
      await Promise.all(Array.from({ length: options.concurrency ?? 4 }, lane));
      if (rows.length > 0) since = rows.at(-1)!.stamp;
      return totals;
    },
    close: () => pool.end(),
  };
}
