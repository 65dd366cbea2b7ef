import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const spend = (total_cost: number, created_at: string, extra: Record<string, unknown> = {}) =>
  insertLogs(db.pool, [{ total_cost, created_at, ...extra }]);

describe.each(TRANSPORTS)('budget alerts through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
  });

  it('raises one alert per threshold crossed, with severity by threshold, and never repeats it within the period', async () => {
    await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'workflow', daily_limit: 10, breach_action: 'alert' }]);
    await spend(7.6, '2026-11-20T09:00:00Z');

    const first = await source.evaluateAlerts({ at: '2026-11-20T12:00:00Z' });
    expect(first.map((a) => [a.kind, a.period, a.thresholdPct, a.severity])).toEqual([
      ['threshold', 'daily', 50, 'info'],
      ['threshold', 'daily', 75, 'warning'],
    ]);
    expect(first[1]).toMatchObject({
      entityType: 'service',
      entityId: 'workflow',
      amountSpent: 7.6,
      limitAmount: 10,
      periodStart: '2026-11-20T00:00:00+00:00',
      message: "service 'workflow' reached 75% of its daily limit: $7.60 of $10.00",
    });
    expect(await source.evaluateAlerts({ at: '2026-11-20T12:30:00Z' })).toEqual([]);

    await spend(2.5, '2026-11-20T13:00:00Z');
    const more = await source.evaluateAlerts({ at: '2026-11-20T14:00:00Z' });
    expect(more.map((a) => [a.thresholdPct, a.severity])).toEqual([[90, 'critical'], [100, 'critical']]);
    expect((await db.pool.query('select count(*)::int as n from cost_alerts')).rows[0].n).toBe(4);
  });

  it('starts a new daily period at local midnight of the report time zone', async () => {
    await insertLimits(db.pool, [{ daily_limit: 10 }]);
    await spend(6, '2026-11-20T02:00:00Z');
    expect(await source.evaluateAlerts({ at: '2026-11-20T03:00:00Z', timezone: 'UTC' })).toHaveLength(1);
    // 02:00 UTC is still the 19th in New York: the same spend falls in another local day.
    const newYork = await source.evaluateAlerts({ at: '2026-11-20T03:00:00Z', timezone: 'America/New_York' });
    expect(newYork.map((a) => a.periodStart)).toEqual(['2026-11-19T05:00:00+00:00']);
    // The next UTC day alerts again.
    await spend(6, '2026-11-21T01:00:00Z');
    expect((await source.evaluateAlerts({ at: '2026-11-21T02:00:00Z', timezone: 'UTC' })).map((a) => a.periodStart)).toEqual([
      '2026-11-21T00:00:00+00:00',
    ]);
  });

  it('forecasts a monthly overrun from the run-rate, once per month, with the day the limit will be reached', async () => {
    await insertLimits(db.pool, [{ monthly_limit: 100, alert_thresholds: [80] }]);
    await spend(60, '2026-11-05T12:00:00Z');
    // 10 of November's 30 days have passed: 60 × 30 / 10 = $180 projected; $100 is reached
    // after 10 × 100 / 60 = 16.67 days, i.e. on November 17 (16:00 UTC).
    const alerts = await source.evaluateAlerts({ at: '2026-11-11T00:00:00Z' });
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'forecast',
        period: 'monthly',
        severity: 'warning',
        projectedAmount: 180,
        projectedDate: '2026-11-17',
        message: "organization 'mvp' is on track to spend $180.00 this month, past its $100.00 monthly limit around 2026-11-17",
      }),
    ]);
    expect(await source.evaluateAlerts({ at: '2026-11-12T00:00:00Z' })).toEqual([]);
  });

  it('forecasts exactly when the run-rate crosses the limit, not when it only reaches it', async () => {
    await insertLimits(db.pool, [{ monthly_limit: 100, alert_thresholds: [99] }]);
    // Half of November has passed at the 16th, 00:00 UTC: $50 projects exactly $100 — not past the limit.
    await spend(50, '2026-11-02T12:00:00Z');
    expect(await source.evaluateAlerts({ at: '2026-11-16T00:00:00Z' })).toEqual([]);
    // One more cent projects $100.02: past it.
    await spend(0.01, '2026-11-03T12:00:00Z');
    expect(await source.evaluateAlerts({ at: '2026-11-16T00:00:00Z' })).toEqual([
      expect.objectContaining({ kind: 'forecast', projectedAmount: 100.02, projectedDate: '2026-11-30' }),
    ]);
  });

  it('does not forecast before a day of the month has passed, nor below the limit, and ignores inactive limits', async () => {
    await insertLimits(db.pool, [
      { monthly_limit: 100, alert_thresholds: [80] },
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 1, is_active: false },
    ]);
    await spend(20, '2026-11-01T03:00:00Z');
    expect(await source.evaluateAlerts({ at: '2026-11-01T20:00:00Z' })).toEqual([]);
    // 20 by the 16th projects $37.50: no forecast.
    expect(await source.evaluateAlerts({ at: '2026-11-16T00:00:00Z' })).toEqual([]);
  });
});
