/**
 * A re-cost reaches everything the new costs move: the rollups of the days
 * changed, each limit's budget spend, and the alerts of every period reached,
 * past ones included (raised late), with a summary of what moved.
 *
 * Prices by hand: house-model-9 has no catalogue price; its model_pricing row
 * says $10 / $40 per million input / output tokens from 2026-11-01.
 *   10 Nov: 400,000 in × $10/M = $4.00, 150,000 out × $40/M = $6.00: $10.00 (logged at $5.50)
 *   today:  100,000 in × $10/M = $1.00,  25,000 out × $40/M = $1.00:  $2.00 (logged at $0.50)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { followRecost, followUpSummary } from '../../src/jobs/recost-follow-up.js';
import { createLogger } from '../../src/logging/logger.js';
import { createPriceBook } from '../../src/sdk/pricing/price-book.js';
import { recost } from '../../src/sdk/recost.js';
import { createSupabaseSource, type SupabaseSource } from '../../src/supabase/source.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createUsageStore, type UsageStore } from '../../src/supabase/usage-store.js';
import { runScript } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';

let db: TestDatabase;
let transport: SqlFunctionTransport;
let store: UsageStore;
let source: SupabaseSource;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
  transport = createPostgresTransport({ databaseUrl: db.url });
  store = createUsageStore(transport);
  source = createSupabaseSource(transport, { timezone: 'UTC' });
});
afterAll(async () => {
  await transport.close();
  await db.drop();
});

/** The two calls, logged at the old costs; the price the re-cost will apply. */
async function seed(today: string) {
  await db.pool.query(`truncate token_usage_logs, budget_limits, cost_alerts, model_pricing, tokensync.budget_spend,
                               tokensync.rollup_dirty_hours, tokensync.alert_dirty_hours, tokensync.alert_periods_closed`);
  const call = { provider: 'openai', model: 'house-model-9', service_type: 'workflow' };
  await insertLogs(db.pool, [
    { ...call, created_at: '2026-11-10T15:00:00Z', prompt_tokens: 400_000, completion_tokens: 150_000, input_cost: 5, output_cost: 0.5 },
    { ...call, created_at: today, prompt_tokens: 100_000, completion_tokens: 25_000, input_cost: 0.4, output_cost: 0.1 },
  ]);
  await insertLimits(db.pool, [{ created_at: '2026-01-01T00:00:00Z', entity_type: 'service', entity_id: 'workflow', daily_limit: 10, monthly_limit: 100, breach_action: 'alert' }]);
  await db.pool.query(`insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok)
                       values ('openai', 'house-model-9', '2026-11-01T00:00:00Z', 10, 40)`);
}

/** Where things stood before the re-cost: rollups, spend and alerts up to date with the old costs. */
async function settle(now?: Date) {
  await source.rollupChanged({ timezone: 'UTC' });
  await source.refreshBudgetSpend({ timezone: 'UTC', ...(now ? { at: now } : {}) });
  return source.evaluateAlerts({ timezone: 'UTC', ...(now ? { at: now } : {}) });
}

const alerts = async () =>
  (await db.pool.query(`select to_char(period_start at time zone 'UTC', 'YYYY-MM-DD') as day, period, threshold_pct::int as pct, late
                          from cost_alerts order by period_start, threshold_pct`)).rows;
const spend = async () => (await db.pool.query(`select daily_spend::text, monthly_spend::text from tokensync.budget_spend`)).rows;

describe('after a re-cost', () => {
  const NOW = new Date('2026-11-12T12:00:00Z');

  beforeEach(async () => {
    await seed('2026-11-12T09:00:00Z');
  });

  it('rolls up the days changed, refreshes budget spend and raises the alerts the new prices imply, late for a past day', async () => {
    expect((await settle(NOW)).map((a) => [a.thresholdPct, a.late])).toEqual([[50, true]]); // 10 Nov: $5.50 of $10
    expect(await spend()).toEqual([{ daily_spend: '0.50', monthly_spend: '6.00' }]);

    const overrides = await createPriceBook({ load: store.modelPricing, logger }).current();
    expect(await recost({ store, overrides, from: '2026-11-01T00:00:00Z', dryRun: false })).toMatchObject({ changed: 2, totalAfterMicros: 12_000_000 });
    const followUp = await followRecost(source, { timezone: 'UTC', now: NOW, logger });

    expect(followUp).toEqual({
      rollupDays: { count: 2, from: '2026-11-10', to: '2026-11-12' },
      rollupsPending: false,
      spendChanged: 1,
      alertsRaised: 3,
      lateAlerts: 3,
    });
    // 10 Nov now spent $10.00 of its $10 daily limit: 75, 90 and 100 %, raised after the day ended.
    expect(await alerts()).toEqual([50, 75, 90, 100].map((pct) => ({ day: '2026-11-10', period: 'daily', pct, late: true })));
    expect(await spend()).toEqual([{ daily_spend: '2.00', monthly_spend: '12.00' }]);
    const rollup = await db.pool.query(`select metric_date::text, total_cost::text from daily_cost_breakdown order by 1`);
    expect(rollup.rows).toEqual([
      { metric_date: '2026-11-10', total_cost: '10.000000' },
      { metric_date: '2026-11-12', total_cost: '2.000000' },
    ]);
    expect(followUpSummary(followUp)).toBe(
      "Moved: 2 days of rollups (2026-11-10 to 2026-11-12), 1 limit's spend, 3 alerts raised (3 late).\n" +
        'Left to the worker: Notion pages of those rollups, Budget Limits and Cost Alerts on its next sync, the report page on its next report run.\n',
    );

    // Run again: nothing left to move.
    expect(await followRecost(source, { timezone: 'UTC', now: NOW, logger })).toMatchObject({ rollupDays: { count: 0 }, spendChanged: 0, alertsRaised: 0 });
  });
});

// The CLI runs as of the wall clock: the second call is dated today's UTC midnight, which is always in today and this month.
describe('npm run recost', { timeout: 180_000 }, () => {
  it('ends with budget spend refreshed, the past day\'s 90 % and 100 % alerts raised, and a summary of what moved', async () => {
    const today = `${new Date().toISOString().slice(0, 10)}T00:00:00Z`;
    await seed(today);
    expect((await settle()).map((a) => [a.thresholdPct, a.late])).toEqual([[50, true]]);
    expect(await spend()).toEqual([{ daily_spend: '0.50', monthly_spend: '0.50' }]);

    const result = await runScript('recost', ['--from', '2026-11-01'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REPORT_TIMEZONE: 'UTC' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Moved: 2 days of rollups (2026-11-10 to ${today.slice(0, 10)}), 1 limit's spend, 3 alerts raised (3 late).\n`);
    expect(await alerts()).toEqual([50, 75, 90, 100].map((pct) => ({ day: '2026-11-10', period: 'daily', pct, late: true })));
    expect(await spend()).toEqual([{ daily_spend: '2.00', monthly_spend: '2.00' }]);

    const dry = await runScript('recost', ['--from', '2026-11-01', '--dry-run'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url } });
    expect(dry.stdout).toContain('Moved: nothing (dry run).');
  });
});
