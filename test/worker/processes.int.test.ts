/**
 * Worker processes as operators run them: several on one Redis, killed with
 * SIGKILL mid-sync, and with Redis taken away (through a TCP proxy) mid-run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_ECHO_MS } from '../../src/cli/signals.js';
import { DATASETS } from '../../src/datasets.js';
import { insertLogs } from '../support/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { insertOneOfEach, pagesByKey, harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { spawnWorker, waitUntil, type WorkerProcess } from './processes.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis.js';

let h: SyncHarness;
let prefix: string;
let workers: WorkerProcess[];
beforeEach(async () => {
  h = await startSyncHarness();
  prefix = uniquePrefix();
  workers = [];
});
afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await h.close();
  await dropPrefix(prefix);
});

function start(overrides: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorker({
    ...harnessEnvironment(h, prefix),
    SYNC_INTERVAL_MS: '1000',
    SYNC_SETTLE_MS: '0',
    SYNC_LEASE_TTL_MS: '3000',
    WORKER_HTTP_PORT: '0',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    // The raw-log window may use the whole rate and hold every test row: these tests are about processes.
    TOKEN_LOG_REQUEST_SHARE: '1',
    TOKEN_LOG_PAGE_BUDGET: '5000',
    ...overrides,
  });
  workers.push(worker);
  return worker;
}

/** Every id has exactly one live page. */
function allSyncedOnce(ids: unknown[]): boolean {
  const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
  return ids.every((id) => pages.get(String(id))?.length === 1);
}

/**
 * Every id has at most one live page, and those without one were counted as
 * left out of the raw-log window (over its share): no row twice, no silent gap.
 */
async function allAccountedFor(ids: unknown[]): Promise<boolean> {
  const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
  if (ids.some((id) => (pages.get(String(id))?.length ?? 0) > 1)) return false;
  const shown = ids.filter((id) => pages.has(String(id))).length;
  const { rows } = await h.db.pool.query('select left_out_total::int as n from tokensync.log_window');
  return shown + (rows[0]?.n ?? 0) === ids.length;
}

function duplicates(): number {
  let n = 0;
  for (const dataset of DATASETS) {
    for (const pages of pagesByKey(h.fake, h.dataSources[dataset]).values()) n += pages.length - 1;
  }
  return n;
}

