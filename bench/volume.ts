/**
 * Notion at any volume: a sustained 1M calls/day (≈ 11.6 calls/s) over millions of
 * rows of history, against the fake at Notion's real 3 requests/s:
 * - Notion requests per logged call (bar ≤ 0.05), requests/s ≤ the limit, 429s ≤ 1 %;
 * - the alerts and rollups lanes' oldest unsynced change (bar ≤ 60 s throughout);
 * - budget breaches committed during the load: commit → Cost Alerts page (p95 ≤ 5 s);
 *   and the same with no load (p95 ≤ 2 s);
 * - afterwards, Daily Costs in Notion total what Postgres holds, to the micro-dollar.
 * The naive peer mirrors every call (a lookup and a create per call), as bench/naive.ts does.
 */
import pg from 'pg';
import { DATASETS } from '../src/datasets.js';
import { dropPrefix } from '../src/worker/redis-tools.js';
import { benchEngine, PARENT_PAGE_ID, provision, spawnWorker } from './fixtures.js';
import { createNaiveSync } from './naive.js';
import type { TimedRequest } from './notion-process.js';
import { freePort, startRemoteNotion, until, type RemoteNotion } from './processes.js';
import { figure, format, median, type Benchmark, type BenchContext } from './support.js';

const RATE_LIMIT = { requestsPerSecond: 3, burst: 10 };
/** 1,000,000 calls a day. */
const CALLS_PER_SECOND = 1_000_000 / 86_400;
export const DEFAULT_HISTORY_ROWS = 5_000_000;
export const DEFAULT_LOAD_SECONDS = 600;
const HISTORY_CHUNK = 250_000;
/** History lies before the raw-log window (30 days) and inside the retention (90 days). */
const HISTORY_FROM_DAYS = 31;
const HISTORY_SPAN_DAYS = 29;
const BREACHES_UNDER_LOAD = 12;
const BREACHES_QUIET = 10;
const ROLLUP_INTERVAL_MS = 60_000;
const SAMPLE_EVERY_MS = 5_000;
const NAIVE_ROWS = 300;

const LOG_COLUMNS = `request_id, created_at, organization_id, user_id, session_id, tier, service_type, agent_id, workflow_id, workflow_step,
  provider, model, prompt_tokens, completion_tokens, total_tokens, input_cost, output_cost, total_cost, latency_ms, success`;

/**
 * Generated calls: $1 request-id prefix, $2 the newest created_at, $3 how many minutes
 * back they spread, $4 and $5 the first number and how many.
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

const insertCalls = (client: pg.Client, prefix: string, newest: Date, spreadMinutes: number, first: number, count: number) =>
  client.query(`insert into public.token_usage_logs (${LOG_COLUMNS}) ${GENERATED_CALLS}`, [prefix, newest.toISOString(), spreadMinutes, first, count]);

/**
 * History as a long-running installation has it: loaded with the triggers off
 * (superuser), then rolled up once below, so the measured worker starts with
 * nothing of it left to do, as it would after months of running.
 */
async function insertHistory(client: pg.Client, rows: number): Promise<void> {
  const newest = new Date(Date.now() - HISTORY_FROM_DAYS * 86_400_000);
  await client.query('set session_replication_role = replica');
  for (let start = 0; start < rows; start += HISTORY_CHUNK) {
    const size = Math.min(HISTORY_CHUNK, rows - start);
    await insertCalls(client, 'history-', newest, HISTORY_SPAN_DAYS * 1440, start, size);
    process.stdout.write(`  volume: generated ${format(start + size)} rows of history\r`);
  }
  process.stdout.write('\n');
  await client.query('set session_replication_role = default');
  await client.query('analyze public.token_usage_logs');
}

