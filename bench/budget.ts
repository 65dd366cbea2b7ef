/**
 * DESIGN §5, budgets that hold: what a reservation costs the application over
 * 1,000,000 logs of history. reserve() + settle() one pair at a time through the
 * SDK tracker (direct Postgres), a cached read-only checkBudget(), and pairs per
 * second from 4 processes with a tracker each, on distinct users and on one hot
 * user limit. Then where a decision's time goes: the decision in SQL alone, and
 * each of its spend and hold reads.
 */
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { runBudgetJob } from '../src/jobs/reporting.js';
import { createTracker, type Tracker } from '../src/sdk/tracker.js';
import { createPostgresTransport } from '../src/supabase/postgres-transport.js';
import { createSupabaseSource } from '../src/supabase/source.js';
import {
  AGENTS,
  HISTORY_DAYS,
  HISTORY_LOGS,
  LIMITED_AGENT,
  LIMITED_USER,
  ORGANIZATIONS,
  USERS,
  quantile,
  reservation,
  seedHistory,
  settledCall,
} from './budget-calls.js';
import type { LoadOptions, LoadTotals } from './budget-process.js';
import { spawnScript, until, type BenchProcess } from './processes.js';
import { figure, format, timed, type Benchmark, type BenchResult, type Figure } from './support.js';

const WARM_UP_PAIRS = 200;
const PAIRS = 2_000;
const CACHED_CHECKS = 10_000;
const UNCACHED_CHECKS = 500;
const PROCESSES = 4;
const IN_FLIGHT = 4;
const LOAD_SECONDS = 10;
const PARTS_ROUNDS = 200;

const BAR = { p50Ms: 2, p99Ms: 10, cachedMs: 1 };
/** The worker's budgets job runs this often under load (BUDGET_WAKE_WINDOW_MS' default). */
const BUDGET_JOB_EVERY_MS = 250;

const silentTracker = (databaseUrl: string, cacheTtlMs?: number): Tracker =>
  createTracker({
    databaseUrl,
    config: loadConfig({}),
    logger: createLogger({ level: 'silent' }),
    budget: { timeoutMs: 30_000, ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) },
  });

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/**
 * Runs `work` beside the worker's budgets job as it runs under load (new spend
 * wakes it every BUDGET_WAKE_WINDOW_MS): its housekeeping merges the hour's spend
 * deltas that reservations read, and its spend refresh and alert evaluation load
 * the database as they would in production. Returns `work`'s result and the runs.
 */
async function besideBudgetJob<T>(databaseUrl: string, work: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const transport = createPostgresTransport({ databaseUrl, maxConnections: 1 });
  const source = createSupabaseSource(transport, { timezone: 'UTC' });
  const logger = createLogger({ level: 'silent' });
  let running = true;
  let runs = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await runBudgetJob(source, { timezone: 'UTC', logger });
      runs++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, BUDGET_JOB_EVERY_MS - (performance.now() - started))));
    }
  })();
  try {
    return { result: await work(), runs };
  } finally {
    running = false;
    await loop;
    await transport.close();
  }
}

/** reserve() then settle(), one pair at a time, each timed; on the limited user and agent (5 limits, 10 periods to read). */
async function sequentialPairs(tracker: Tracker): Promise<{ reserve: number[]; settle: number[]; pair: number[] }> {
  const times = { reserve: [] as number[], settle: [] as number[], pair: [] as number[] };
  for (let k = 0; k < WARM_UP_PAIRS + PAIRS; k++) {
    const request = reservation(k, true);
    const started = performance.now();
    const decision = await tracker.reserve(request);
    const reserved = performance.now();
    if (!decision.allowed || decision.source !== 'database') throw new Error(`reservation ${k} not admitted by the database: ${decision.reason}`);
    const settled = await tracker.settle(decision.hold, settledCall(request, 'seq', k));
    const done = performance.now();
    if (!settled.accepted || settled.via !== 'settled') throw new Error(`pair ${k} did not settle: ${JSON.stringify(settled)}`);
    if (k < WARM_UP_PAIRS) continue;
    times.reserve.push(reserved - started);
    times.settle.push(done - reserved);
    times.pair.push(done - started);
  }
  return { reserve: sorted(times.reserve), settle: sorted(times.settle), pair: sorted(times.pair) };
}

