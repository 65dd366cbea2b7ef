/**
 * Freshness by event, end to end: with every interval set to an hour, only a
 * change notification can bring a budget breach to Notion. The fake enforces
 * Notion's 3 requests/s and the worker reads with the default settle time.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { LISTENER_APPLICATION_NAME } from '../../src/worker/change-listener.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { PARENT, pagesByKey, harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { waitUntil } from './processes.js';
import { dropPrefix, uniquePrefix } from './redis.js';

const HOUR_MS = '3600000';
const SERVICE = 'wake-test';
let h: SyncHarness;
let worker: RunningWorker;
const prefix = uniquePrefix();

beforeAll(async () => {
  h = await startSyncHarness();
  h.fake.setRateLimit({ requestsPerSecond: 3, burst: 10 });
  const [limit] = await insertLimits(h.db.pool, [{ entity_type: 'service', entity_id: SERVICE, daily_limit: 10, alert_thresholds: [50, 90, 100], breach_action: 'alert' }]);
  worker = await startWorker(
    loadConfig({
      ...harnessEnvironment(h, prefix),
      NOTION_PARENT_PAGE_ID: PARENT,
      NOTION_REQUESTS_PER_SECOND: '3',
      SYNC_INTERVAL_MS: HOUR_MS,
      ROLLUP_INTERVAL_MS: HOUR_MS,
      BUDGET_INTERVAL_MS: HOUR_MS,
      REPORT_INTERVAL_MS: HOUR_MS,
      NOTION_EDITS_INTERVAL_MS: HOUR_MS,
      // The budgets job's first run writes the limit's first spend while the start-up passes run; a pass
      // that reads just then stops short of the row (its spend is inside the settle time), and the next
      // Budget Limits pass for spend alone comes one spend window later (60 s by default).
      SPEND_WAKE_WINDOW_MS: '1000',
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    }),
    createLogger({ level: 'silent' }),
  );
  // The schedulers' first runs (at start) put the limit in Notion; after them, nothing is due for an hour.
  await waitUntil(() => worker.changeListener?.listening === true && pagesByKey(h.fake, h.dataSources.budget_limits).has(String(limit!.id)), 100, 30_000);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await dropPrefix(prefix);
});

/** The Cost Alerts page of the alert raised for SERVICE at `threshold`, once it is in the fake (bounded). */
async function alertPage(threshold: number) {
  return vi.waitFor(
    async () => {
      const { rows } = await h.db.pool.query(`select id from public.cost_alerts where entity_id = $1 and threshold_pct = $2 and kind = 'threshold'`, [SERVICE, threshold]);
      expect(rows).toHaveLength(1);
      const pages = pagesByKey(h.fake, h.dataSources.cost_alerts).get(String(rows[0].id));
      expect(pages).toHaveLength(1);
      return pages![0]!;
    },
    { timeout: 20_000, interval: 100 },
  );
}

describe('freshness by event', () => {
  it('a committed call that crosses a budget threshold raises the alert and puts it in Notion, with every interval an hour', async () => {
    // $9.50 of $10: the 50 % and 90 % thresholds at once.
    await insertLogs(h.db.pool, [{ service_type: SERVICE, input_cost: 9.5, output_cost: 0 }]);
    const page = await alertPage(90);
    expect(page.properties['Entity ID']).toMatchObject({ rich_text: [expect.objectContaining({ plain_text: SERVICE })] });
    await alertPage(50);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/tokensync_change_notifications_total\{table="token_usage_logs"\} [1-9]/);
    expect(metrics).toMatch(/tokensync_change_notifications_total\{table="cost_alerts"\} [1-9]/);
  }, 30_000);

  it('rides out a killed LISTEN connection: it reconnects, and a breach committed meanwhile still arrives', async () => {
    const killed = await h.db.pool.query(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1 and datname = current_database()`,
      [LISTENER_APPLICATION_NAME],
    );
    expect(killed.rows).toEqual([{ killed: true }]);
    // Most likely committed while the listener waits to reconnect: the look at everything on reconnecting finds it.
    await insertLogs(h.db.pool, [{ service_type: SERVICE, input_cost: 0.6, output_cost: 0 }]);
    await alertPage(100);
    await waitUntil(() => worker.changeListener?.listening === true, 50, 10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/tokensync_change_listener_up 1/);
  }, 30_000);
});