describe('worker processes', () => {
  it('two workers on one Redis share the work and the rate limit: no duplicates, no 429', { timeout: 90_000 }, async () => {
    // The fake refuses anything over 8/s (burst 8); the workers are allowed 8/s between them.
    h.fake.setRateLimit({ requestsPerSecond: 8, burst: 8 });
    const logs = await insertLogs(h.db.pool, Array.from({ length: 60 }, () => ({})));
    await insertOneOfEach(h.db);
    const [a, b] = [start({ NOTION_REQUESTS_PER_SECOND: '8' }), start({ NOTION_REQUESTS_PER_SECOND: '8' })];
    await Promise.all([a.port(), b.port()]);

    await waitUntil(() => allSyncedOnce(logs.map((l) => l.id)));
    expect(duplicates()).toBe(0);
    expect(h.fake.count({ status: 429 })).toBe(0);
    // Both took jobs.
    await Promise.all([a, b].map((w) => w.waitForLine((l) => l.msg === 'sync pass done')));

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  });

  it('converges after kill -9 mid-sync and a restart: every row once', { timeout: 90_000 }, async () => {
    h.fake.setRateLimit(false);
    const logs = await insertLogs(h.db.pool, Array.from({ length: 150 }, () => ({})));
    const first = start({ NOTION_REQUESTS_PER_SECOND: '20' });
    await waitUntil(() => pagesByKey(h.fake, h.dataSources.token_usage_logs).size >= 20, 10);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(pagesByKey(h.fake, h.dataSources.token_usage_logs).size).toBeLessThan(logs.length);

    const second = start({ NOTION_REQUESTS_PER_SECOND: '100' });
    await waitUntil(() => allSyncedOnce(logs.map((l) => l.id)));
    expect(duplicates()).toBe(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM in the middle of a long backlog stops the pass at once; a restart goes on with no row twice', { timeout: 120_000 }, async () => {
    h.fake.setRateLimit(false);
    // 1,500 rows at 20/s would take 75 s; the shutdown allowance (60 s) would end first. Only stopping the pass can pass this.
    const logs = await insertLogs(h.db.pool, Array.from({ length: 1500 }, () => ({})));
    const first = start({ NOTION_REQUESTS_PER_SECOND: '20', WORKER_SHUTDOWN_TIMEOUT_MS: '60000', LOG_LEVEL: 'debug' });
    await waitUntil(() => pagesByKey(h.fake, h.dataSources.token_usage_logs).size >= 40, 10);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines.some((l) => l.msg === 'job failed')).toBe(false);
    expect(pagesByKey(h.fake, h.dataSources.token_usage_logs).size).toBeLessThan(logs.length);

    const second = start({ NOTION_REQUESTS_PER_SECOND: '500' });
    // Polled gently: the fake serves the worker from this process.
    await waitUntil(() => allAccountedFor(logs.map((l) => l.id)), 500);
    expect(duplicates()).toBe(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start without Redis: one line naming REDIS_URL and how to start one, exit 1', { timeout: 30_000 }, async () => {
    const worker = start({ REDIS_URL: 'redis://127.0.0.1:9', WORKER_REDIS_STARTUP_TIMEOUT_MS: '1500' });
    expect(await worker.exited).toBe(1);
    expect(worker.stderr()).toMatch(/^error: Redis does not answer at 127\.0\.0\.1:9 \(REDIS_URL\) after 1\.5 s\. Start one — `redis-server --daemonize yes`/m);
    expect(worker.lines.filter((l) => l.msg === 'redis connection error')).toEqual([]);
  });

  /** Syncs, loses the service behind `proxy` (readiness says so), gets it back, and catches up. */
  async function survivesOutage(proxy: TcpProxy, env: Record<string, string>) {
    try {
      const worker = start({ ...env, NOTION_REQUESTS_PER_SECOND: '100' });
      const port = await worker.port();
      const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      const before = await insertLogs(h.db.pool, [{}, {}]);
      await waitUntil(() => allSyncedOnce(before.map((l) => l.id)));

      proxy.cut();
      await waitUntil(async () => (await ready()) === 503);
      const during = await insertLogs(h.db.pool, [{}, {}, {}]);
      proxy.restore();

      await waitUntil(() => allSyncedOnce([...before, ...during].map((l) => l.id)));
      await waitUntil(async () => (await ready()) === 200);
      expect(duplicates()).toBe(0);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  }

  it('picks up again after Redis goes away mid-run', { timeout: 90_000 }, async () => {
    const redis = new URL(REDIS_URL);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    await survivesOutage(proxy, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  });

  it('picks up again after Postgres goes away mid-run', { timeout: 90_000 }, async () => {
    const proxy = await startTcpProxy();
    await survivesOutage(proxy, { DATABASE_URL: proxy.urlFor(h.db.name) });
  });

  it('waits for jobs in flight on SIGTERM, and exits at once on a second signal', { timeout: 30_000 }, async () => {
    await insertLogs(h.db.pool, [{}]);
    // The first create hangs for 20 s: a job is in flight when the signals come.
    h.fake.faults.delay(20_000, { count: 1, match: { method: 'POST', route: '/v1/pages' } });
    const worker = start({ WORKER_SHUTDOWN_TIMEOUT_MS: '25000' });
    await worker.port();
    await waitUntil(() => h.fake.faults.pending().length === 0);
    worker.child.kill('SIGTERM');
    await worker.waitForLine((l) => l.msg === 'stopping');
    // A copy of the first signal (npm relays what the process group got) is not a second one.
    await new Promise((resolve) => setTimeout(resolve, SIGNAL_ECHO_MS + 200));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(1);
    expect(worker.lines.some((l) => l.msg === 'second signal: exiting now')).toBe(true);
  });
});
