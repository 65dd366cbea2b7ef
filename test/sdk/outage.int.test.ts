/**
 * The database going away under a tracker: simulated with a TCP proxy in front of
 * the shared PostgreSQL (which other test files keep using), never by stopping it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Tracker, TrackerOptions } from '../../src/sdk/tracker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { captureLogs, openTracker, type CapturedLogs } from '../support/sdk.js';
import { usageCall } from '../support/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let db: TestDatabase;
let proxy: TcpProxy;
let tracker: Tracker | undefined;
let logs: CapturedLogs;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  proxy = await startTcpProxy();
  logs = captureLogs();
  await db.pool.query('truncate token_usage_logs');
});
afterEach(async () => {
  proxy.restore();
  await tracker?.close({ timeoutMs: 5_000 });
  tracker = undefined;
  await proxy.close();
});

const call = usageCall;

/** A tracker connected through the proxy, warmed up so that prices are loaded before the outage. */
async function trackerThroughProxy(options: TrackerOptions = {}): Promise<Tracker> {
  tracker = openTracker(db, 'postgres', { databaseUrl: proxy.urlFor(db.name), logs, flushIntervalMs: 20, ...options });
  tracker.record(call('warm-up'));
  expect(await tracker.flush()).toMatchObject({ written: 1 });
  return tracker;
}

const rowCount = async () => (await db.pool.query('select count(*)::int as n from token_usage_logs')).rows[0].n as number;
const waitFor = (check: () => Promise<void> | void) => vi.waitFor(check, { timeout: 15_000, interval: 10 });

describe('Postgres unreachable for a while', () => {
  it('rows recorded during the outage are written after it ends; failures are logged and counted', async () => {
    const t = await trackerThroughProxy();
    proxy.cut();
    for (let i = 0; i < 2_000; i++) expect(t.record(call(`outage-${i}`)).accepted).toBe(true);
    // Wait until the writer has really hit the outage, twice.
    await waitFor(() => expect(t.stats().failedWrites).toBeGreaterThanOrEqual(2));
    expect(await rowCount()).toBe(1);

    proxy.restore();
    const report = await t.flush();
    expect(report).toMatchObject({ written: 2_000, duplicates: 0, dropped: 0, pending: 0, lastError: expect.any(String) });
    expect(await rowCount()).toBe(2_001);
    expect(logs.lines.some((l) => l.msg === 'writing usage records failed; retrying' && l.level === 40)).toBe(true);
  });

  it('beyond the buffer limit, records are dropped and reported as dropped', async () => {
    const t = await trackerThroughProxy({ maxBufferedRecords: 1_000 });
    proxy.cut();
    const outcomes = Array.from({ length: 1_500 }, (_, i) => t.record(call(`buffered-${i}`)));
    expect(outcomes.filter((o) => o.accepted)).toHaveLength(1_000);
    expect(outcomes[1_000]).toEqual({ accepted: false, reason: 'buffer full (1000 records waiting to be written)' });

    proxy.restore();
    expect(await t.flush()).toMatchObject({ written: 1_000, dropped: 500, pending: 0 });
    const { rows } = await db.pool.query(`select max(split_part(request_id, '-', 2)::int) as last from token_usage_logs where request_id like 'buffered-%'`);
    expect(rows[0].last).toBe(999);
  });

  it('a batch whose answer was lost after it committed is retried without creating a row twice', async () => {
    const t = await trackerThroughProxy({ batchSize: 500, flushIntervalMs: 60_000 });
    proxy.holdResponses();
    for (let i = 0; i < 500; i++) t.record(call(`lost-answer-${i}`));
    const flushed = t.flush();
    // The batch commits, but its answer never reaches the tracker…
    await waitFor(async () => expect(await rowCount()).toBe(501));
    // …then the connection drops, and the tracker retries the whole batch.
    proxy.cut();
    proxy.restore();
    expect(await flushed).toMatchObject({ written: 0, duplicates: 500, dropped: 0, pending: 0 });
    expect(await rowCount()).toBe(501);
  });

  it('flush() returns when it runs out of time, reporting what is still pending; close() then reports it dropped', async () => {
    const t = await trackerThroughProxy();
    proxy.cut();
    for (let i = 0; i < 10; i++) t.record(call(`stuck-${i}`));
    await waitFor(() => expect(t.stats().failedWrites).toBeGreaterThanOrEqual(1));
    expect(await t.flush({ timeoutMs: 50 })).toMatchObject({ written: 0, pending: 10 });
    expect(await t.close({ timeoutMs: 50 })).toMatchObject({ dropped: 10, pending: 0 });
    tracker = undefined;
    expect(logs.lines.some((l) => l.msg === 'tracker closed before every usage record could be written')).toBe(true);
  });
});
