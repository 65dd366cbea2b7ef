/**
 * The installation report with organizations in their own zones
 * (20261205001730_alerts_and_report_by_zone.sql): "today" is the default
 * zone's date D at the report instant, and each call counts on its own local
 * date (its organization's zone); "by this time" compares each call's own wall
 * clock with the report's in the default zone; weeks and the month are local
 * dates too. Default zone Europe/London (GMT from 2026-10-25), an organization
 * in Asia/Tokyo (UTC+9), one in America/New_York (EDT until 2026-11-01 02:00,
 * then EST: November 1 is 25 hours), and calls with no organization.
 * Every call costs a distinct power of two dollars, so each expected figure
 * names exactly the calls it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

const TZ = 'Europe/London';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const ZONES = { lon: null, tok: 'tokyo', ny: 'nyc' } as const;
const call = (zone: keyof typeof ZONES, created_at: string, total_cost: number) => ({
  created_at, total_cost, input_cost: null, output_cost: null,
  organization_id: ZONES[zone], user_id: `u-${zone}`, service_type: `svc-${zone}`, model: 'gpt-4o',
});

// Local times: London GMT; Tokyo UTC+9; New York EDT (UTC−4) to 11-01 06:00Z, EST (UTC−5) after.
const CALLS = [
  call('lon', '2026-11-02T09:00:00Z', 1), //        L0 London Mon 11-02 09:00
  call('lon', '2026-11-01T09:30:00Z', 2), //        L1 London Sun 11-01 09:30
  call('lon', '2026-11-01T23:30:00Z', 4), //        L2 London Sun 11-01 23:30
  call('lon', '2026-10-31T23:30:00Z', 8), //        L3 London Sat 10-31 23:30
  call('lon', '2026-10-26T09:00:00Z', 16), //       L4 London Mon 10-26 09:00
  call('lon', '2026-10-25T23:30:00Z', 2 ** 21), //  L5 London Sun 10-25 23:30
  call('tok', '2026-11-01T16:00:00Z', 32), //       T0 Tokyo Mon 11-02 01:00 (Sunday in London)
  call('tok', '2026-11-01T00:30:00Z', 64), //       T1 Tokyo Sun 11-01 09:30
  call('tok', '2026-10-31T15:30:00Z', 128), //      T2 Tokyo Sun 11-01 00:30 (October in London)
  call('tok', '2026-11-01T14:00:00Z', 256), //      T3 Tokyo Sun 11-01 23:00
  call('tok', '2026-11-02T11:00:00Z', 512), //      T4 Tokyo Mon 11-02 20:00, after the report instant R1
  call('tok', '2026-10-25T15:30:00Z', 1024), //     T5 Tokyo Mon 10-26 00:30 (Sunday 10-25 in London)
  call('tok', '2026-10-31T02:00:00Z', 2 ** 19), //  T6 Tokyo Sat 10-31 11:00
  call('ny', '2026-11-02T04:30:00Z', 2048), //      N0 New York Sun 11-01 23:30 EST (Monday in London)
  call('ny', '2026-11-01T05:30:00Z', 4096), //      N1 New York Sun 11-01 01:30 EDT (the first 01:30)
  call('ny', '2026-11-01T06:30:00Z', 8192), //      N2 New York Sun 11-01 01:30 EST (the second 01:30)
  call('ny', '2026-11-01T03:30:00Z', 16384), //     N3 New York Sat 10-31 23:30 EDT (November in London)
  call('ny', '2026-11-02T09:30:00Z', 32768), //     N4 New York Mon 11-02 04:30 EST
  call('ny', '2026-10-26T13:30:00Z', 65536), //     N5 New York Mon 10-26 09:30 EDT
  call('ny', '2026-11-01T16:00:00Z', 131072), //    N6 New York Sun 11-01 11:00 EST
  call('ny', '2026-11-01T14:30:00Z', 262144), //    N7 New York Sun 11-01 09:30 EST
  call('ny', '2026-10-31T13:30:00Z', 2 ** 20), //   N8 New York Sat 10-31 09:30 EDT
  call('ny', '2026-10-25T13:30:00Z', 2 ** 22), //   N9 New York Sun 10-25 09:30 EDT
];

beforeAll(async () => {
  await insertLogs(db.pool, CALLS);
  await db.pool.query(`insert into organization_settings (organization_id, time_zone) values ('tokyo', 'Asia/Tokyo'), ('nyc', 'America/New_York')`);
  await insertLimits(db.pool, [{ entity_id: 'tokyo', created_at: '2026-01-01T00:00:00Z', monthly_limit: 400, breach_action: 'alert' }]);
});

/** Monday 2026-11-02 10:00 in London: D = Nov 2, the week began today, yesterday was New York's 25-hour day. */
const R1 = '2026-11-02T10:00:00Z';
/** Sunday 2026-11-01 10:00 in London: D = Nov 1, yesterday was October 31, the week began Monday Oct 26. */
const R0 = '2026-11-01T10:00:00Z';

