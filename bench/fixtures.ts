/**
 * Data the benchmarks work on, generated in SQL (a million rows in seconds), and
 * the Notion databases they sync into.
 */
import type pg from 'pg';
import { DATASETS, notionIdVariables, type Dataset } from '../src/datasets.js';
import { createNotionClient } from '../src/notion/client.js';
import { provisionNotion } from '../src/notion/provision/provision.js';
import { createLogger } from '../src/logging/logger.js';
import { createPostgresTransport } from '../src/supabase/postgres-transport.js';
import { createSupabaseSource } from '../src/supabase/source.js';
import { DATASET_DEFINITIONS } from '../src/sync/datasets/index.js';
import { createSyncEngine, type SyncEngine } from '../src/sync/engine.js';
import { createMemoryLimiter } from '../src/notion/rate-limit/limiter.js';
import type { LogWindowSettings } from '../src/sync/log-window/window.js';
import { createNotionGateway } from '../src/sync/notion-gateway.js';
import { createSyncState } from '../src/sync/state.js';
import { spawnScript, type BenchProcess } from './processes.js';
import type { BenchContext } from './support.js';

export const PARENT_PAGE_ID = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const CHUNK = 100_000;

/**
 * Realistic spread: 4 services, 6 models, 2,000 users, 50,000 sessions, 5
 * workflows of 3 steps, 3% failures, created over the last `days` days.
 * Totals are given (what the fill-totals trigger would compute), so the rows
 * are complete even where triggers are skipped (InsertLogsOptions.withoutTriggers).
 */
const INSERT_LOGS = `
  insert into public.token_usage_logs
    (request_id, created_at, organization_id, user_id, session_id, tier, service_type, workflow_id, workflow_step,
     provider, model, prompt_tokens, completion_tokens, total_tokens, input_cost, output_cost, total_cost, latency_ms, success, metadata)
  select $4 || g,
         $2::timestamptz - (g % $3) * interval '1 minute',
         'mvp', 'user-' || (g % 2000), 'session-' || (g % 50000), 'tier_' || (1 + g % 3),
         (array['1:1_conversation','virtual_panel','workflow','solution_builder'])[1 + g % 4],
         case when g % 4 = 2 then 'wf-' || (g % 5) end,
         case when g % 4 = 2 then (array['plan','draft','review'])[1 + g % 3] end,
         'openai', (array['gpt-4o','gpt-4o-mini','o3','gpt-4.1','gpt-4.1-mini','o4-mini'])[1 + g % 6],
         200 + g % 4000, 50 + g % 900, 250 + g % 4000 + g % 900,
         (200 + g % 4000) * 0.0000025, (50 + g % 900) * 0.00001, (200 + g % 4000) * 0.0000025 + (50 + g % 900) * 0.00001,
         100 + (g * 7919) % 5000, g % 33 <> 0, jsonb_build_object('feature', 'bench', 'n', g % 7)
    from generate_series($1::bigint, $1::bigint + $5 - 1) g`;

const GENERATED_COLUMNS = `request_id, created_at, organization_id, user_id, session_id, tier, service_type, agent_id, workflow_id, workflow_step,
  provider, model, prompt_tokens, completion_tokens, total_tokens, input_cost, output_cost, total_cost, latency_ms, success`;

/**
 * Calls as the 1M-calls/day load makes them: 4 services × 6 provider/models, 5
 * workflows of 3 steps, 5,000 users, ~3% failures. $1 request-id prefix, $2 the
 * newest created_at, $3 how many minutes back they spread, $4 and $5 the first
 * number and how many.
 */
const GENERATED_CALLS = `
  select $1 || g, $2::timestamptz - (g % greatest($3::int, 1)) * interval '1 minute',
         'acme', 'user-' || (g % 5000), 'session-' || (g % 90000), 'tier_' || (1 + g % 3),
         (array['1:1_conversation','virtual_panel','workflow','solution_builder'])[1 + g % 4], null,
         case when g % 4 = 2 then 'wf-' || (g % 5) end,
         case when g % 4 = 2 then (array['plan','draft','review'])[1 + g % 3] end,
         (array['openai','openai','anthropic','openai','anthropic','google'])[1 + g % 6],
         (array['gpt-4o','gpt-4o-mini','claude-sonnet-4','o3','claude-haiku-3.5','gemini-2.5-pro'])[1 + g % 6],
         200 + g % 4000, 50 + g % 900, 250 + g % 4000 + g % 900,
         (200 + g % 4000) * 0.0000025, (50 + g % 900) * 0.00001, (200 + g % 4000) * 0.0000025 + (50 + g % 900) * 0.00001,
         100 + (g * 7919) % 5000, g % 33 <> 0
    from generate_series($4::bigint + 1, $4::bigint + $5) g`;

