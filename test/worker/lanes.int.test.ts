/**
 * Lanes by priority, end to end: a worker works through a 10,000-row backlog of
 * raw logs at Notion's 3 requests/s when alerts are committed. The fake's own
 * record of the pages it created, in order, shows the alerts written as one
 * run, ahead of every raw-log create still waiting.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestStatus } from '@tokensync/notion-sandbox';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { insertLogs, insertRows } from '../support/fixtures.js';
import { harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { waitUntil } from './processes.js';
import { dropPrefix, uniquePrefix } from './redis.js';

const BACKLOG = 10_000;
const ALERTS = 4;
const HOUR_MS = '3600000';
let h: SyncHarness;
let worker: RunningWorker;
const prefix = uniquePrefix();

/** Each page the fake created, in the order it answered: whose data source it went to. */
const creates: ('alerts' | 'logs' | 'other')[] = [];
let counted = { alerts: 0, logs: 0 };

function noteCreate(method: string, route: string, status: RequestStatus) {
  if (!h || method !== 'POST' || route !== '/v1/pages' || status !== 200) return;
  const now = { alerts: h.fake.state.pageCount(h.dataSources.cost_alerts), logs: h.fake.state.pageCount(h.dataSources.token_usage_logs) };
  creates.push(now.alerts > counted.alerts ? 'alerts' : now.logs > counted.logs ? 'logs' : 'other');
  counted = now;
}

beforeAll(async () => {
  h = await startSyncHarness({ onRequest: noteCreate });
  await insertLogs(h.db.pool, Array.from({ length: BACKLOG }, () => ({})));
  h.fake.setRateLimit({ requestsPerSecond: 3, burst: 10 });
  worker = await startWorker(
    loadConfig({
      ...harnessEnvironment(h, prefix),
      NOTION_REQUESTS_PER_SECOND: '3',
      // The raw logs may take the whole rate limit: the backlog competes with the alerts for every request.
      TOKEN_LOG_REQUEST_SHARE: '1',
      // Only the first scheduled pass (at start) and wake-ups run: the backlog is one long pass.
      SYNC_INTERVAL_MS: HOUR_MS,
      ROLLUP_INTERVAL_MS: HOUR_MS,
      BUDGET_INTERVAL_MS: HOUR_MS,
      NOTION_EDITS_INTERVAL_MS: HOUR_MS,
      SYNC_SETTLE_MS: '0',
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    }),
    createLogger({ level: 'silent' }),
  );
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await dropPrefix(prefix);
});

it('writes alerts committed during a 10k-row raw-log backlog before the raw logs waiting with them', async () => {
  // The backlog is under way: raw logs are being created at the rate limit, with more waiting.
  await waitUntil(() => creates.filter((c) => c === 'logs').length >= 10, 50, 30_000);
  const beforeCommit = creates.length;
  await insertRows(
    h.db.pool,
    'cost_alerts',
    Array.from({ length: ALERTS }, (_, i) => ({
      entity_type: 'service', entity_id: `lanes-${i}`, period: 'daily', period_start: new Date().toISOString().slice(0, 10),
      threshold_pct: 90, amount_spent: 9, limit_amount: 10, severity: 'critical', message: `lanes-${i} reached 90% of its daily limit`,
    })),
  );
  await waitUntil(() => creates.filter((c) => c === 'alerts').length === ALERTS, 50, 30_000);
  const lastAlert = creates.lastIndexOf('alerts');
  // … and the backlog goes on afterwards.
  await waitUntil(() => creates.slice(lastAlert + 1).filter((c) => c === 'logs').length >= 3, 50, 30_000);

  const firstAlert = creates.indexOf('alerts');
  expect(firstAlert).toBeGreaterThanOrEqual(beforeCommit);
  // All alerts in one run: no raw log was created between the first and the last.
  expect(creates.slice(firstAlert, lastAlert + 1)).toEqual(Array(ALERTS).fill('alerts'));
  // The alerts' pass starts within a 50 ms wake window of the commit; in that time (at 3 requests/s)
  // at most a request or two of the raw logs can leave.
  expect(creates.slice(beforeCommit, firstAlert).filter((c) => c === 'logs').length).toBeLessThanOrEqual(2);
  expect(h.fake.state.pageCount(h.dataSources.token_usage_logs)).toBeLessThan(BACKLOG / 10);
}, 90_000);
