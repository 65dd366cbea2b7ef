import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { DATASETS, type Dataset } from '../../src/datasets.js';
import { createLogger } from '../../src/logging/logger.js';
import { DEAD_LETTER_QUEUE, syncQueueName } from '../../src/worker/queues.js';
import { LANES } from '../../src/notion/rate-limit/lanes.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { insertLogs } from '../support/fixtures.js';
import { insertOneOfEach, pagesByKey, harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis.js';

let h: SyncHarness;
let worker: RunningWorker;
let events: QueueEvents[];
const prefix = uniquePrefix();

function workerEnv(): Record<string, string> {
  return {
    ...harnessEnvironment(h, prefix),
    NOTION_REQUESTS_PER_SECOND: '50',
    SYNC_INTERVAL_MS: '1000',
    SYNC_SETTLE_MS: '0',
    WORKER_HTTP_PORT: '0',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
  };
}

/** Resolves once every dataset has completed a sync job that started after now. */
function nextRoundOfPasses(): Promise<void> {
  const pending = new Set<string>(DATASETS);
  const since = Date.now();
  const queues = LANES.map((lane) => new Queue(syncQueueName(lane), { connection: { url: REDIS_URL }, prefix }));
  return new Promise<void>((resolve) => {
    const listeners = LANES.map((_, i) => async ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
      const job = await queues[i]!.getJob(jobId);
      if (!job || (job.processedOn ?? 0) < since || (returnvalue as { skipped?: string } | null)?.skipped) return;
      pending.delete(job.data.dataset);
      if (pending.size === 0) {
        events.forEach((e, j) => e.off('completed', listeners[j]!));
        void Promise.all(queues.map((q) => q.close()));
        resolve();
      }
    });
    events.forEach((e, i) => e.on('completed', listeners[i]!));
  });
}

beforeAll(async () => {
  h = await startSyncHarness();
  events = LANES.map((lane) => new QueueEvents(syncQueueName(lane), { connection: { url: REDIS_URL }, prefix }));
  await Promise.all(events.map((e) => e.waitUntilReady()));
  worker = await startWorker(loadConfig(workerEnv()), createLogger({ level: 'silent' }));
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all((events ?? []).map((e) => e.close()));
  await h.close();
  await dropPrefix(prefix);
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${worker.httpPort}${path}`);
  return { status: res.status, body: await res.text() };
};

describe('npm run worker', () => {
  it('syncs every dataset on its schedule', async () => {
    const logs = await insertLogs(h.db.pool, [{}, {}, {}]);
    const others = await insertOneOfEach(h.db);
    await nextRoundOfPasses();
    // A pass reads up to the start of the oldest transaction still writing (the worker's own budget
    // evaluations, woken by these inserts, are such writers), so a row may take one more pass.
    await vi.waitFor(() => {
      expect(pagesByKey(h.fake, h.dataSources.token_usage_logs).size).toBe(logs.length);
      // The worker also writes rows itself (rollups, alerts), so: every row inserted here has
      // exactly one page, and no key has two.
      for (const [dataset, rows] of Object.entries(others)) {
        const pages = pagesByKey(h.fake, h.dataSources[dataset as keyof typeof h.dataSources]);
        for (const row of rows) expect(pages.get(row.id as string), `${dataset} ${row.id}`).toHaveLength(1);
        expect([...pages.values()].filter((p) => p.length > 1), dataset).toEqual([]);
      }
    }, { timeout: 20_000, interval: 100 });
    // One scheduler per dataset, on the queue of its lane.
    const schedulers = await Promise.all(LANES.map(async (lane) => [lane, (await worker.syncQueues[lane].getJobSchedulers()).map((s) => s.key).sort()]));
    expect(Object.fromEntries(schedulers)).toEqual({
      alerts: ['sync-budget_limits', 'sync-cost_alerts'],
      rollups: ['sync-daily_cost_breakdown', 'sync-service_performance_metrics', 'sync-workflow_analytics'],
      logs: ['sync-token_usage_logs'],
    });
  });

  it('serves health, readiness and metrics on 127.0.0.1', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ready\n' });
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/tokensync_sync_rows_total\{dataset="token_usage_logs",outcome="created"\} [1-9]/);
    expect(metrics).toMatch(/tokensync_notion_requests_total\{status="200"\} [1-9]/);
    expect(metrics).toMatch(/tokensync_sync_lag_seconds\{dataset="cost_alerts"\} /);
    expect(metrics).toMatch(/tokensync_queue_jobs\{queue="sync-logs",state="delayed"\} /);
    expect(metrics).toMatch(/tokensync_queue_jobs\{queue="budgets",state="delayed"\} /);
    expect(metrics).toMatch(/tokensync_change_listener_up 1/);
    expect(metrics).toMatch(/tokensync_notion_rate_limited_total 0/);
    expect(metrics).toMatch(/^tokensync_notion_creates_blocked 0$/m);
    // Notion's block limit, as recorded by any process, shows on the next scrape.
    await h.db.pool.query(`select public.tokensync_notion_creation_stop('req-1', 'block limit')`);
    try {
      expect((await get('/metrics')).body).toMatch(/^tokensync_notion_creates_blocked 1$/m);
    } finally {
      await h.db.pool.query(`select public.tokensync_notion_creation_resume()`);
    }
  });

  it('puts a row Notion refuses in the failed set with its key and reason, and goes on', async () => {
    // The next page create is refused as invalid, for good (whichever dataset sends it: rollups follow the calls).
    h.fake.faults.fail(400, 1, { method: 'POST', route: '/v1/pages' });
    await insertLogs(h.db.pool, Array.from({ length: 5 }, (_, i) => ({ model: `model-${i}` })));
    await nextRoundOfPasses();

    const deadLetters = new Queue(DEAD_LETTER_QUEUE, { connection: { url: REDIS_URL }, prefix });
    try {
      const [job] = await waitForFailed(deadLetters, 1);
      const { dataset, key } = job!.data as { dataset: Dataset; key: string };
      expect(job!.failedReason).toMatch(new RegExp(`^${dataset} ${key}: .*validation_error`));
      expect(pagesByKey(h.fake, h.dataSources[dataset]).has(key)).toBe(false);
    } finally {
      await deadLetters.close();
    }
    // The other calls went on to Notion.
    const { rows } = await h.db.pool.query(`select id from token_usage_logs where model like 'model-%'`);
    const logs = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    expect(rows.filter((r) => logs.has(r.id)).length).toBeGreaterThanOrEqual(rows.length - 1);
  });
});

/** The dead-letter worker fails each letter as it arrives; wait until `count` have. */
async function waitForFailed(queue: Queue, count: number) {
  const letters = new QueueEvents(DEAD_LETTER_QUEUE, { connection: { url: REDIS_URL }, prefix });
  try {
    await letters.waitUntilReady();
    const enough = new Promise<void>((resolve) => {
      const check = async () => {
        if ((await queue.getFailedCount()) >= count) {
          letters.off('failed', check);
          resolve();
        }
      };
      letters.on('failed', check);
      void check();
    });
    await enough;
    return queue.getFailed();
  } finally {
    await letters.close();
  }
}
