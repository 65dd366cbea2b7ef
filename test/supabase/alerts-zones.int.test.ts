/**
 * Alerts follow each limit's zone (20261205001730_alerts_and_report_by_zone.sql):
 * an organization with a time zone is alerted on its own days and months,
 * dated by its own midnights, its periods closed when they end there; a
 * service limit keeps the default zone whatever the zones of the
 * organizations calling it.
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

const spend = (organization_id: string, total_cost: number, created_at: string) =>
  insertLogs(db.pool, [{ organization_id, input_cost: total_cost, output_cost: 0, created_at }]);
const LONG_AGO = '2026-01-01T00:00:00Z';
const brief = (alerts: { entityId: string; period: string; periodStart: string; thresholdPct: number; late: boolean }[]) =>
  alerts.map((a) => [a.entityId, a.period, a.periodStart, a.thresholdPct, a.late]);
const marks = async () =>
  (await db.pool.query(`select timezone, period, closed_through from tokensync.alert_periods_closed order by 1, 2`)).rows.map(
    (r: { timezone: string; period: string; closed_through: Date }) => [r.timezone, r.period, r.closed_through.toISOString()],
  );

describe.each(TRANSPORTS)('alerts in each limit\'s zone through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query(`truncate token_usage_logs, budget_limits, cost_alerts, organization_settings, tokensync.rollup_dirty_hours,
                                  tokensync.alert_dirty_hours, tokensync.alert_periods_closed`);
    await db.pool.query(`insert into organization_settings (organization_id, time_zone)
                         values ('tokyo', 'Asia/Tokyo'), ('nyc', 'America/New_York')`);
  });

  it("closes a Tokyo organization's day when Tokyo's day ends: late, dated Tokyo's midnight", async () => {
    await insertLimits(db.pool, [{ entity_id: 'tokyo', created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [90] }]);
    // 2026-11-20 03:00Z = 12:00 on the 20th in Tokyo (UTC+9, no DST): nothing spent yet.
    expect(await source.evaluateAlerts({ at: '2026-11-20T03:00:00Z', timezone: 'UTC' })).toEqual([]);
    await spend('tokyo', 9.5, '2026-11-20T14:50:00Z'); // 23:50 on the 20th in Tokyo
    await spend('tokyo', 4, '2026-11-20T15:10:00Z'); //  00:10 on the 21st in Tokyo (the same UTC day: $13.50 there)

    // 00:30 on the 21st in Tokyo, 15:30 on the 20th in UTC.
    const late = await source.evaluateAlerts({ at: '2026-11-20T15:30:00Z', timezone: 'UTC' });
    // Tokyo's 20th: $9.50 of $10 = 95% ≥ 90%, seen after it ended. Tokyo's 21st: $4 = 40%, nothing.
    // Reckoned in UTC it would be the 20th, current, $13.50 (not late, dated 2026-11-20T00:00Z).
    expect(brief(late)).toEqual([['tokyo', 'daily', '2026-11-19T15:00:00+00:00', 90, true]]);
    expect(late[0]).toMatchObject({
      amountSpent: 9.5,
      message: "organization 'tokyo' reached 90% of its daily limit: $9.50 of $10.00 (late: the day ended at 2026-11-21 00:00 Asia/Tokyo)",
    });
    // One mark per zone in use: the default's and Tokyo's, each at its own midnight and 1st.
    expect(await marks()).toEqual([
      ['Asia/Tokyo', 'daily', '2026-11-20T15:00:00.000Z'],
      ['Asia/Tokyo', 'monthly', '2026-10-31T15:00:00.000Z'],
      ['UTC', 'daily', '2026-11-20T00:00:00.000Z'],
      ['UTC', 'monthly', '2026-11-01T00:00:00.000Z'],
    ]);
    expect(await source.evaluateAlerts({ at: '2026-11-20T15:40:00Z', timezone: 'UTC' })).toEqual([]);
  });

  it('reaches a closed Tokyo day through a late row claimed by the rollups', async () => {
    await insertLimits(db.pool, [{ entity_id: 'tokyo', created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [90] }]);
    await spend('tokyo', 5, '2026-11-20T05:00:00Z'); // 14:00 on the 20th in Tokyo
    expect(await source.evaluateAlerts({ at: '2026-11-20T06:00:00Z', timezone: 'UTC' })).toEqual([]);
    expect(await source.evaluateAlerts({ at: '2026-11-20T15:05:00Z', timezone: 'UTC' })).toEqual([]); // Tokyo's 20th closes at $5
    // A row dated 23:00 on the 20th in Tokyo (14:00Z), logged after Tokyo's midnight.
    await spend('tokyo', 4.5, '2026-11-20T14:00:00Z');
    await source.rollupChanged({ timezone: 'UTC' });
    // The claimed hour 14:00Z is Tokyo's 20th (23:00–24:00 there): $9.50 = 95%, late.
    expect(brief(await source.evaluateAlerts({ at: '2026-11-20T15:10:00Z', timezone: 'UTC' }))).toEqual([
      ['tokyo', 'daily', '2026-11-19T15:00:00+00:00', 90, true],
    ]);
  });

  it("reckons a user's day in the zone of the organization of its latest call", async () => {
    await insertLimits(db.pool, [
      { entity_type: 'user', entity_id: 'aiko', created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [90] },
    ]);
    expect(await source.evaluateAlerts({ at: '2026-11-20T03:00:00Z', timezone: 'UTC' })).toEqual([]);
    await insertLogs(db.pool, [
      { organization_id: 'tokyo', user_id: 'aiko', input_cost: 9.5, output_cost: 0, created_at: '2026-11-20T14:50:00Z' }, // 23:50 on the 20th in Tokyo
    ]);
    // 00:30 on the 21st in Tokyo: the user's 20th (Tokyo's) closed at $9.50 = 95%.
    expect(brief(await source.evaluateAlerts({ at: '2026-11-20T15:30:00Z', timezone: 'UTC' }))).toEqual([
      ['aiko', 'daily', '2026-11-19T15:00:00+00:00', 90, true],
    ]);
  });

  it("closes a Tokyo organization's month at Tokyo's month end", async () => {
    await insertLimits(db.pool, [{ entity_id: 'tokyo', created_at: LONG_AGO, monthly_limit: 100, breach_action: 'alert', alert_thresholds: [90] }]);
    expect(await source.evaluateAlerts({ at: '2026-10-31T12:00:00Z', timezone: 'UTC' })).toEqual([]); // 21:00 Oct 31 in Tokyo
    await spend('tokyo', 92, '2026-10-31T14:30:00Z'); // 23:30 on Oct 31 in Tokyo
    // 01:00 on Nov 1 in Tokyo; still October in UTC (where the alert would be current, dated 2026-10-01T00:00Z).
    const late = await source.evaluateAlerts({ at: '2026-10-31T16:00:00Z', timezone: 'UTC' });
    expect(brief(late)).toEqual([['tokyo', 'monthly', '2026-09-30T15:00:00+00:00', 90, true]]);
    expect(late[0]!.message).toBe(
      "organization 'tokyo' reached 90% of its monthly limit: $92.00 of $100.00 (late: the month ended at 2026-11-01 00:00 Asia/Tokyo)",
    );
  });

  it("counts a New York organization's 25-hour 2026-11-01 whole and closes it at New York's midnight", async () => {
    await insertLimits(db.pool, [{ entity_id: 'nyc', created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [90] }]);
    // New York's Nov 1 runs from 04:00Z (00:00 EDT) to 05:00Z on Nov 2 (00:00 EST): 25 hours.
    expect(await source.evaluateAlerts({ at: '2026-11-01T12:00:00Z', timezone: 'UTC' })).toEqual([]);
    await spend('nyc', 4, '2026-11-01T04:10:00Z'); //  00:10 EDT on Nov 1 (its first hour)
    await spend('nyc', 5, '2026-11-02T04:40:00Z'); //  23:40 EST on Nov 1 (its last hour; Nov 2 in UTC)
    await spend('nyc', 2, '2026-11-02T05:10:00Z'); //  00:10 EST on Nov 2
    // In UTC no day holds $9: Nov 1 has $4, Nov 2 $7. In New York Nov 1 holds $4 + $5 = $9 = 90%.
    const late = await source.evaluateAlerts({ at: '2026-11-02T05:20:00Z', timezone: 'UTC' });
    expect(brief(late)).toEqual([['nyc', 'daily', '2026-11-01T04:00:00+00:00', 90, true]]);
    expect(late[0]).toMatchObject({
      amountSpent: 9,
      message: "organization 'nyc' reached 90% of its daily limit: $9.00 of $10.00 (late: the day ended at 2026-11-02 00:00 America/New_York)",
    });
  });

  it('forecasts over the organization\'s own month', async () => {
    await insertLimits(db.pool, [{ entity_id: 'tokyo', created_at: LONG_AGO, monthly_limit: 100, breach_action: 'alert', alert_thresholds: [100] }]);
    // Tokyo's November began 2026-10-31T15:00Z; at 2026-11-10T15:00Z ten days have passed there.
    await spend('tokyo', 40, '2026-11-05T03:00:00Z');
    const alerts = await source.evaluateAlerts({ at: '2026-11-10T15:00:00Z', timezone: 'UTC' });
    // $40 in 10 of 30 days projects $120; the run-rate ($4 a day) reaches $100 at day 25: Nov 26 00:00 in Tokyo.
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'forecast', entityId: 'tokyo', periodStart: '2026-10-31T15:00:00+00:00', projectedAmount: 120, projectedDate: '2026-11-26',
      }),
    ]);
  });

  it('keeps a service limit in the default zone, whatever zone its calls come from', async () => {
    await insertLimits(db.pool, [
      { entity_type: 'service', entity_id: 'workflow', created_at: LONG_AGO, daily_limit: 10, breach_action: 'alert', alert_thresholds: [90] },
    ]);
    const tz = { timezone: 'Europe/London' }; // GMT in November
    expect(await source.evaluateAlerts({ at: '2026-11-20T12:00:00Z', ...tz })).toEqual([]);
    await spend('tokyo', 9.5, '2026-11-20T23:50:00Z'); // 23:50 on the 20th in London (08:50 on the 21st in Tokyo)
    const late = await source.evaluateAlerts({ at: '2026-11-21T00:10:00Z', ...tz });
    expect(brief(late)).toEqual([['workflow', 'daily', '2026-11-20T00:00:00+00:00', 90, true]]);
    expect(late[0]!.message).toBe(
      "service 'workflow' reached 90% of its daily limit: $9.50 of $10.00 (late: the day ended at 2026-11-21 00:00 Europe/London)",
    );
    // Only the default zone is in use by a limit: its marks alone.
    expect((await marks()).map((m) => m[0])).toEqual(['Europe/London', 'Europe/London']);
  });
});
