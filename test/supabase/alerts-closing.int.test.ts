/**
 * Alerts for periods that have ended: a threshold crossed just before a day
 * ends is alerted by the first evaluation after it (marked late), and a late
 * row dated in a closed day reaches that day's alerts once the rollups have
 * claimed it. Local days of the report time zone, DST days included.
 */
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

const spend = (total_cost: number, created_at: string) => insertLogs(db.pool, [{ input_cost: total_cost, output_cost: 0, created_at }]);
const alertCount = async () => (await db.pool.query('select count(*)::int as n from cost_alerts')).rows[0].n as number;
/** Limits made before every period these tests use (a period that ended before its limit existed is not alerted). */
const LONG_AGO = '2026-01-01T00:00:00Z';
const brief = (alerts: { periodStart: string; thresholdPct: number; late: boolean }[]) => alerts.map((a) => [a.periodStart, a.thresholdPct, a.late]);

describe.each(TRANSPORTS)('alerts for closed periods through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query(`truncate token_usage_logs, budget_limits, cost_alerts, tokensync.rollup_dirty_hours,
                                  tokensync.alert_dirty_hours, tokensync.alert_periods_closed`);
  });

  it('alerts a threshold crossed at 23:50 local when the evaluation runs at 00:10 the next day, marked late, once', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert' }]);
    const tz = { timezone: 'America/New_York' };
    expect(await source.evaluateAlerts({ at: '2026-11-20T17:00:00Z', ...tz })).toEqual([]); // noon in New York: nothing spent yet
    await spend(9.2, '2026-11-21T04:50:00Z'); // 23:50 on the 20th in New York (EST, UTC−5)

    const late = await source.evaluateAlerts({ at: '2026-11-21T05:10:00Z', ...tz }); // 00:10 on the 21st
    expect(brief(late)).toEqual([
      ['2026-11-20T05:00:00+00:00', 50, true],
      ['2026-11-20T05:00:00+00:00', 75, true],
      ['2026-11-20T05:00:00+00:00', 90, true],
    ]);
    expect(late[2]).toMatchObject({
      severity: 'critical',
      amountSpent: 9.2,
      message: "organization 'mvp' reached 90% of its daily limit: $9.20 of $10.00 (late: the day ended at 2026-11-21 00:00 America/New_York)",
    });
    // The day is closed: later evaluations, and a rollup claim of its hour, raise nothing again.
    expect(await source.evaluateAlerts({ at: '2026-11-21T05:20:00Z', ...tz })).toEqual([]);
    await source.rollupChanged(tz);
    expect(await source.evaluateAlerts({ at: '2026-11-21T05:30:00Z', ...tz })).toEqual([]);
    expect(await alertCount()).toBe(3);
  });

  it('closes every day that ended while no evaluation ran', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [50] }]);
    expect(await source.evaluateAlerts({ at: '2026-11-10T12:00:00Z' })).toEqual([]);
    await spend(5, '2026-11-10T23:00:00Z');
    await spend(6, '2026-11-12T08:00:00Z');
    // Down for three days: the 10th, 11th and 12th closed unseen.
    expect(brief(await source.evaluateAlerts({ at: '2026-11-13T09:00:00Z' }))).toEqual([
      ['2026-11-10T00:00:00+00:00', 50, true],
      ['2026-11-12T00:00:00+00:00', 50, true],
    ]);
  });

  it('raises the alerts of a closed day when a late row dated in it arrives, once the rollups have claimed it', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, daily_limit: 10, monthly_limit: 100, breach_action: 'alert' }]);
    await spend(6, '2026-11-20T10:00:00Z');
    expect(brief(await source.evaluateAlerts({ at: '2026-11-20T12:00:00Z' }))).toEqual([['2026-11-20T00:00:00+00:00', 50, false]]);
    expect(await source.evaluateAlerts({ at: '2026-11-21T00:05:00Z' })).toEqual([]); // the 20th closes at $6: nothing new

    // A row dated 22:00 on the 20th, logged after midnight (a client's clock, a retry, a backfill).
    await spend(3.5, '2026-11-20T22:00:00Z');
    // Alerts learn of it from the rollup claim (the rollup job's next run), not before.
    expect(await source.evaluateAlerts({ at: '2026-11-21T01:00:00Z' })).toEqual([]);
    await source.rollupChanged({ timezone: 'UTC' });
    const late = await source.evaluateAlerts({ at: '2026-11-21T01:05:00Z' });
    expect(brief(late)).toEqual([
      ['2026-11-20T00:00:00+00:00', 75, true],
      ['2026-11-20T00:00:00+00:00', 90, true],
    ]);
    expect(late[1]!.message).toBe("organization 'mvp' reached 90% of its daily limit: $9.50 of $10.00 (late: the day ended at 2026-11-21 00:00 UTC)");
    // Nothing twice: another late row in the same day that crosses no new threshold, repeated evaluations.
    await spend(0.1, '2026-11-20T23:00:00Z');
    await source.rollupChanged({ timezone: 'UTC' });
    expect(await source.evaluateAlerts({ at: '2026-11-21T01:10:00Z' })).toEqual([]);
    expect(await source.evaluateAlerts({ at: '2026-11-21T01:15:00Z' })).toEqual([]);
    expect(await alertCount()).toBe(3);
  });

  it('reaches a closed month through a late row too', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, monthly_limit: 100, breach_action: 'alert', alert_thresholds: [90] }]);
    await spend(80, '2026-10-15T10:00:00Z');
    expect(await source.evaluateAlerts({ at: '2026-11-02T12:00:00Z' })).toEqual([]); // October closes at $80
    await spend(15, '2026-10-31T23:30:00Z');
    await source.rollupChanged({ timezone: 'UTC' });
    const late = await source.evaluateAlerts({ at: '2026-11-02T12:05:00Z' });
    expect(late).toEqual([
      expect.objectContaining({
        period: 'monthly', periodStart: '2026-10-01T00:00:00+00:00', thresholdPct: 90, late: true, amountSpent: 95,
        message: "organization 'mvp' reached 90% of its monthly limit: $95.00 of $100.00 (late: the month ended at 2026-11-01 00:00 UTC)",
      }),
    ]);
  });

  it('leaves alone a period that ended before the limit was created', async () => {
    await spend(9.5, '2026-11-20T20:00:00Z');
    await insertLimits(db.pool, [{ created_at: '2026-11-21T00:30:00Z', daily_limit: 10, breach_action: 'alert' }]);
    expect(await source.evaluateAlerts({ at: '2026-11-21T01:00:00Z' })).toEqual([]);
    await source.rollupChanged({ timezone: 'UTC' });
    expect(await source.evaluateAlerts({ at: '2026-11-21T01:05:00Z' })).toEqual([]);
    // The day it was created in counts whole, as for any current period.
    await spend(5, '2026-11-21T00:10:00Z');
    expect(brief(await source.evaluateAlerts({ at: '2026-11-21T01:10:00Z' }))).toEqual([['2026-11-21T00:00:00+00:00', 50, false]]);
  });

  it('counts a 25-hour DST day in America/New_York whole, and no more', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert' }]);
    // 1 November 2026: clocks go back at 02:00 EDT, so the local day runs 04:00Z to 05:00Z the next day, 25 hours.
    await spend(5, '2026-11-01T04:30:00Z'); //   00:30 EDT, the day's first half hour
    await spend(4.5, '2026-11-02T04:30:00Z'); // 23:30 EST, its 25th hour: a 24-hour day would leave it out
    await spend(1, '2026-11-02T05:30:00Z'); //   00:30 on the 2nd: the next day
    const alerts = await source.evaluateAlerts({ at: '2026-11-02T06:00:00Z', timezone: 'America/New_York' });
    // 5 + 4.5 = $9.50 of $10: 50, 75 and 90 %, all for the day that began at 00:00 EDT.
    expect(brief(alerts)).toEqual([
      ['2026-11-01T04:00:00+00:00', 50, true],
      ['2026-11-01T04:00:00+00:00', 75, true],
      ['2026-11-01T04:00:00+00:00', 90, true],
    ]);
    expect(alerts[0]).toMatchObject({ amountSpent: 9.5 });
    expect(alerts[0]!.message).toContain('(late: the day ended at 2026-11-02 00:00 America/New_York)');
  });

  it('counts a 23-hour DST day in America/New_York whole', async () => {
    await insertLimits(db.pool, [{ created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [100] }]);
    // 8 March 2026: clocks go forward at 02:00 EST, so the day runs 05:00Z to 04:00Z the next day, 23 hours.
    await spend(6, '2026-03-08T05:30:00Z'); //  00:30 EST
    await spend(4, '2026-03-09T03:50:00Z'); //  23:50 EDT, the day's last minutes
    await spend(7, '2026-03-09T04:10:00Z'); //  00:10 on the 9th: a 24-hour day would count it
    expect(brief(await source.evaluateAlerts({ at: '2026-03-09T04:20:00Z', timezone: 'America/New_York' }))).toEqual([
      ['2026-03-08T05:00:00+00:00', 100, true],
    ]);
    expect((await db.pool.query(`select amount_spent::text from cost_alerts`)).rows).toEqual([{ amount_spent: '10' }]);
  });
});
