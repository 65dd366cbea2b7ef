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
import { agreeToTheMicro, microsFromExact, parseExactUsd, type Exact } from '../src/sdk/money.js';
import { dropPrefix } from '../src/worker/redis-tools.js';
import { benchEngine, insertGeneratedCalls as insertCalls, PARENT_PAGE_ID, provision, spawnWorker } from './fixtures.js';
import { createNaiveSync } from './naive.js';
import type { TimedRequest } from './notion-process.js';
import { freePort, scrapeMetrics, startRemoteNotion, until, untilNotionQuiet, type RemoteNotion } from './processes.js';
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
/** After each quiet breach's first alert page: longer than the rest of its writes take at 3 requests/s. */
const QUIET_PAUSE_MS = 3_000;
/** The worker's default ROLLUP_INTERVAL_MS: how often today's rollup rows change, so how often they are written. */
const ROLLUP_INTERVAL_MS = 300_000;
const SAMPLE_EVERY_MS = 5_000;
const NAIVE_ROWS = 300;
/** 5,000 calls a day: one every 17.28 s. */
const LOW_VOLUME_EVERY_MS = 86_400_000 / 5_000;
const LOW_VOLUME_CALLS = 8;

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

/** A budget per service, as a team keeps them, never reached: their spend moves with every call of the load. */
async function addServiceBudgets(client: pg.Client): Promise<void> {
  await client.query(
    `insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, breach_action)
     select 'service', s, 100000.00, 1000000.00, 'alert'
       from unnest(array['1:1_conversation','virtual_panel','workflow','solution_builder']) s`,
  );
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

/** Seconds from each call's commit to its Token Usage Logs page being written, one call at a time at 5k calls/day. */
async function lowVolumeDelays(client: pg.Client, notion: RemoteNotion, logsSource: string): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < LOW_VOLUME_CALLS; i++) {
    const started = Date.now();
    await insertCalls(client, 'low-', new Date(), 1, i, 1);
    const committed = Date.now();
    let written: number | null = null;
    // A call that never arrives fails the bar (as infinitely late) instead of ending the run.
    await until(`call low-${i + 1} in Token Usage Logs`, async () => (written = await notion.writtenAt(logsSource, 'Request ID', `low-${i + 1}`)) !== null, 60_000, 50).catch(() => undefined);
    delays.push(written === null ? Number.POSITIVE_INFINITY : (written - committed) / 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, started + LOW_VOLUME_EVERY_MS - Date.now())));
  }
  return delays;
}