describe.each(TRANSPORTS)('the report counts each call on its own local date (%s)', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());

  it('on Monday Nov 2 at 10:00 London', async () => {
    const f = await source.reportFigures({ at: R1, timezone: TZ });
    expect([f.today.start, f.week.start, f.month.start]).toEqual([
      '2026-11-02T00:00:00+00:00', '2026-11-02T00:00:00+00:00', '2026-11-01T00:00:00+00:00',
    ]);
    // Nov 2 up to R1: L0 + T0 + N4 = 1 + 32 + 32768. (London's instants would take N0, not T0: 34817.)
    expect(f.today.spent).toBe(32801);
    // Nov 1 whole: London L1 + L2 = 6; Tokyo T1 + T2 + T3 = 448; New York's 25 hours N0 + N1 + N2 + N6 + N7
    // = 2048 + 4096 + 8192 + 131072 + 262144 = 407552. 6 + 448 + 407552 = 408006.
    expect(f.today.yesterday_total).toBe(408006);
    // Nov 1 up to 10:00 on each call's own clock: L1 = 2; T2 + T1 = 192 (Tokyo 10:00 = 01:00Z);
    // N1 + N2 + N7 = 274432 (New York 10:00 EST = 15:00Z; N6 at 11:00 is after). 2 + 192 + 274432 = 274626.
    expect(f.today.yesterday_same_time).toBe(274626);
    expect(f.week.spent).toBe(32801); // the week is today so far
    // Oct 26 – Nov 1: London L1 + L2 + L3 + L4 = 30; Tokyo T5 + T6 + T2 + T1 + T3 = 1024 + 524288 + 448 = 525760;
    // New York N5 + N8 + N3 + N1 + N2 + N6 + N7 + N0 = 65536 + 1048576 + 16384 + 407552 = 1538048.
    // 30 + 525760 + 1538048 = 2063838. (L5, N9: Oct 25, the week before.)
    expect(f.week.last_week_total).toBe(2063838);
    // Monday Oct 26 up to 10:00 own clock: L4 + T5 + N5 = 16 + 1024 + 65536.
    expect(f.week.last_week_same_span).toBe(66576);
    // Nov 1 – 2 up to R1: yesterday_total + today = 408006 + 32801 (T2 is Tokyo's November, N3 New York's October).
    expect(f.month.spent).toBe(440807);
    expect(f.top_users).toEqual([
      { name: 'u-ny', spent: 32768, previous: 65536, change: -32768, change_pct: -50 },
      { name: 'u-tok', spent: 32, previous: 1024, change: -992, change_pct: -96.9 },
      { name: 'u-lon', spent: 1, previous: 16, change: -15, change_pct: -93.8 },
    ]);
    expect(f.top_services.map((s) => [s.name, s.spent, s.previous])).toEqual([
      ['svc-ny', 32768, 65536], ['svc-tok', 32, 1024], ['svc-lon', 1, 16],
    ]);
    expect(f.drivers).toEqual([
      { service: 'svc-ny', model: 'gpt-4o', spent: 32768, previous: 65536, change: -32768 },
      { service: 'svc-tok', model: 'gpt-4o', spent: 32, previous: 1024, change: -992 },
      { service: 'svc-lon', model: 'gpt-4o', spent: 1, previous: 16, change: -15 },
    ]);
    // Tokyo's November began 2026-10-31T15:00Z: T2 + T1 + T3 + T0 = 128 + 64 + 256 + 32 = 480 of $400
    // (London's month would leave out T2: 352). T4 is after R1.
    expect(f.organization_budgets).toEqual([
      expect.objectContaining({ organization: 'tokyo', monthly_limit: 400, spent: 480, utilisation_pct: 120, exhausted_on: '2026-11-02' }),
    ]);
    expect(f.budgets).toEqual([expect.objectContaining({ entityId: 'tokyo', period: 'monthly', periodStart: '2026-10-31T15:00:00+00:00', spent: 480 })]);
  });

  it('on Sunday Nov 1 at 10:00 London, across the month end', async () => {
    const f = await source.reportFigures({ at: R0, timezone: TZ });
    // Nov 1 up to R0: London L1 = 2; Tokyo T2 + T1 = 192; New York N1 + N2 = 12288 (N3 is its Oct 31).
    expect(f.today.spent).toBe(12482);
    expect(f.month.spent).toBe(12482); // the month is today so far
    // Oct 31: L3 + T6 + N3 + N8 = 8 + 524288 + 16384 + 1048576. (T2: Tokyo's Nov 1; N3 is Nov 1 in London.)
    expect(f.today.yesterday_total).toBe(1589256);
    // Oct 31 up to 10:00 own clock: N8 (09:30 EDT) only; T6 is 11:00 in Tokyo, L3 23:30.
    expect(f.today.yesterday_same_time).toBe(1048576);
    // Oct 26 – Nov 1 up to R0: London L4 + L3 + L1 = 26; Tokyo T5 + T6 + T2 + T1 = 525504;
    // New York N5 + N8 + N3 + N1 + N2 = 65536 + 1048576 + 16384 + 4096 + 8192 = 1142784.
    expect(f.week.spent).toBe(26 + 525504 + 1142784);
    // Oct 19 – 25: L5 + N9 (T5 is Tokyo's Oct 26). Up to Sunday 10:00 own clock: N9 (09:30 EDT) only.
    expect(f.week.last_week_total).toBe(2 ** 21 + 2 ** 22);
    expect(f.week.last_week_same_span).toBe(2 ** 22);
    expect(f.top_users.map((u) => [u.name, u.spent, u.previous])).toEqual([
      ['u-ny', 1142784, 2 ** 22], ['u-tok', 525504, 0], ['u-lon', 26, 0],
    ]);
  });

  it('lists the month’s unpriced models by the same local dates as its spend', async () => {
    // Estimated at $0, so no other figure moves: one on Tokyo's Nov 1 05:00 (Oct 31 20:00Z, October in
    // London), one on Tokyo's Oct 31 23:00 (Oct 31 14:00Z). Only the first is in the month at R1.
    const estimated = (created_at: string, request_id: string) => ({
      ...call('tok', created_at, 0), request_id, model: 'house-model', cost_estimated: true,
      metadata: { pricing: { source: 'estimated', priced_as: 'openai/o1-pro' } },
    });
    await insertLogs(db.pool, [estimated('2026-10-31T20:00:00Z', 'est-nov'), estimated('2026-10-31T14:00:00Z', 'est-oct')]);
    try {
      const f = await source.reportFigures({ at: R1, timezone: TZ });
      expect(f.unpriced_models).toEqual([expect.objectContaining({ model: 'house-model', calls: 1, first_seen: '2026-10-31T20:00:00+00:00' })]);
    } finally {
      await db.pool.query(`delete from token_usage_logs where request_id in ('est-nov', 'est-oct')`);
    }
  });

  it('with no organization settings, counts every call on its date in the default zone, as before', async () => {
    await db.pool.query(`delete from organization_settings`);
    try {
      const f = await source.reportFigures({ at: R1, timezone: TZ });
      // London instants: Nov 2 00:00Z to R1: L0 + N0 + N4 = 1 + 2048 + 32768.
      expect(f.today.spent).toBe(34817);
      // Nov 1 00:00Z–10:00Z: L1 + T1 + N1 + N2 = 2 + 64 + 4096 + 8192; N3 at 03:30Z too: + 16384.
      expect(f.today.yesterday_same_time).toBe(28738);
      // Nov 1 00:00Z to R1: L1 + L2 + T0 + T1 + T3 + N0 + N1 + N2 + N3 + N4 + N6 + N7 + L0.
      expect(f.month.spent).toBe(2 + 4 + 32 + 64 + 256 + 2048 + 4096 + 8192 + 16384 + 32768 + 131072 + 262144 + 1);
      expect(f.organization_budgets[0]!.spent).toBe(352); // T1 + T3 + T0 from London's Nov 1
    } finally {
      await db.pool.query(`insert into organization_settings (organization_id, time_zone) values ('tokyo', 'Asia/Tokyo'), ('nyc', 'America/New_York')`);
    }
  });
});
