import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { DATASETS } from '../../src/datasets.js';
import { createLogger } from '../../src/logging/logger.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { insertLogs } from '../support/fixtures.js';
import { harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { dropPrefix, uniquePrefix } from './redis.js';

let h: SyncHarness;
let worker: RunningWorker;
const prefix = uniquePrefix();
const BACKLOG = 7;

/** The raw logs are not synced (no data source recorded): they pile up, an hour old. */
async function arrangeOldBacklog(): Promise<void> {
  const logs = await insertLogs(h.db.pool, Array.from({ length: BACKLOG }, () => ({})));
  const client = await h.db.pool.connect();
  try {
    // Triggers off for this session only: updated_at is normally set by one.
    await client.query(`set session_replication_role = replica`);
    await client.query(`update token_usage_logs set updated_at = now() - interval '1 hour' where id = any($1)`, [logs.map((l) => l.id)]);
  } finally {
    await client.query(`reset session_replication_role`);
    client.release();
  }
}

beforeAll(async () => {
  h = await startSyncHarness();
  await arrangeOldBacklog();
  worker = await startWorker(
    loadConfig({
      ...harnessEnvironment(h, prefix, DATASETS.filter((d) => d !== 'token_usage_logs')),
      NOTION_REQUESTS_PER_SECOND: '50',
      SYNC_INTERVAL_MS: '1000',
      SYNC_SETTLE_MS: '0',
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    }),
    createLogger({ level: 'silent' }),
  );
});
afterAll(async () => {
  await worker?.stop();
  await h.close();
  await dropPrefix(prefix);
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${worker.httpPort}${path}`);
  return { status: res.status, body: await res.text() };
};
const gauge = (metrics: string, name: string, labels: string) => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('a lane that cannot keep up', () => {
  it('shows on /metrics: per lane and per dataset, the exact backlog and the age of its oldest change', async () => {
    const metrics = (await get('/metrics')).body;
    expect(gauge(metrics, 'tokensync_lane_backlog_rows', 'lane="logs"')).toBe(BACKLOG);
    expect(gauge(metrics, 'tokensync_sync_backlog_rows', 'dataset="token_usage_logs"')).toBe(BACKLOG);
    expect(gauge(metrics, 'tokensync_lane_oldest_unsynced_seconds', 'lane="logs"')).toBeGreaterThanOrEqual(3600);
    expect(gauge(metrics, 'tokensync_sync_oldest_unsynced_seconds', 'dataset="token_usage_logs"')).toBeGreaterThanOrEqual(3600);
    expect(gauge(metrics, 'tokensync_lane_behind', 'lane="logs"')).toBe(1);
    expect(gauge(metrics, 'tokensync_lane_lag_limit_seconds', 'lane="logs"')).toBe(900);
    expect(gauge(metrics, 'tokensync_lane_failed_rows', 'lane="logs"')).toBe(0);
    expect(gauge(metrics, 'tokensync_sync_backlog_capped', 'dataset="token_usage_logs"')).toBe(0);
    for (const lane of ['alerts', 'rollups']) expect(gauge(metrics, 'tokensync_lane_behind', `lane="${lane}"`), lane).toBe(0);
  });

  it('is a warning on /readyz, which stays ready: the other lanes are still served', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    const lines = ready.body.trim().split('\n');
    expect(lines[0]).toBe('ready');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^warning: lane logs is behind: its oldest unsynced change waited 1h 0\dm \(limit 15m 00s\), 7 rows to write$/),
    ]);
  });
});
