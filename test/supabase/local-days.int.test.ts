/**
 * One meaning of "day" (issue 16, "What a day is"): the report's comparison
 * windows and mv_daily_cost_breakdown both follow local calendar days of the
 * report time zone, so a DST day is 23 or 25 hours long. Every call costs a
 * distinct power of two dollars, so each expected figure below is a sum a
 * reader can check by hand and no wrong window can reach it by accident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

const TZ = 'America/New_York';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const call = (created_at: string, total_cost: number, service_type = 'workflow') =>
  ({ created_at, total_cost, input_cost: null, output_cost: null, service_type, workflow_id: 'wf', workflow_step: 'step' });

describe('the report compares local calendar days and weeks', () => {
  // 2026-03-08 (Sunday) is 23 hours long in New York: 05:00Z to 04:00Z next day.
  // The report runs on Monday 2026-03-09 at 12:00 EDT (16:00Z).
  const SPRING = [
    call('2026-03-02T04:30:00Z', 128), // H  Sun 03-01 23:30 EST: the week before last
    call('2026-03-02T05:30:00Z', 512), // J  Mon 03-02 00:30 EST: last week, before noon
    call('2026-03-02T16:30:00Z', 256), // I  Mon 03-02 11:30 EST: last week, before noon
    call('2026-03-08T04:30:00Z', 1), //   A  Sat 03-07 23:30 EST: the day before yesterday
    call('2026-03-08T05:30:00Z', 2), //   B  Sun 03-08 00:30 EST: yesterday, before noon
    call('2026-03-08T07:30:00Z', 4), //   C  Sun 03-08 03:30 EDT: yesterday, before noon (02:00–03:00 did not exist)
    call('2026-03-08T15:30:00Z', 32), //  F  Sun 03-08 11:30 EDT: yesterday, before noon
    call('2026-03-08T16:30:00Z', 64), //  G  Sun 03-08 12:30 EDT: yesterday, after noon
    call('2026-03-09T03:30:00Z', 8), //   D  Sun 03-08 23:30 EDT: yesterday (already Monday in UTC)
    call('2026-03-09T04:30:00Z', 16), //  E  Mon 03-09 00:30 EDT: today
  ];
  // 2026-11-01 (Sunday) is 25 hours long: 04:00Z to 05:00Z next day, 01:00–02:00 twice.
  // The report runs on Monday 2026-11-02 at 12:00 EST (17:00Z).
  const FALL = [
    call('2026-10-26T04:30:00Z', 128), // R  Mon 10-26 00:30 EDT: last week, before noon
    call('2026-10-26T16:30:00Z', 256), // S  Mon 10-26 12:30 EDT: last week, after noon
    call('2026-11-01T03:30:00Z', 64), //  Q  Sat 10-31 23:30 EDT: the day before yesterday
    call('2026-11-01T04:30:00Z', 1), //   K  Sun 11-01 00:30 EDT: yesterday's first hour
    call('2026-11-01T05:30:00Z', 2), //   L  Sun 11-01 01:30 EDT: yesterday
    call('2026-11-01T06:30:00Z', 4), //   M  Sun 11-01 01:30 EST (the second 01:30): yesterday
    call('2026-11-01T16:30:00Z', 32), //  P  Sun 11-01 11:30 EST: yesterday, before noon
    call('2026-11-02T04:30:00Z', 8), //   N  Sun 11-01 23:30 EST: yesterday (already Monday in UTC)
    call('2026-11-02T05:30:00Z', 16), //  O  Mon 11-02 00:30 EST: today
  ];
  beforeAll(async () => {
    await insertLogs(db.pool, [...SPRING, ...FALL]);
  });

  it.each(TRANSPORTS)('the day after spring forward: yesterday is the 23 local hours of March 8 (%s)', async (transport) => {
    const source: SupabaseSource = openSource(db, transport);
    try {
      const f = await source.reportFigures({ at: '2026-03-09T16:00:00Z', timezone: TZ });
      expect(f.today.start).toBe('2026-03-09T04:00:00+00:00');
      expect(f.today.spent).toBe(16); // E
      expect(f.today.yesterday_total).toBe(110); // B + C + F + G + D = 2 + 4 + 32 + 64 + 8 (24 h back in UTC adds A: 111)
      expect(f.today.yesterday_same_time).toBe(38); // up to 12:00 EDT: B + C + F
      expect(f.week.start).toBe('2026-03-09T04:00:00+00:00');
      expect(f.week.last_week_same_span).toBe(768); // Mon 03-02 00:00–12:00 EST: J + I (7 × 24 h back gives H + J = 640)
      expect(f.week.last_week_total).toBe(879); // J + I + A + B + C + F + G + D = 512 + 256 + 1 + 2 + 4 + 32 + 64 + 8
      expect(f.top_services).toEqual([{ name: 'workflow', spent: 16, previous: 768, change: -752, change_pct: -97.9 }]);
      expect(f.drivers).toEqual([{ service: 'workflow', model: 'gpt-4o', spent: 16, previous: 768, change: -752 }]);
    } finally {
      await source.close();
    }
  });

  it.each(TRANSPORTS)('the day after fall back: yesterday is the 25 local hours of November 1 (%s)', async (transport) => {
    const source: SupabaseSource = openSource(db, transport);
    try {
      const f = await source.reportFigures({ at: '2026-11-02T17:00:00Z', timezone: TZ });
      expect(f.today.start).toBe('2026-11-02T05:00:00+00:00');
      expect(f.today.spent).toBe(16); // O
      expect(f.today.yesterday_total).toBe(47); // K + L + M + P + N = 1 + 2 + 4 + 32 + 8 (24 h back in UTC misses K: 46)
      expect(f.today.yesterday_same_time).toBe(39); // up to 12:00 EST: K + L + M + P
      expect(f.week.last_week_same_span).toBe(128); // Mon 10-26 00:00–12:00 EDT: R (7 × 24 h back gives S = 256)
      expect(f.week.last_week_total).toBe(495); // R + S + Q + K + L + M + P + N = 128 + 256 + 64 + 1 + 2 + 4 + 32 + 8
    } finally {
      await source.close();
    }
  });
});

describe('mv_daily_cost_breakdown and the rollups agree on the local date', () => {
  it('a call at 23:30 in New York (04:30Z the next day) is dated that local day everywhere', async () => {
    const source = openSource(db, 'postgres');
    try {
      await db.pool.query(`delete from token_usage_logs`);
      await insertLogs(db.pool, [call('2026-12-03T04:30:00Z', 0.75)]); // Wed 12-02 23:30 EST
      await source.rollupDays({ from: '2026-12-01', to: '2026-12-04', timezone: TZ });
      const dates = async (sql: string) => (await db.pool.query(sql)).rows;
      const expected = [{ d: '2026-12-02', c: '0.75' }];
      expect(await dates(`select metric_date::text as d, total_cost::text as c from daily_cost_breakdown`)).toEqual(expected);
      expect(await dates(`select metric_date::text as d, total_cost::text as c from service_performance_metrics`)).toEqual(expected);
      expect(await dates(`select metric_date::text as d, total_cost::text as c from workflow_analytics`)).toEqual(expected);
      expect(await dates(`select usage_date::text as d, total_cost::text as c from mv_daily_cost_breakdown`)).toEqual(expected);
    } finally {
      await source.close();
    }
  });
});