/** Inserts `count` generated calls numbered from `first` + 1, created over the `spreadMinutes` up to `newest`. */
export const insertGeneratedCalls = (client: pg.ClientBase | pg.Pool, prefix: string, newest: Date, spreadMinutes: number, first: number, count: number) =>
  client.query(`insert into public.token_usage_logs (${GENERATED_COLUMNS}) ${GENERATED_CALLS}`, [prefix, newest.toISOString(), spreadMinutes, first, count]);

export interface InsertLogsOptions {
  /** Created over this many days up to `end` (default 29)… */
  days?: number;
  /** …or over this many minutes up to `end`. */
  minutes?: number;
  /** The newest row's created_at (default now). */
  end?: Date;
  prefix?: string;
  label?: string;
  /**
   * Bulk history for a benchmark that measures something else, loaded as a
   * bulk load is: the rows skip every trigger (session_replication_role =
   * replica, superuser only), so no spend bucket, rollup mark or tombstone
   * follows them; and the secondary indexes are dropped first and built again
   * after (a sort per index instead of millions of random inserts). Plain
   * inserts where the role may not.
   */
  bulk?: boolean;
}

/** Runs `insert` over `count` rows a CHUNK at a time, with a progress line on stdout when there is more than one chunk. */
export async function inChunks(count: number, progress: string, noun: string, insert: (start: number, size: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const size = Math.min(CHUNK, count - start);
    await insert(start, size);
    if (count > CHUNK) process.stdout.write(`  ${progress} ${(start + size).toLocaleString('en-US')} ${noun}\r`);
  }
  if (count > CHUNK) process.stdout.write('\n');
}

/** Inserts `count` usage logs created over the `days` (or `minutes`) before `end`, in chunks; reports progress on stdout. */
export async function insertLogs(client: pg.Client, count: number, options: InsertLogsOptions = {}): Promise<void> {
  const end = (options.end ?? new Date()).toISOString();
  const spanMinutes = Math.max(1, Math.floor(options.minutes ?? (options.days ?? 29) * 1440));
  const insert = () =>
    inChunks(count, `${options.label ?? 'bench'}: generated`, 'logs', (start, size) =>
      client.query(INSERT_LOGS, [start, end, spanMinutes, options.prefix ?? 'bench-', size]),
    );
  await (options.bulk === true ? asBulkLoad(client, insert) : insert());
  await client.query('analyze public.token_usage_logs');
}

/**
 * Runs `load` (inserts into token_usage_logs) as a bulk load when the role is a
 * superuser: triggers off and the secondary indexes built again afterwards (see
 * InsertLogsOptions.bulk); as plain inserts otherwise. Returns whether it was a bulk load.
 */
export async function asBulkLoad(client: pg.Client, load: () => Promise<unknown>): Promise<boolean> {
  const bulk = await isSuperuser(client);
  const rebuild = bulk ? await dropSecondaryIndexes(client) : [];
  // Memory to sort in when the indexes are built again.
  if (bulk) await client.query(`set session_replication_role = replica; set maintenance_work_mem = '512MB'`);
  try {
    await load();
  } finally {
    if (bulk) await client.query(`reset session_replication_role`);
    for (const definition of rebuild) await client.query(definition);
    if (bulk) await client.query(`reset maintenance_work_mem`);
  }
  return bulk;
}

/** Drops the indexes of token_usage_logs that back no constraint; returns the statements that build them again. */
async function dropSecondaryIndexes(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i
      where i.indrelid = 'public.token_usage_logs'::regclass
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
  );
  for (const row of rows) await client.query(`drop index ${row.name}`);
  return rows.map((row) => row.definition);
}

async function isSuperuser(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query(`select rolsuper from pg_roles where rolname = current_user`);
  return rows[0]?.rolsuper === true;
}

/**
 * Budget alerts as the evaluator writes them: 6 entity kinds, daily and monthly
 * periods over the last 30 days, thresholds 50/75/90/100 % with their severity.
 * Numbered from `first` + 1 (entity ids carry the number, so the unique key holds).
 */
const INSERT_ALERTS = `
  insert into public.cost_alerts (entity_type, entity_id, period, period_start, threshold_pct, amount_spent, limit_amount, severity, message)
  select (array['organization','service','tier','user','session','agent'])[1 + g % 6],
         $3 || g,
         (array['daily','monthly'])[1 + g % 2],
         date_trunc('day', now()) - (g % 30) * interval '1 day',
         (array[50, 75, 90, 100])[1 + g % 4],
         (array[50, 75, 90, 100])[1 + g % 4] * (10 + g % 90) / 100.0,
         10 + g % 90,
         (array['info','warning','critical','critical'])[1 + g % 4],
         $3 || g || ' reached ' || (array[50, 75, 90, 100])[1 + g % 4] || '% of its limit'
    from generate_series($1::bigint + 1, $1::bigint + $2) g`;