/** Inserts calls at CALLS_PER_SECOND, one statement a second (as the SDK's batch writer does), until `stop`. */
async function streamCalls(client: pg.Client, seconds: number, onTick?: (second: number) => Promise<void>): Promise<number> {
  let owed = 0;
  let inserted = 0;
  const started = Date.now();
  for (let second = 0; second < seconds; second++) {
    owed += CALLS_PER_SECOND;
    const count = Math.floor(owed);
    owed -= count;
    await insertCalls(client, 'load-', new Date(), 1, inserted, count);
    inserted += count;
    await onTick?.(second);
    await new Promise((r) => setTimeout(r, Math.max(0, started + (second + 1) * 1000 - Date.now())));
  }
  return inserted;
}

/** Budgets of $1.00 a day for agents that have spent nothing yet; one call of $0.95 then crosses 50, 75 and 90 %. */
async function addAgentBudgets(client: pg.Client, tag: string, count: number): Promise<string[]> {
  const agents = Array.from({ length: count }, (_, i) => `${tag}-agent-${i}`);
  await client.query(
    `insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, breach_action)
     select 'agent', a, 1.00, 100.00, 'alert' from unnest($1::text[]) a`,
    [agents],
  );
  return agents;
}

async function breach(client: pg.Client, agent: string): Promise<number> {
  await client.query(
    `insert into public.token_usage_logs (request_id, organization_id, service_type, agent_id, provider, model,
       prompt_tokens, completion_tokens, input_cost, output_cost, latency_ms, success)
     values ($1, 'acme', 'workflow', $2, 'openai', 'gpt-4o', 200000, 45000, 0.5, 0.45, 900, true)`,
    [`breach-${agent}`, agent],
  );
  return Date.now();
}

/** Seconds from each breach's commit to the first Cost Alerts page of its agent. */
async function alertDelays(notion: RemoteNotion, alertsSource: string, committed: Map<string, number>): Promise<number[]> {
  const delays: number[] = [];
  for (const [agent, at] of committed) {
    let created: number | null = null;
    await until(`an alert page for ${agent}`, async () => (created = await notion.createdAt(alertsSource, 'Entity ID', agent)) !== null, 180_000, 50);
    delays.push((created! - at) / 1000);
  }
  return delays;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** A lane's oldest unsynced change as the worker reports it, or undefined when it does not. */
async function laneAges(port: number): Promise<Record<string, number> | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const ages: Record<string, number> = {};
  for (const match of text.matchAll(/^tokensync_lane_oldest_unsynced_seconds\{[^}]*lane="([a-z]+)"[^}]*\} ([0-9.eE+-]+)$/gm)) {
    ages[match[1]!] = Number(match[2]);
  }
  return Object.keys(ages).length > 0 ? ages : undefined;
}

/** Sum of total_cost in Postgres, in micro-dollars, and Daily Costs' Total Cost in Notion. */
async function totals(client: pg.Client, notion: RemoteNotion, dailyCosts: string): Promise<{ sql: bigint; notion: bigint }> {
  const { rows } = await client.query<{ micros: string }>(`select (coalesce(sum(total_cost), 0) * 1000000)::bigint::text as micros from public.daily_cost_breakdown`);
  const { rows: raw } = await client.query<{ micros: string }>(`select (coalesce(sum(total_cost), 0) * 1000000)::bigint::text as micros from public.token_usage_logs`);
  if (rows[0]!.micros !== raw[0]!.micros) return { sql: BigInt(raw[0]!.micros), notion: -1n };
  return { sql: BigInt(raw[0]!.micros), notion: BigInt(await notion.sumNumber(dailyCosts, 'Total Cost')) };
}

function rates(timeline: TimedRequest[], from: number, to: number) {
  const inside = timeline.filter((r) => r.at >= from && r.at < to);
  return { requests: inside.length, throttled: inside.filter((r) => r.status === 429).length };
}

