/**
 * The fault matrix: for each fault, a real worker process has all three kinds
 * of work in flight — a backlog of usage rows syncing, spend crossing a budget
 * so an alert is raised, and the report page — when the fault hits. Afterwards:
 * no page twice in any dataset, every row and every alert in Notion once, the
 * report written again, the same worker ready again without a hand on it (after
 * SIGKILL a second one takes over, as a supervisor would start it), and the
 * failure visible: a log line naming it, a metric on /metrics that moved, and
 * where jobs failed, the reason kept on the failed job.
 *
 * One database, one Notion fake and two TCP proxies (Redis, Postgres) serve
 * every fault in turn; each fault gets its own queue prefix and budget, and
 * the one that restarts Redis empty a redis-server of its own.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { readReportOutcome } from '../../src/jobs/report-outcome.js';
import { REPORT_TITLE } from '../../src/report/render.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { harnessEnvironment, pagesByKey, PARENT, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { spawnWorker, waitUntil, type WorkerProcess } from './processes.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis.js';

type Line = Record<string, unknown>;

/** Requests the fake answered, with when: to tell whether anyone sent during a pause Notion asked for. */
const timeline: { at: number; status: number | string }[] = [];
let h: SyncHarness;
let redisProxy: TcpProxy;
let postgresProxy: TcpProxy;
/** The machine's Redis, for the faults that reach it through the proxy. */
let sharedRedis: Redis;
/** The Redis of the fault in progress, as the test reads it. */
let redis: Redis;
const prefixes: string[] = [];
let workers: WorkerProcess[] = [];
/** What a fault started for itself, stopped after it. */
let cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  h = await startSyncHarness({ onRequest: (_method, _route, status) => timeline.push({ at: Date.now(), status }) });
  const target = new URL(REDIS_URL);
  redisProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  postgresProxy = await startTcpProxy();
  sharedRedis = new Redis(REDIS_URL);
});
afterEach(async () => {
  h.fake.faults.clear();
  redisProxy.restore();
  postgresProxy.restore();
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});
afterAll(async () => {
  sharedRedis?.disconnect();
  await redisProxy?.close();
  await postgresProxy?.close();
  await h?.close();
  for (const prefix of prefixes) await dropPrefix(prefix);
});

/** A worker on this fault's prefix, reaching Redis (unless told another) and Postgres through the proxies, with every task every second. */
function startWorker(prefix: string, overrides: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorker({
    ...harnessEnvironment(h, prefix),
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    DATABASE_URL: postgresProxy.urlFor(h.db.name),
    NOTION_PARENT_PAGE_ID: PARENT,
    NOTION_REQUESTS_PER_SECOND: '20',
    SYNC_INTERVAL_MS: '1000',
    SYNC_SETTLE_MS: '0',
    SYNC_LEASE_TTL_MS: '3000',
    BUDGET_INTERVAL_MS: '1000',
    ROLLUP_INTERVAL_MS: '1000',
    REPORT_INTERVAL_MS: '1000',
    SPEND_WAKE_WINDOW_MS: '1000',
    // Shorter than any wait below (a 61 s Retry-After, a stalled answer): a job that waits must keep its lock.
    WORKER_JOB_LOCK_MS: '4000',
    NOTION_TIMEOUT_MS: '3000',
    WORKER_HTTP_PORT: '0',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    TOKEN_LOG_REQUEST_SHARE: '1',
    TOKEN_LOG_PAGE_BUDGET: '5000',
    ...overrides,
  });
  workers.push(worker);
  return worker;
}

const get = async (port: number, path: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
};