/** Seconds from each breach's commit to its first alert row in Postgres: what the budget evaluation takes of the delay. */
async function alertRowDelays(client: pg.Client, committed: Map<string, number>): Promise<number[]> {
  const { rows } = await client.query<{ entity_id: string; first: Date }>(
    `select entity_id, min(created_at) as first from public.cost_alerts where entity_id = any($1::text[]) group by entity_id`,
    [[...committed.keys()]],
  );
  return rows.map((r) => (r.first.getTime() - committed.get(r.entity_id)!) / 1000);
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

/** Where the worker's Notion requests went: per lane, and the pages each dataset created, updated or trashed. */
async function requestBreakdown(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lanes = [...text.matchAll(/^tokensync_notion_requests_by_lane_total\{lane="([a-z]+)"\} ([0-9.eE+-]+)$/gm)].map((m) => `${m[1]} ${format(Number(m[2]))}`);
  const writes = new Map<string, number>();
  for (const m of text.matchAll(/^tokensync_sync_rows_total\{dataset="([a-z_]+)",outcome="(created|updated|trashed)"\} ([0-9.eE+-]+)$/gm)) {
    writes.set(m[1]!, (writes.get(m[1]!) ?? 0) + Number(m[3]));
  }
  const datasets = [...writes].filter(([, n]) => n > 0).map(([d, n]) => `${d} ${format(n)}`);
  return `by lane: ${lanes.join(', ') || 'none reported'}; pages written by dataset: ${datasets.join(', ') || 'none'}`;
}

/**
 * Sum of total_cost in Postgres (exact; the rollup must equal the logs exactly)
 * and of Daily Costs' Total Cost in Notion (doubles, read as the decimals they
 * print as), in atto-dollars; notion is null when the rollup itself differs.
 */
async function totals(client: pg.Client, notion: RemoteNotion, dailyCosts: string): Promise<{ sql: Exact; notion: Exact | null }> {
  const { rows } = await client.query<{ total: string }>(`select coalesce(sum(total_cost), 0)::text as total from public.daily_cost_breakdown`);
  const { rows: raw } = await client.query<{ total: string }>(`select coalesce(sum(total_cost), 0)::text as total from public.token_usage_logs`);
  const sql = parseExactUsd(raw[0]!.total)!;
  if (parseExactUsd(rows[0]!.total) !== sql) return { sql, notion: null };
  return { sql, notion: parseExactUsd(await notion.sumNumber(dailyCosts, 'Total Cost'))! };
}


function rates(timeline: TimedRequest[], from: number, to: number) {
  const inside = timeline.filter((r) => r.at >= from && r.at < to);
  const byRoute = new Map<string, number>();
  for (const r of inside) byRoute.set(`${r.method} ${r.route}`, (byRoute.get(`${r.method} ${r.route}`) ?? 0) + 1);
  const routes = [...byRoute].sort((a, b) => b[1] - a[1]).map(([route, n]) => `${route} ${format(n)}`).join(', ');
  return { requests: inside.length, throttled: inside.filter((r) => r.status === 429).length, routes };
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
      await addServiceBudgets(client);
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
      let breakdown = '';
      let lowVolume: number[] = [];
      try {
        await until('the worker to listen for changes', async () => (await scrapeMetrics(port).catch(() => undefined))?.('tokensync_change_listener_up') === 1, 60_000);
        // The schedulers' first runs (at start) are left to finish: the quiet breaches meet an idle worker.
        await untilNotionQuiet(notion, 120_000);
        // At 5k calls/day first, while the raw-log window's share is not spent on the breaches' calls.
        lowVolume = await lowVolumeDelays(client, notion, dataSources.token_usage_logs);
        // With no load: one breach at a time, once the previous one's writes (three alert pages, two
        // Budget Limits pages, its raw log: six requests at 3/s) are done.
        for (const agent of quietAgents) {
          const at = await breach(client, agent);
          quiet.set(agent, at);
          await alertDelays(notion, dataSources.cost_alerts, new Map([[agent, at]]));
          await new Promise((r) => setTimeout(r, QUIET_PAUSE_MS));
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
        breakdown = await requestBreakdown(port).catch((error: unknown) => `no breakdown: ${String(error)}`);
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
      const quietRows = await alertRowDelays(client, quiet);
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
      const exact = final.notion !== null && agreeToTheMicro(final.notion, final.sql);
      const ageFigures = (['alerts', 'rollups'] as const).map((lane) =>
        agesSeen
          ? figure(`${lane} lane: oldest unsynced change, worst sample (s)`, worstAge[lane] ?? 0, undefined, { bar: '≤ 60', pass: (worstAge[lane] ?? 0) <= 60 })
          : figure(`${lane} lane: oldest unsynced change (s)`, Number.NaN, undefined, { note: 'the worker exposes no tokensync_lane_oldest_unsynced_seconds' }),
      );
      return {
        method:
          `${format(historyRows)} rows of history (days ${HISTORY_FROM_DAYS}–${HISTORY_FROM_DAYS + HISTORY_SPAN_DAYS} back) rolled up and synced first with the rate limit off; ` +
          `then one \`npm run worker\` against the fake at ${RATE_LIMIT.requestsPerSecond} requests/s (burst ${RATE_LIMIT.burst}), every setting at its default ` +
          `(ROLLUP_INTERVAL_MS ${ROLLUP_INTERVAL_MS / 1000} s: today's rollup rows change, and are written, once per rollup run, whatever the call rate). A budget per service (never reached; its spend moves with every call). Once the worker's start-up runs are done, ${LOW_VOLUME_CALLS} calls at 5k calls/day (one every ${(LOW_VOLUME_EVERY_MS / 1000).toFixed(2)} s), each timed from its commit to its Token Usage Logs page's last_edited_time (a ring slot is overwritten in place); ` +
          `then ${BREACHES_QUIET} breaches with no load (agents with a $1.00 daily budget, one $0.95 call each, one at a time, ${QUIET_PAUSE_MS / 1000} s after the previous one's first alert page), ` +
          `then ${format(loadSeconds)} s of ${CALLS_PER_SECOND.toFixed(2)} calls/s (1M calls/day, one insert statement a second) with ${BREACHES_UNDER_LOAD} breaches spread over it. ` +
          `Delay: from the breach's commit to the created_time of the first Cost Alerts page of its agent. Lane ages: the worker's own gauge, sampled every ${SAMPLE_EVERY_MS / 1000} s. ` +
          `Totals: sum of Daily Costs' Total Cost over every live page vs sum(total_cost) of every usage row, in micro-dollars. ` +
          `Naive: one pass over ${NAIVE_ROWS} new calls, a lookup and a create each (its trash when the call leaves the window comes on top).`,
        figures: [
          figure('Notion requests per logged call, under load', perCall, naivePerCall, {
            bar: '≤ 0.05',
            pass: perCall <= 0.05,
            digits: 3,
            note: `${format(during.requests)} requests for ${format(calls)} calls in ${format(seconds)} s: ${during.routes}; worker, from its start: ${breakdown}`,
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
            note: `${quietDelays.length} breaches, median ${median(quietDelays).toFixed(2)} s; commit → alert row in Postgres median ${median(quietRows).toFixed(2)} s, worst ${Math.max(...quietRows).toFixed(2)} s`,
          }),
          figure('at 5k calls/day: commit → call in Token Usage Logs, worst (s)', Math.max(...lowVolume), undefined, {
            bar: '≤ 5',
            pass: lowVolume.length === LOW_VOLUME_CALLS && Math.max(...lowVolume) <= 5,
            note: `${lowVolume.length} calls ${(LOW_VOLUME_EVERY_MS / 1000).toFixed(2)} s apart, median ${median(lowVolume).toFixed(2)} s`,
          }),
          figure('Daily Costs total − SQL total (micro-dollars)', final.notion === null ? Number.NaN : microsFromExact(final.notion) - microsFromExact(final.sql), undefined, {
            bar: '0',
            pass: exact,
            note: `SQL ${(microsFromExact(final.sql) / 1e6).toFixed(6)} USD${final.notion === null ? '; the rollup differs from the logs' : ''}`,
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
