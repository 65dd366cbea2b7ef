/**
 * Token Usage Logs under the workspace block limit: the ring obeys the creation
 * gate like every other dataset, against real Postgres and the Notion fake.
 */
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createCreationGate, readCreationStatus } from '../../src/sync/creation.js';
import type { LogWindowSettings } from '../../src/sync/log-window/window.js';
import { insertLogs, type Row } from '../support/fixtures.js';
import { pagesByKey, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A ring of ten pages whose bucket never holds a write back. */
const RING: LogWindowSettings = { pageBudget: 10, requestShare: 1, requestsPerSecond: 1000, burstSeconds: 1, timezone: 'UTC' };

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const keysOf = (rows: Row[]) => rows.map((r) => String(r.id));

it('never creates while Notion refuses blocks: the ring it has is the ring, overwritten in place; what it cannot take is counted; it grows back after an upgrade', async () => {
  const x = (h = await startSyncHarness());
  const gate = createCreationGate({ transport: x.transport, logger: createLogger({ level: 'silent' }), retryMs: 3_600_000 });
  const pass = () => x.engine({ creation: gate, logWindow: RING }).runPass('token_usage_logs');
  const posts = (status?: number) => x.fake.count({ method: 'POST', route: '/v1/pages', ...(status ? { status } : {}) });
  const live = () => x.fake.state.pageCount(x.dataSources.token_usage_logs);
  const everPages = () => x.fake.state.pageCount(x.dataSources.token_usage_logs, { includeTrashed: true });
  const shown = () => new Set(pagesByKey(x.fake, x.dataSources.token_usage_logs).keys());
  const windowStatus = () => x.source.logWindowStatus({ pageBudget: RING.pageBudget, windowDays: 30 });

  const old = await insertLogs(x.db.pool, [{ created_at: minutesAgo(60) }, { created_at: minutesAgo(59) }]);
  expect(await pass()).toMatchObject({ created: 2, leftOut: 0, failed: [] });

  // The workspace can create one more block, then none (grace over).
  x.fake.setBlockLimit({ lifetime: x.fake.state.blockUsage().created + 1, graceMs: 0 });
  x.fake.resetStats();
  await x.db.pool.query(`update token_usage_logs set input_cost = 0.5 where id = $1`, [old[0]!.id]);
  const newcomers = await insertLogs(x.db.pool, [1, 2, 3, 4, 5].map((i) => ({ created_at: minutesAgo(30 - i), input_cost: i / 100 })));

  // One create goes through and the next is refused: creation stops for every process, the update
  // of the changed call goes on, and the calls that needed a page are planned again into the ring's
  // three pages (the oldest shown first); the one left over is counted, not failed.
  expect(await pass()).toMatchObject({ created: 1, updated: 4, leftOut: 1, failed: [], complete: true });
  expect(posts(200)).toBe(1);
  expect(posts(403)).toBeGreaterThanOrEqual(1);
  expect(posts()).toBe(1 + posts(403));
  expect(await readCreationStatus(x.transport)).toMatchObject({ stopped: true, refused: posts(403), heldDatasets: [] });
  expect(live()).toBe(3);
  expect(everPages()).toBe(3);
  const shownNow = shown();
  expect(shownNow.size).toBe(3);
  for (const key of shownNow) expect(keysOf(newcomers)).toContain(key);
  expect(await windowStatus()).toMatchObject({ pagesLive: 3, leftOutTotal: 1, leftOutToday: 1, unmirrored: 0 });

  // Later passes send no create at all: new calls overwrite the oldest pages in place.
  x.fake.resetStats();
  const later = await insertLogs(x.db.pool, [{ created_at: minutesAgo(5) }, { created_at: minutesAgo(4) }]);
  expect(await pass()).toMatchObject({ created: 0, updated: 2, leftOut: 0, failed: [] });
  expect(posts()).toBe(0);
  expect(live()).toBe(3);
  for (const key of keysOf(later)) expect(shown().has(key)).toBe(true);

  // More new calls than pages: the ring takes what it can in place, the rest is counted.
  x.fake.resetStats();
  await insertLogs(x.db.pool, Array.from({ length: 5 }, (_, i) => ({ created_at: minutesAgo(3 - i / 10) })));
  expect(await pass()).toMatchObject({ created: 0, updated: 3, leftOut: 2, failed: [] });
  expect(posts()).toBe(0);
  expect(await windowStatus()).toMatchObject({ pagesLive: 3, leftOutTotal: 3 });

  // The workspace is upgraded; once the retry interval has passed, the window's next pass checks,
  // creation resumes, and the ring grows back to its budget.
  x.fake.setBlockLimit(false);
  await x.db.pool.query(`update tokensync.notion_creation set probe_at = clock_timestamp() - interval '2 hours'`);
  x.fake.resetStats();
  const after = await insertLogs(x.db.pool, Array.from({ length: 9 }, (_, i) => ({ created_at: minutesAgo(2 - i / 10) })));
  expect(await pass()).toMatchObject({ created: 7, updated: 2, leftOut: 0, failed: [] });
  expect(await readCreationStatus(x.transport)).toMatchObject({ stopped: false });
  expect(live()).toBe(RING.pageBudget);
  expect(everPages()).toBe(RING.pageBudget);
  for (const key of keysOf(after)) expect(shown().has(key)).toBe(true);
});