export const volumeBenchmark: Benchmark = {
  id: 'volume',
  title: 'Notion at any volume: 1M calls/day over millions of rows of history',
  async run(context: BenchContext) {
    const historyRows = context.scale?.historyRows ?? DEFAULT_HISTORY_ROWS;
    const loadSeconds = context.scale?.loadSeconds ?? DEFAULT_LOAD_SECONDS;
    const notion = await startRemoteNotion({ rateLimit: false, parentPageId: PARENT_PAGE_ID });
    const client = new pg.Client({ connectionString: context.databaseUrl });
    await client.connect();
    const prefix = `tokensync-bench-volume-${process.pid}`;
    const port = await freePort();
    try {
      const dataSources = await provision(notion);
      await insertHistory(client, historyRows);
      // The starting point: history rolled up and every dataset in Notion, as after a long run.
      const { engine, close } = benchEngine(context.databaseUrl, notion, dataSources);
      try {
        await client.query(`select public.tokensync_rollup_days(current_date - 90, current_date, 'UTC')`);
        for (const dataset of DATASETS) await engine.runPass(dataset);
      } finally {
        await close();
      }
      const quietAgents = await addAgentBudgets(client, 'quiet', BREACHES_QUIET);
      const loadAgents = await addAgentBudgets(client, 'load', BREACHES_UNDER_LOAD);
      await notion.setRateLimit(RATE_LIMIT);
      await notion.reset();

      const running = spawnWorker(context, {
        notion,
        dataSources,
        queuePrefix: prefix,
        env: {
          NOTION_REQUESTS_PER_SECOND: String(RATE_LIMIT.requestsPerSecond),
          ROLLUP_INTERVAL_MS: String(ROLLUP_INTERVAL_MS),
          WORKER_HTTP_PORT: String(port),
        },
      });
      const quiet = new Map<string, number>();
      const loaded = new Map<string, number>();
      let calls = 0;
      let loadFrom = 0;
      let loadTo = 0;
      const worstAge: Record<string, number> = {};
      let agesSeen = false;
      try {
        await until('the worker to answer', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true, 60_000);
        // With no load: one breach at a time, each once the previous one is in Notion.
        for (const agent of quietAgents) {
          const at = await breach(client, agent);
          quiet.set(agent, at);
          await alertDelays(notion, dataSources.cost_alerts, new Map([[agent, at]]));
        }
        loadFrom = Date.now();
        const breachEvery = Math.max(1, Math.floor((loadSeconds - 30) / BREACHES_UNDER_LOAD));
        let nextSample = Date.now();
        calls = await streamCalls(client, loadSeconds, async (second) => {
          const index = second >= 20 ? (second - 20) / breachEvery : -1;
          if (index >= 0 && Number.isInteger(index) && index < loadAgents.length) loaded.set(loadAgents[index]!, await breach(client, loadAgents[index]!));
          if (Date.now() >= nextSample) {
            nextSample = Date.now() + SAMPLE_EVERY_MS;
            const ages = await laneAges(port).catch(() => undefined);
            if (ages) agesSeen = true;
            for (const [lane, age] of Object.entries(ages ?? {})) worstAge[lane] = Math.max(worstAge[lane] ?? 0, age);
          }
        });
        loadTo = Date.now();
        await alertDelays(notion, dataSources.cost_alerts, loaded);
        // Daily Costs catch up within a rollup interval and a sync pass.
        await until('Daily Costs to equal Postgres', async () => {
          const t = await totals(client, notion, dataSources.daily_cost_breakdown);
          return t.sql === t.notion;
        }, ROLLUP_INTERVAL_MS * 3 + 120_000, 2_000).catch(() => undefined);
      } finally {
        if ((await running.stop()) !== 0) throw new Error(`the worker failed: ${running.output()}`);
      }
      const final = await totals(client, notion, dataSources.daily_cost_breakdown);
      const during = rates(await notion.timeline(), loadFrom, loadTo);
      const quietDelays = await alertDelays(notion, dataSources.cost_alerts, quiet);
      const loadDelays = await alertDelays(notion, dataSources.cost_alerts, loaded);

      // The naive peer: every call looked up and created (and later trashed), whatever the volume.
      await notion.setRateLimit(false);
      const naiveSince = (await client.query<{ t: string }>('select now()::text as t')).rows[0]!.t;
      await insertCalls(client, 'naive-', new Date(), 1, 0, NAIVE_ROWS);
      const naive = createNaiveSync({ databaseUrl: context.databaseUrl, notion, dataSourceId: dataSources.token_usage_logs, requestsPerSecond: 0, since: naiveSince });
      let naivePerCall: number;
      try {
        await notion.reset();
        const pass = await naive.pass();
        naivePerCall = (await notion.stats()).total / Math.max(pass.rows, 1);
      } finally {
        await naive.close();
      }

      const seconds = (loadTo - loadFrom) / 1000;
      const perCall = during.requests / Math.max(calls, 1);
      const rate = during.requests / seconds;
      const throttled = during.throttled / Math.max(during.requests, 1);
      const exact = final.sql === final.notion;
      const ageFigures = (['alerts', 'rollups'] as const).map((lane) =>
        agesSeen
          ? figure(`${lane} lane: oldest unsynced change, worst sample (s)`, worstAge[lane] ?? 0, undefined, { bar: '≤ 60', pass: (worstAge[lane] ?? 0) <= 60 })
          : figure(`${lane} lane: oldest unsynced change (s)`, Number.NaN, undefined, { note: 'the worker exposes no tokensync_lane_oldest_unsynced_seconds' }),
      );
      return {
        method:
          `${format(historyRows)} rows of history (days ${HISTORY_FROM_DAYS}–${HISTORY_FROM_DAYS + HISTORY_SPAN_DAYS} back) rolled up and synced first with the rate limit off; ` +
          `then one \`npm run worker\` against the fake at ${RATE_LIMIT.requestsPerSecond} requests/s (burst ${RATE_LIMIT.burst}), defaults except ROLLUP_INTERVAL_MS=${ROLLUP_INTERVAL_MS} ` +
          `(more rollup writes than the default 300000, not fewer). ${BREACHES_QUIET} breaches with no load (agents with a $1.00 daily budget, one $0.95 call each, one at a time), ` +
          `then ${format(loadSeconds)} s of ${CALLS_PER_SECOND.toFixed(2)} calls/s (1M calls/day, one insert statement a second) with ${BREACHES_UNDER_LOAD} breaches spread over it. ` +
          `Delay: from the breach's commit to the created_time of the first Cost Alerts page of its agent. Lane ages: the worker's own gauge, sampled every ${SAMPLE_EVERY_MS / 1000} s. ` +
          `Totals: sum of Daily Costs' Total Cost over every live page vs sum(total_cost) of every usage row, in micro-dollars. ` +
          `Naive: one pass over ${NAIVE_ROWS} new calls, a lookup and a create each (its trash when the call leaves the window comes on top).`,
        figures: [
          figure('Notion requests per logged call, under load', perCall, naivePerCall, {
            bar: '≤ 0.05',
            pass: perCall <= 0.05,
            digits: 3,
            note: `${format(during.requests)} requests for ${format(calls)} calls in ${format(seconds)} s`,
          }),
          figure('requests/s under load', rate, undefined, { bar: `≤ ${RATE_LIMIT.requestsPerSecond}`, pass: rate <= RATE_LIMIT.requestsPerSecond }),
          figure('429 share under load', throttled, undefined, { bar: '≤ 0.01', pass: throttled <= 0.01, digits: 3 }),
          ...ageFigures,
          figure('breach → Cost Alerts page under load, p95 (s)', percentile(loadDelays, 95), undefined, {
            bar: '≤ 5',
            pass: percentile(loadDelays, 95) <= 5,
            note: `${loadDelays.length} breaches, median ${median(loadDelays).toFixed(2)} s`,
          }),
          figure('breach → Cost Alerts page with no load, p95 (s)', percentile(quietDelays, 95), undefined, {
            bar: '≤ 2',
            pass: percentile(quietDelays, 95) <= 2,
            note: `${quietDelays.length} breaches, median ${median(quietDelays).toFixed(2)} s`,
          }),
          figure('Daily Costs total − SQL total (micro-dollars)', Number(final.notion - final.sql), undefined, {
            bar: '0',
            pass: exact,
            note: `SQL ${(Number(final.sql) / 1e6).toFixed(6)} USD`,
          }),
        ],
      };
    } finally {
      await client.end();
      await notion.close();
      await dropPrefix(context.redisUrl, prefix);
    }
  },
};