/** Inserts `count` cost alerts in chunks; reports progress on stdout past one chunk. */
export async function insertAlerts(client: pg.Client, count: number, options: { prefix?: string; label?: string } = {}): Promise<void> {
  await inChunks(count, `${options.label ?? 'bench'}: generated`, 'alerts', (start, size) =>
    client.query(INSERT_ALERTS, [start, size, options.prefix ?? 'bench-']),
  );
  await client.query('analyze public.cost_alerts');
}

/** Cost alerts and daily service metrics: a backlog in other datasets, so several workers write at once. */
export async function insertOtherRows(client: pg.Client, count: number): Promise<void> {
  await insertAlerts(client, count, { prefix: 'user-' });
  await client.query(
    `insert into public.service_performance_metrics (metric_date, service_type, total_requests, successful_requests, failed_requests,
       success_rate, prompt_tokens, completion_tokens, total_tokens, total_cost, avg_cost_per_request, unique_users, unique_sessions)
     select current_date - g, s, 100, 97, 3, 0.97, 10000, 2000, 12000, 1.5, 0.015, 20, 30
       from generate_series(1, $1::int / 4) g, unnest(array['1:1_conversation','virtual_panel','workflow','solution_builder']) s`,
    [count],
  );
}

/** Provisions the six databases under the parent page; returns their data source ids. */
export async function provision(notion: { url: string; token: string }): Promise<Record<Dataset, string>> {
  const result = await provisionNotion({
    client: createNotionClient({ token: notion.token, baseUrl: notion.url, maxRetries: 5 }),
    parentPageId: PARENT_PAGE_ID,
    recorded: Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as never,
    envFile: undefined,
    timezone: 'UTC',
  });
  return Object.fromEntries(DATASETS.map((d) => [d, result.databases[d]!.dataSourceId])) as Record<Dataset, string>;
}

/**
 * `npm run worker` as a process of its own, for these databases, on the
 * benchmark's Redis under `queuePrefix`; every other variable at its default
 * unless `env` says otherwise.
 */
export function spawnWorker(
  context: BenchContext,
  options: { notion: { url: string; token: string }; dataSources: Record<Dataset, string>; queuePrefix: string; env?: Record<string, string> },
): BenchProcess {
  return spawnScript('scripts/worker.ts', {
    DATABASE_URL: context.databaseUrl,
    REDIS_URL: context.redisUrl,
    NOTION_TOKEN: options.notion.token,
    NOTION_BASE_URL: options.notion.url,
    NOTION_PARENT_PAGE_ID: PARENT_PAGE_ID,
    QUEUE_PREFIX: options.queuePrefix,
    WORKER_HTTP_PORT: '0',
    ...Object.fromEntries(DATASETS.map((d) => [notionIdVariables(d).dataSourceId, options.dataSources[d]])),
    ...options.env,
  });
}

/**
 * A sync engine in this process over the benchmark's database, with no rate
 * limit of its own; Token Usage Logs as the worker keeps them unless `logWindow` says otherwise.
 */
export function benchEngine(
  databaseUrl: string,
  notion: { url: string; token: string },
  dataSources: Partial<Record<Dataset, string>>,
  logWindow?: LogWindowSettings,
): { engine: SyncEngine; close: () => Promise<void> } {
  const transport = createPostgresTransport({ databaseUrl });
  const engine = createSyncEngine({
    source: createSupabaseSource(transport, { timezone: 'UTC' }),
    state: createSyncState(transport),
    gateway: createNotionGateway({
      client: createNotionClient({ token: notion.token, baseUrl: notion.url, maxRetries: 0 }),
      limiter: createMemoryLimiter({ requestsPerSecond: 0 }),
    }),
    dataSources,
    logger: createLogger({ level: 'silent' }),
    tokenLogWindowDays: 30,
    ...(logWindow ? { logWindow } : {}),
    settleMs: 0,
  });
  return { engine, close: () => transport.close() };
}

/**
 * Records every row of `dataset` as synced with the content hash
 * tokensync_sync_changes computes, as if a long run had written them all. The
 * expression must match the function's; the read + diff benchmark fails loudly
 * (rows come back changed) when not.
 */
export async function markAllSynced(client: pg.Client, dataset: Dataset): Promise<void> {
  const { columns, salt } = DATASET_DEFINITIONS[dataset];
  const content = `row(${columns.map((c) => `t."${c}"`).join(', ')})::text`;
  await client.query(`set "TimeZone" = 'UTC'; set "DateStyle" = 'ISO, YMD'; set "IntervalStyle" = 'iso_8601'; set extra_float_digits = 1`);
  await client.query(
    `insert into tokensync.notion_sync_state (dataset, key, page_id, hash, source_created_at, synced_at)
     select $2, t.id, gen_random_uuid(), md5($1 || ${content}), t.created_at, now()
       from public.${dataset} t`,
    [salt, dataset],
  );
  await client.query('analyze tokensync.notion_sync_state');
}
