/**
 * The bar of a Free Notion workspace with more than one member: setup plus 30
 * simulated days of the load create fewer than 1,000 blocks in all, and every
 * dashboard stays exact. The same simulation as `npm run bench -- --only
 * free-workspace`, smaller: fewer calls a day (blocks do not grow with calls
 * beyond the raw-log ring) and two worker ticks a day.
 */
import { afterAll, expect, it } from 'vitest';
import { simulateFreeWorkspace, SIMULATED_DAYS, type SimulationResult } from '../../bench/free-workspace-sim.js';
import type { Dataset } from '../../src/datasets.js';
import { FREE_PLAN_LIFETIME_BLOCKS } from '../../src/sync/footprint.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { PARENT } from './harness.js';

const CALLS_PER_DAY = 2_000;

let db: TestDatabase | undefined;
let fake: NotionFake | undefined;
afterAll(async () => {
  await fake?.close();
  await db?.drop();
});

/**
 * The last day of the latest 31-day month before today: the month-to-date
 * chart then claims 31 days, the most it ever does, whatever day the test runs.
 */
function lastDayOfALongMonth(today = new Date()): string {
  for (let back = 0; ; back++) {
    const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 0));
    if (end.getUTCDate() === 31) return end.toISOString().slice(0, 10);
  }
}

it('setup plus 30 days of the load create fewer than 1,000 blocks, and every dashboard stays exact every day', async () => {
  db = await createTestDatabase();
  // A Free workspace whose grace is over: a create past the limit would be refused at once.
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }], blockLimit: { lifetime: FREE_PLAN_LIFETIME_BLOCKS, graceMs: 0 } });
  const end = lastDayOfALongMonth();
  const result: SimulationResult = await simulateFreeWorkspace({ databaseUrl: db.url, notion: fake, parentPageId: PARENT, callsPerDay: CALLS_PER_DAY, ticksPerDay: 2, end });

  // Fewer than 1,000 blocks, within what setup:notion printed, and Notion never refused one.
  expect(result.days).toHaveLength(SIMULATED_DAYS);
  expect(result.calls).toBe(SIMULATED_DAYS * CALLS_PER_DAY);
  expect(result.usage.created).toBeLessThan(FREE_PLAN_LIFETIME_BLOCKS);
  expect(result.usage.created).toBeLessThanOrEqual(result.footprint.total);
  expect(result.footprint.fits).toBe(true);
  expect(result.usage.refused).toBe(0);
  expect(result.creation).toMatchObject({ stopped: false, refused: 0 });
  expect(result.failures).toEqual([]);

  // Every money chart of Daily Costs (its tabs and the Cost dashboard's widgets) and of Workflow
  // Analytics, and every rollup page, equals SQL for the period it shows, after every day.
  const mismatches = result.days.flatMap((d) => d.checks.flatMap((c) => c.mismatches.map((m) => `${d.day} ${c.what}: ${m}`)));
  expect(mismatches.slice(0, 10)).toEqual([]);
  const last = result.days.at(-1)!;
  expect(last.day).toBe(end);
  const checked = new Map(last.checks.map((c) => [c.what, c]));
  for (const what of ['Daily cost by service', 'Cost by model', 'Month-to-date cost']) {
    for (const where of ['Daily Costs', 'Daily Costs › Cost dashboard']) {
      const check = checked.get(`${where} › ${what}`);
      expect(check, `${where} › ${what}`).toBeDefined();
      expect(check!.notionMicros).toBe(check!.sqlMicros);
      expect(check!.sqlMicros).toBeGreaterThan(0);
    }
  }
  // Month-to-date on the 31st sums the whole month; the other cost charts show every simulated day of it.
  expect(checked.get('Daily Costs › Cost dashboard › Month-to-date cost')!.from).toBe(`${end.slice(0, 8)}01`);
  expect(checked.get('Daily Costs › Daily cost by service')!.from).toBe(result.days[0]!.day);
  expect(checked.get('Workflow Analytics › Cost by workflow')?.mismatches).toEqual([]);

  // Every capped database stayed within its page budget (trashed pages count: each was a block).
  const capped: Dataset[] = ['daily_cost_breakdown', 'service_performance_metrics', 'workflow_analytics', 'cost_alerts'];
  for (const dataset of capped) expect(result.pages[dataset].ever, dataset).toBeLessThanOrEqual(result.pageBudgets[dataset]!);
  expect(result.pages.token_usage_logs.ever).toBe(result.tokenLogPageBudget);
  expect(result.pages.budget_limits.ever).toBe(8);
  // Thirty days of alerts, far more than Notion keeps: it shows exactly the newest.
  expect(result.alertsRaised).toBeGreaterThan(result.pageBudgets.cost_alerts!);
  expect(result.pages.cost_alerts.live).toBe(result.pageBudgets.cost_alerts);
  expect(result.newestAlertsShown).toBe(true);
  // Calls past the ring are counted, never a silent gap; none is waiting.
  expect(result.logWindow.leftOutTotal).toBeGreaterThan(0);
  expect(result.logWindow.unmirrored).toBe(0);
}, 600_000);