/** The sum of a metric's samples whose labels include `labels`. */
async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { status, body } = await get(port, '/metrics');
  expect(status, `/metrics answered ${status}: ${body.slice(0, 300)}`).toBe(200);
  let sum = 0;
  for (const line of body.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

/** Pages in every dataset that share a Supabase ID with another. */
function duplicatePages(): Record<string, number> {
  const found: Record<string, number> = {};
  for (const dataset of DATASETS) {
    for (const [key, pages] of pagesByKey(h.fake, h.dataSources[dataset])) if (pages.length > 1) found[`${dataset} ${key}`] = pages.length;
  }
  return found;
}

const reportPages = () => (h.fake.state.blocks(PARENT) as Record<string, any>[]).filter((b) => b.child_page?.title === REPORT_TITLE && !b.in_trash);

/** What Postgres holds and Notion lacks (or holds twice): usage rows and cost alerts. */
async function missingInNotion(): Promise<string[]> {
  const missing: string[] = [];
  for (const dataset of ['token_usage_logs', 'cost_alerts'] as const) {
    const pages = pagesByKey(h.fake, h.dataSources[dataset]);
    const { rows } = await h.db.pool.query(`select id::text from public.${dataset}`);
    for (const { id } of rows) if (pages.get(id)?.length !== 1) missing.push(`${dataset} ${id}: ${pages.get(id)?.length ?? 0} pages`);
  }
  return missing;
}

let faultNumber = 0;

/** The work every fault meets: a budget of $1 a day for one user, and a backlog of 30 of their calls, 1 cent each. */
async function putWorkInFlight() {
  const user = `fault-user-${++faultNumber}`;
  await insertLimits(h.db.pool, [{ entity_type: 'user', entity_id: user, daily_limit: 1, alert_thresholds: [50, 100], breach_action: 'alert' }]);
  const logs = await insertLogs(h.db.pool, Array.from({ length: 30 }, () => ({ user_id: user, total_cost: 0.01 })));
  return { user, ids: logs.map((l) => String(l.id)) };
}

/** 10 more calls of 10 cents: the user's spend crosses 50% and 100%, so the budget evaluation raises two alerts. */
async function crossBudget(user: string) {
  const logs = await insertLogs(h.db.pool, Array.from({ length: 10 }, () => ({ user_id: user, total_cost: 0.1 })));
  return logs.map((l) => String(l.id));
}

const syncedOf = (ids: string[]) => {
  const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
  return ids.filter((id) => pages.has(id)).length;
};

interface FaultContext {
  worker: WorkerProcess;
  /** The Redis of its own, for a fault that has one. */
  ownRedis: OwnRedis | undefined;
  /** This fault's usage rows: the backlog in flight, then the calls that cross the budget. */
  ids: string[];
  backlog: string[];
  /** Starts another worker on this fault's prefix (the SIGKILL case). */
  start(overrides?: Record<string, string>): WorkerProcess;
}

interface Fault {
  name: string;
  /** Runs against a Redis server of its own (to restart it empty) instead of the machine's behind the proxy. */
  ownRedis?: boolean;
  timeoutMs?: number;
  /** Hits while the work is in flight; resolves with the worker expected to carry on, once the fault is over. */
  hit(context: FaultContext): Promise<WorkerProcess>;
  /** The log line (after the fault began) that names it. */
  line: (line: Line) => boolean;
  /** The metric that moved. */
  metric: { name: string; labels?: Record<string, string> };
  /** The reason a job failed with, where the fault fails jobs: in the failed job itself and on tokensync_failed_jobs_total. */
  failedJob?: RegExp;
  /** Checks of its own, after everything has converged. */
  after?(context: FaultContext & { survivor: WorkerProcess; hitAt: number }): Promise<void> | void;
}

/** Why jobs of this prefix failed, as BullMQ keeps it on each job (one retried and since done included). */
async function failedReasons(prefix: string): Promise<string[]> {
  const reasons: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if ((await redis.type(key)) !== 'hash') continue;
      const reason = await redis.hget(key, 'failedReason');
      if (reason) reasons.push(reason);
    }
  } while (cursor !== '0');
  return reasons;
}

const jobFailed = (reason: RegExp) => (l: Line) => l.msg === 'job failed' && reason.test(String((l.err as { message?: string } | undefined)?.message));
const sentBetween = (from: number, to: number) => timeline.filter((r) => r.at > from && r.at < to);

/** Waits until the backlog is being written: some of this fault's rows are in Notion, not all. */
const inFlight = async (ids: string[]) => waitUntil(() => syncedOf(ids) >= 3, 20);