/** checkBudget() for one question, `count` times in a row, each timed (ms). */
async function checks(tracker: Tracker, count: number): Promise<{ times: number[]; sources: Set<string> }> {
  const question = { userId: LIMITED_USER, sessionId: null, serviceType: 'workflow', agentId: LIMITED_AGENT, estimatedCost: 0.0875 };
  await tracker.checkBudget(question);
  const times: number[] = [];
  const sources = new Set<string>();
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const verdict = await tracker.checkBudget(question);
    times.push(performance.now() - started);
    sources.add(verdict.source);
  }
  return { times: sorted(times), sources };
}

/** 4 processes reserving and settling for LOAD_SECONDS, started together; their totals. */
async function load(databaseUrl: string, hot: boolean): Promise<LoadTotals[]> {
  const children: BenchProcess[] = [];
  try {
    for (let index = 0; index < PROCESSES; index++) {
      const options: LoadOptions = { databaseUrl, seconds: LOAD_SECONDS, inFlight: IN_FLIGHT, hot, index, processes: PROCESSES, prefix: `${hot ? 'hot' : 'users'}-${index}` };
      children.push(spawnScript('bench/budget-process.ts', {}, [JSON.stringify(options)]));
    }
    await until('the load processes to open their pools', async () => {
      const exited = children.find((c) => c.child.exitCode !== null);
      if (exited) throw new Error(`a load process exited early: ${exited.output()}`);
      return children.every((c) => c.output().includes('{"ready":true}'));
    }, 120_000, 50);
    for (const c of children) c.child.kill('SIGUSR2');
    const codes = await Promise.all(children.map((c) => c.exited));
    return children.map((c, i) => {
      if (codes[i] !== 0) throw new Error(`load process ${i} exited ${codes[i]}: ${c.output()}`);
      const last = c.output().trim().split('\n').at(-1)!;
      return JSON.parse(last) as LoadTotals;
    });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

function loadFigures(what: string, totals: LoadTotals[]): { figure: Figure; note: string } {
  const pairs = totals.reduce((sum, t) => sum + t.pairs, 0);
  const seconds = Math.max(...totals.map((t) => t.seconds));
  const denied = totals.reduce((sum, t) => sum + t.denied, 0);
  const notDecided = totals.reduce((sum, t) => sum + t.notDecided, 0);
  const p50 = Math.max(...totals.map((t) => t.pairP50Ms));
  const p99 = Math.max(...totals.map((t) => t.pairP99Ms));
  const note = `${format(pairs)} pairs in ${format(seconds, 1)} s, ${PROCESSES} processes × ${IN_FLIGHT} in flight; ${denied} denied, ${notDecided} not decided by the database; a pair's p50 ${format(p50, 1)} ms, p99 ${format(p99, 1)} ms (worst process)`;
  if (notDecided > 0) throw new Error(`${what}: ${notDecided} decisions were not the database's (timeouts); the figure would mean nothing`);
  return { figure: figure(what, pairs / seconds, undefined, { digits: 0, note }), note };
}

const entityColumn: Record<string, string> = { organization: 'organization_id', service: 'service_type', tier: 'tier', user: 'user_id', agent: 'agent_id' };

/**
 * Where a decision's time goes: tokensync_reserve alone over one pg connection
 * (the decision, no SDK), and each read it makes for the limited user's request,
 * timed from the client (median of PARTS_ROUNDS). The reservations made here are released.
 */
async function decisionParts(client: pg.Client): Promise<Figure[]> {
  const median = async (sql: string, params: unknown[], after?: (row: Record<string, unknown>) => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < PARTS_ROUNDS; i++) {
      const started = performance.now();
      const { rows } = await client.query(sql, params);
      times.push(performance.now() - started);
      await after?.(rows[0]);
    }
    return quantile(sorted(times), 0.5);
  };
  const request = JSON.stringify({ user_id: LIMITED_USER, agent_id: LIMITED_AGENT, service_type: 'workflow', estimated_cost: 0.0875, estimated_tokens: 27_500 });
  const reserveMs = await median('select public.tokensync_reserve($1::jsonb) as d', [request], (row) =>
    client.query('select public.tokensync_release(($1::jsonb ->> $2)::uuid)', [JSON.stringify(row.d), 'hold_id']),
  );
  const { rows: [user] } = await client.query<{ organization_id: string; tier: string }>(
    'select organization_id, tier from public.token_usage_logs where user_id = $1 order by created_at desc limit 1',
    [LIMITED_USER],
  );
  // Each period as the decision reads it: spend and holds of [its start, its end), in one call.
  const standing = (type: string, id: string, period: 'day' | 'month') =>
    median(
      `select st.* from public.tokensync_period_bounds('${period}', now(), 'UTC') b,
              public.tokensync_entity_standing($1, $2, b.period_start, b.period_end, now()) st`,
      [type, id],
    );
  const entities: [string, string][] = [['organization', user!.organization_id], ['service', 'workflow'], ['tier', user!.tier], ['user', LIMITED_USER], ['agent', LIMITED_AGENT]];
  const parts: string[] = [];
  let reads = 0;
  for (const [type, id] of entities) {
    const day = await standing(type, id, 'day');
    const month = await standing(type, id, 'month');
    reads += day + month;
    // Bucketed entities read whole hours from the buckets, however busy the current hour; users sum their own rows.
    const { rows: [hour] } = await client.query<{ calls: number }>(
      `select count(*)::int as calls from public.token_usage_logs where ${entityColumn[type]} = $1 and created_at >= date_trunc('hour', now(), 'UTC')`,
      [id],
    );
    parts.push(`${type} ${format(day, 2)} + ${format(month, 2)} (${format(hour!.calls)} calls this hour)`);
  }
  const roundTrip = await median('select 1', []);
  return [
    figure('tokensync_reserve alone in SQL, one connection, median (ms)', reserveMs, undefined, {
      note: `the same request without the SDK; a round trip (select 1) is ${format(roundTrip, 2)} ms`,
    }),
    figure('… its reads (spend and holds of a period), each timed alone, summed (ms)', reads, undefined, {
      note: `spend today + this month, by limit: ${parts.join(', ')} ms; each includes a round trip`,
    }),
  ];
}

export const budgetBenchmark: Benchmark = {
  id: 'budget',
  title: 'Budgets that hold: reserve(), settle() and checkBudget() over 1,000,000 logs',
  async run({ databaseUrl }): Promise<BenchResult> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const [, seedSeconds] = await timed(() => seedHistory(client, new Date()));
      // The machine may be shared: the load it had is part of what the figures mean.
      const loadAverage = loadavg()[0]!;
      process.stdout.write(`  history ready in ${format(seedSeconds, 0)} s\n`);

      const tracker = silentTracker(databaseUrl);
      const uncachedTracker = silentTracker(databaseUrl, 0);
      let pairs, cached, uncached, budgetJobRuns;
      try {
        ({ result: pairs, runs: budgetJobRuns } = await besideBudgetJob(databaseUrl, () => sequentialPairs(tracker)));
        cached = await checks(tracker, CACHED_CHECKS);
        uncached = await checks(uncachedTracker, UNCACHED_CHECKS);
      } finally {
        await tracker.close();
        await uncachedTracker.close();
      }
      if ([...cached.sources].join() !== 'cache') throw new Error(`cached checks answered from ${[...cached.sources].join(', ')}`);
      const p = (values: number[], q: number) => quantile(values, q);
      process.stdout.write(`  reserve() p50 ${format(p(pairs.reserve, 0.5), 2)} ms, p99 ${format(p(pairs.reserve, 0.99), 2)} ms\n`);

      const distinct = loadFigures('4 processes, distinct users: reserve + settle pairs per second', (await besideBudgetJob(databaseUrl, () => load(databaseUrl, false))).result);
      const hot = loadFigures('4 processes, one hot user limit: reserve + settle pairs per second', (await besideBudgetJob(databaseUrl, () => load(databaseUrl, true))).result);
      const parts = await decisionParts(client);

      const bar = (value: number, limit: number) => ({ bar: `≤ ${limit}`, pass: value <= limit, digits: 2 });
      return {
        method:
          `${format(HISTORY_LOGS)} logs over the last ${HISTORY_DAYS} days generated in SQL as a bulk load (${ORGANIZATIONS.length} organizations, ` +
          `4 services, 3 tiers, ${format(USERS)} users, ${AGENTS} agents on half the calls, 6 models), the hourly spend buckets filled from them, ` +
          `the seed's 8 limits (organization, services, tiers; alert) plus a blocking user limit (${LIMITED_USER}) and agent limit (${LIMITED_AGENT}), ` +
          `default 10 % grace, then VACUUM ANALYZE. Sequential: ${format(PAIRS)} reserve() + settle() pairs through one SDK tracker over direct Postgres ` +
          `(after ${WARM_UP_PAIRS} untimed), each on ${LIMITED_USER} and ${LIMITED_AGENT} with the gpt-4o estimate of 25,000 in / 2,500 out ($0.0875): ` +
          `5 limits apply (organization and tier found from the user's latest call): the 2 blocking ones are read exactly, daily and monthly, ` +
          `under their locks; the 3 alert-only ones from the spend the budgets job keeps. The worker's budgets job runs beside the timed work ` +
          `every ${BUDGET_JOB_EVERY_MS} ms, as new spend wakes it under load (${format(budgetJobRuns ?? 0)} runs during the sequential pairs). ` +
          `Cached check: ${format(CACHED_CHECKS)} checkBudget() calls for one question within the cache TTL, each timed (uncached: ${format(UNCACHED_CHECKS)} with the cache off). ` +
          `Throughput: ${PROCESSES} processes (bench/budget-process.ts), each with its own tracker and pool, ${IN_FLIGHT} pairs in flight each, ` +
          `started together and run for ${LOAD_SECONDS} s: on distinct users (each call a different user of the ${format(USERS)}, services in turn) and on the one hot user and agent limit. ` +
          `Last, tokensync_reserve and its reads timed alone from a pg client (median of ${PARTS_ROUNDS}), after all the calls above. ` +
          `Load average when the timing began: ${format(loadAverage, 1)} on ${cpus().length} CPUs.`,
        figures: [
          figure('reserve() p50 (ms)', p(pairs.reserve, 0.5), undefined, bar(p(pairs.reserve, 0.5), BAR.p50Ms)),
          figure('reserve() p99 (ms)', p(pairs.reserve, 0.99), undefined, { ...bar(p(pairs.reserve, 0.99), BAR.p99Ms), note: `max ${format(pairs.reserve.at(-1)!, 1)} ms` }),
          figure('settle() p50 (ms)', p(pairs.settle, 0.5), undefined, { digits: 2, note: `p99 ${format(p(pairs.settle, 0.99), 2)} ms` }),
          figure('reserve() + settle() p50 (ms)', p(pairs.pair, 0.5), undefined, bar(p(pairs.pair, 0.5), BAR.p50Ms)),
          figure('reserve() + settle() p99 (ms)', p(pairs.pair, 0.99), undefined, bar(p(pairs.pair, 0.99), BAR.p99Ms)),
          figure('checkBudget(), cached, p50 (ms)', p(cached.times, 0.5), undefined, { digits: 4, bar: `≤ ${BAR.cachedMs}`, pass: p(cached.times, 0.5) <= BAR.cachedMs }),
          figure('checkBudget(), cached, p99 (ms)', p(cached.times, 0.99), undefined, { digits: 4, bar: `≤ ${BAR.cachedMs}`, pass: p(cached.times, 0.99) <= BAR.cachedMs }),
          figure('checkBudget(), cache off, p50 (ms)', p(uncached.times, 0.5), undefined, { digits: 2, note: `p99 ${format(p(uncached.times, 0.99), 2)} ms` }),
          distinct.figure,
          hot.figure,
          ...parts,
        ],
      };
    } finally {
      await client.end();
    }
  },
};