const FAULTS: Fault[] = [
  {
    name: 'Redis restart',
    async hit({ worker }) {
      const port = await worker.port();
      redisProxy.cut();
      await waitUntil(async () => (await get(port, '/readyz')).status === 503, 100);
      // What an operator looks at while Redis is away still answers.
      expect((await get(port, '/metrics')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      redisProxy.restore();
      return worker;
    },
    line: (l) => l.msg === 'redis connection error' || l.msg === 'redis connection lost; reconnecting',
    metric: { name: 'tokensync_redis_connection_errors_total' },
  },
  {
    name: 'Redis restart that loses its data (no persistence)',
    ownRedis: true,
    async hit({ worker, ownRedis }) {
      await ownRedis!.restartEmpty();
      return worker;
    },
    // Without its schedulers the worker would sit idle: the report below is only written again if they are back.
    line: (l) => l.msg === 'Redis is back: job schedulers installed again',
    metric: { name: 'tokensync_redis_connection_errors_total' },
  },
  {
    name: 'Postgres restart',
    async hit({ worker }) {
      const port = await worker.port();
      postgresProxy.cut();
      await waitUntil(async () => (await get(port, '/readyz')).status === 503, 100);
      expect((await get(port, '/metrics')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      postgresProxy.restore();
      return worker;
    },
    line: jobFailed(/terminat|ECONNRESET|ECONNREFUSED|connect|closed/i),
    failedJob: /terminat|ECONNRESET|ECONNREFUSED|connect|closed/i,
    metric: { name: 'tokensync_failed_jobs_total' },
  },
  {
    name: 'SIGKILL of a worker mid-batch',
    async hit({ worker, start, backlog }) {
      expect(syncedOf(backlog), 'killed mid-batch').toBeLessThan(backlog.length);
      worker.child.kill('SIGKILL');
      await worker.exited;
      // The supervisor starts another; it takes over what the dead one held once its lock lapses.
      const next = start();
      await next.port();
      return next;
    },
    line: (l) => l.msg === 'job stalled; it will run again',
    metric: { name: 'tokensync_stalled_jobs_total' },
  },
  {
    name: 'Notion 429 storm with Retry-After above 60 s',
    timeoutMs: 150_000,
    async hit({ worker }) {
      const from = timeline.length;
      h.fake.faults.fail(429, 50, {}, 61);
      await waitUntil(() => timeline.slice(from).some((r) => r.status === 429), 20);
      const firstAt = timeline.slice(from).find((r) => r.status === 429)!.at;
      // Requests already on their way are answered at once; anything after is a sender that did not wait.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      h.fake.faults.clear();
      await waitUntil(() => Date.now() > firstAt + 58_000, 500, 70_000);
      expect(sentBetween(firstAt + 1000, firstAt + 58_000), 'requests sent while Notion asked to wait').toEqual([]);
      return worker;
    },
    line: (l) => l.msg === 'Notion asked every sender to wait' && l.status === 429 && l.retryAfterSeconds === 61,
    metric: { name: 'tokensync_notion_rate_limited_total' },
    after({ survivor }) {
      // Nothing given up, nothing run twice: the jobs kept their locks through the wait.
      expect(survivor.lines.filter((l) => l.msg === 'job stalled; it will run again' || l.msg === 'job failed')).toEqual([]);
    },
  },
  {
    name: 'Notion 529 service_overload with Retry-After',
    async hit({ worker }) {
      h.fake.faults.fail(529, 3, {}, 2);
      await waitUntil(() => h.fake.faults.pending().length === 0, 50);
      return worker;
    },
    line: (l) => l.msg === 'Notion asked every sender to wait' && l.status === 529,
    metric: { name: 'tokensync_notion_requests_total', labels: { status: '529' } },
  },
  {
    name: 'HTML 502 from a proxy in front of Notion',
    async hit({ worker }) {
      h.fake.faults.failFromProxy(502, 6, { method: 'POST' });
      await waitUntil(() => h.fake.faults.pending().length === 0, 50);
      return worker;
    },
    line: jobFailed(/502/),
    failedJob: /502/,
    metric: { name: 'tokensync_notion_requests_total', labels: { status: '502' } },
  },
  {
    name: 'dropped create responses',
    async hit({ worker }) {
      h.fake.faults.loseResponses(3);
      await waitUntil(() => h.fake.faults.pending().length === 0, 50);
      return worker;
    },
    line: jobFailed(/does not answer|socket|closed/i),
    failedJob: /does not answer|socket|closed/i,
    metric: { name: 'tokensync_notion_requests_total', labels: { status: 'network' } },
  },
  {
    name: 'a connection that stalls mid-body',
    async hit({ worker }) {
      h.fake.faults.stallResponses(2);
      await waitUntil(() => h.fake.faults.pending().length === 0, 50);
      return worker;
    },
    line: jobFailed(/no complete answer within 3 s/),
    failedJob: /no complete answer within 3 s/,
    metric: { name: 'tokensync_notion_requests_total', labels: { status: 'timeout' } },
  },
];

describe('fault matrix: a sync pass, a budget evaluation and a report in flight', () => {
  for (const fault of FAULTS) it(fault.name, { timeout: fault.timeoutMs ?? 90_000 }, async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const ownRedis = fault.ownRedis ? await startOwnRedis() : undefined;
    cleanups.push(async () => ownRedis?.stop());
    redis = ownRedis ? new Redis(ownRedis.url) : sharedRedis;
    // Refused while the fault restarts it: the client reconnects, and the test need not hear of it.
    if (ownRedis) redis.on('error', () => undefined);
    if (ownRedis) cleanups.push(async () => redis.disconnect());
    const start = (overrides: Record<string, string> = {}) =>
      startWorker(prefix, { ...(ownRedis ? { REDIS_URL: ownRedis.url } : {}), ...overrides });
    const worker = start();
    await worker.port();
    const { user, ids: backlog } = await putWorkInFlight();
    await inFlight(backlog);
    const before = await metric(await worker.port(), fault.metric.name, fault.metric.labels);
    const failedBefore = await metric(await worker.port(), 'tokensync_failed_jobs_total');
    const linesBefore = worker.lines.length;
    const ids = [...backlog, ...(await crossBudget(user))];
    const hitAt = Date.now();

    const context: FaultContext = { worker, ownRedis, ids, backlog, start };
    const survivor = await fault.hit(context);
    const port = await survivor.port();

    // Every row and every alert once; nothing twice anywhere.
    await waitUntil(async () => (await missingInNotion()).length === 0, 250, 90_000).catch(async () => {
      expect(await missingInNotion()).toEqual([]);
    });
    expect(duplicatePages()).toEqual({});
    const { rows: alerts } = await h.db.pool.query(
      `select threshold_pct::int as pct from cost_alerts where entity_type = 'user' and entity_id = $1 and kind = 'threshold' order by 1`,
      [user],
    );
    expect(alerts.map((a) => a.pct)).toEqual([50, 100]);
    // The report was written again after the fault, and there is one.
    const reportedAfter = async () => {
      const outcome = await readReportOutcome(redis, prefix);
      return outcome?.ok === true && Date.parse(outcome.at) > hitAt;
    };
    await waitUntil(reportedAfter, 200, 30_000).catch(async () => expect(await readReportOutcome(redis, prefix), 'the report written after the fault').toMatchObject({ ok: true }));
    expect(await reportedAfter(), 'the report written after the fault').toBe(true);
    expect(reportPages()).toHaveLength(1);
    // Ready again, by itself.
    await waitUntil(async () => (await get(port, '/readyz')).status === 200, 200, 30_000);
    expect(survivor.child.exitCode).toBeNull();

    // Visible: a line naming it, a metric that moved.
    const linesSince = () => (survivor === worker ? worker.lines.slice(linesBefore) : survivor.lines);
    // A dead worker's jobs are looked for every WORKER_JOB_LOCK_MS: that line may come after everything converged.
    await waitUntil(() => linesSince().some(fault.line), 200, 20_000).catch(() => undefined);
    expect(linesSince().some(fault.line), `a log line naming "${fault.name}"`).toBe(true);
    // A worker that took over counts from zero.
    const baseline = survivor === worker ? before : 0;
    await waitUntil(async () => (await metric(port, fault.metric.name, fault.metric.labels)) > baseline, 200, 30_000).catch(() => undefined);
    expect(await metric(port, fault.metric.name, fault.metric.labels), `${fault.metric.name} moved`).toBeGreaterThan(baseline);
    if (fault.failedJob) {
      const reason = fault.failedJob;
      expect(linesSince().some(jobFailed(reason)), `a 'job failed' line with ${reason}`).toBe(true);
      expect(await metric(port, 'tokensync_failed_jobs_total')).toBeGreaterThan(survivor === worker ? failedBefore : 0);
      expect(await failedReasons(prefix), 'failed jobs keep their reason').toContainEqual(expect.stringMatching(reason));
    }
    await fault.after?.({ ...context, survivor, hitAt });

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  });
});
