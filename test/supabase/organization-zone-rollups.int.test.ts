/**
 * The day rollups date each call in its organization's zone: a call of an
 * organization in Asia/Tokyo or America/New_York lands on its local date there,
 * a call with no organization (or one with no setting) on its date in the
 * default zone (here Europe/London, which is UTC after 2026-10-25). The
 * incremental path gives what a full recompute gives, follows a changed zone,
 * and retention closes a date only when no zone in use may have lost its rows.
 *
 * Costs are distinct powers of two dollars, so every sum names its calls.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

const TZ = 'Europe/London';
const ROLLUP_TABLES = ['service_performance_metrics', 'workflow_analytics', 'daily_cost_breakdown'] as const;
const ROLLUP_FUNCTIONS = ['tokensync_rollup_service_performance', 'tokensync_rollup_workflow_analytics', 'tokensync_rollup_daily_costs'];

let db: TestDatabase;
let source: SupabaseSource;
beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
});
afterAll(async () => {
  await source.close();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query(
    `truncate token_usage_logs, ${ROLLUP_TABLES.join(', ')}, tokensync.retention_state, organization_settings;
     truncate tokensync.rollup_dirty_hours, tokensync.rollup_dirty_days`,
  );
});

const call = (createdAt: string, dollars: number, organization: string | null, user: string) => ({
  created_at: createdAt,
  total_cost: dollars,
  organization_id: organization,
  user_id: user,
  session_id: `s-${user}`,
  workflow_id: 'wf',
  workflow_step: 'step',
});

// Tokyo is UTC+9. New York is UTC-4 until 2026-11-01 06:00Z, then UTC-5: its
// 2026-11-01 runs 04:00Z Nov 1 .. 05:00Z Nov 2 (25 hours). London is UTC here.
const CALLS = [
  call('2026-10-31T14:59:59Z', 1, 'tokyo', 'u-tokyo'), //      T1 Tokyo Oct 31 23:59:59
  call('2026-10-31T15:00:00Z', 2, 'tokyo', 'u-tokyo'), //      T2 Tokyo Nov 1 00:00 (London Oct 31)
  call('2026-11-01T03:30:00Z', 4, 'ny', 'u-ny'), //            N1 NY Oct 31 23:30 EDT (London Nov 1)
  call('2026-11-01T05:30:00Z', 8, 'ny', 'u-ny'), //            N2 NY Nov 1 01:30 EDT
  call('2026-11-01T06:30:00Z', 16, 'ny', 'u-ny'), //           N3 NY Nov 1 01:30 EST (the repeated hour)
  call('2026-11-02T04:59:59Z', 32, 'ny', 'u-ny'), //           N4 NY Nov 1 23:59:59 EST (London Nov 2)
  call('2026-11-02T05:00:00Z', 64, 'ny', 'u-ny'), //           N5 NY Nov 2 00:00 EST
  call('2026-11-01T04:00:00Z', 128, 'ny', 'u-ny'), //          N0 NY Nov 1 00:00 EDT
  call('2026-10-31T23:59:59Z', 256, null, 'u-none'), //        L1 London Oct 31 23:59:59
  call('2026-11-01T00:00:00Z', 512, null, 'u-none'), //        L2 London Nov 1 00:00
  call('2026-11-01T23:30:00Z', 1024, 'plain', 'u-plain'), //   P1 no setting: London Nov 1
];

// Oct 31 = T1 + N1 + L1             = 1 + 4 + 256                          = 261
// Nov 1  = T2 + N0 + N2 + N3 + N4 + L2 + P1 = 2 + 128 + 8 + 16 + 32 + 512 + 1024 = 1722
// Nov 2  = N5                       = 64
const BY_ORGANIZATION_ZONE = { '2026-10-31': '261', '2026-11-01': '1722', '2026-11-02': '64' };
// Every call dated in London (no settings): Oct 31 = T1 + T2 + L1 = 259;
// Nov 1 = N1 + N0 + N2 + N3 + L2 + P1 = 4 + 128 + 8 + 16 + 512 + 1024 = 1692; Nov 2 = N4 + N5 = 96.
const ALL_IN_LONDON = { '2026-10-31': '259', '2026-11-01': '1692', '2026-11-02': '96' };

async function setZone(organization: string, zone: string | null) {
  const { rows } = await db.pool.query(`select tokensync_set_organization_time_zone($1, $2, $3) as r`, [organization, zone, TZ]);
  return rows[0].r as { changed: boolean; days_to_roll_up: number };
}

async function zones() {
  await setZone('tokyo', 'Asia/Tokyo');
  await setZone('ny', 'America/New_York');
}

/** total_cost per metric_date, from each rollup table (all three must agree). */
async function costByDate() {
  const result: Record<string, Record<string, string>> = {};
  for (const table of ROLLUP_TABLES) {
    const { rows } = await db.pool.query(`select metric_date::text as d, sum(total_cost)::text as c from public.${table} group by 1 order by 1`);
    result[table] = Object.fromEntries(rows.map((r) => [r.d, r.c]));
  }
  return result;
}

const everywhere = (byDate: Record<string, string>) => Object.fromEntries(ROLLUP_TABLES.map((t) => [t, byDate]));

async function rollups(client: pg.Pool | pg.PoolClient = db.pool) {
  const result: Record<string, unknown[]> = {};
  for (const table of ROLLUP_TABLES) {
    const { rows } = await client.query(`select to_jsonb(t) - 'id' - 'created_at' - 'updated_at' as r from public.${table} t`);
    result[table] = rows.map((row) => JSON.stringify(row.r)).sort();
  }
  return result;
}

/** What recomputing Oct 25 .. Nov 10 from scratch gives (rolled back). */
async function recomputedFromScratch() {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`delete from service_performance_metrics; delete from workflow_analytics; delete from daily_cost_breakdown`);
    for (const fn of ROLLUP_FUNCTIONS) await client.query(`select public.${fn}('2026-10-25', '2026-11-10', $1)`, [TZ]);
    return await rollups(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

describe('day rollups by organization zone', () => {
  it('dates each call in its organization zone, across the month end and New York\'s 25-hour day', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    await source.rollupDays({ from: '2026-10-25', to: '2026-11-10', timezone: TZ });
    expect(await costByDate()).toEqual(everywhere(BY_ORGANIZATION_ZONE));

    // Unique users and sessions stay per (date, service): Nov 1 holds u-tokyo (T2),
    // u-ny (N0, N2, N3, N4), u-none (L2), u-plain (P1); 7 calls.
    const { rows } = await db.pool.query(
      `select metric_date::text as d, total_requests as n, unique_users as u, unique_sessions as s
         from service_performance_metrics order by 1`,
    );
    expect(rows).toEqual([
      { d: '2026-10-31', n: 3, u: 3, s: 3 }, // T1, N1, L1
      { d: '2026-11-01', n: 7, u: 4, s: 4 },
      { d: '2026-11-02', n: 1, u: 1, s: 1 }, // N5
    ]);
  });

  it('recomputing one date reads every call dated then in any zone, and nothing else', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    // Nov 1 holds T2 (created Oct 31 UTC) and N4 (created Nov 2 UTC).
    expect(await source.rollupDailyCosts({ from: '2026-11-01', to: '2026-11-01', timezone: TZ })).toEqual({ changed: 1, deleted: 0 });
    for (const fn of ROLLUP_FUNCTIONS.slice(0, 2)) await db.pool.query(`select public.${fn}('2026-11-01', '2026-11-01', $1)`, [TZ]);
    expect(await costByDate()).toEqual(everywhere({ '2026-11-01': '1722' }));
  });

  it('with no settings every call keeps its date in the default zone', async () => {
    await insertLogs(db.pool, CALLS);
    expect(await source.rollupChanged({ timezone: TZ })).toMatchObject({ days: ['2026-10-31', '2026-11-01', '2026-11-02'], hasMore: false });
    expect(await costByDate()).toEqual(everywhere(ALL_IN_LONDON));
    expect(await rollups()).toEqual(await recomputedFromScratch());
  });

  it('the incremental path gives what the full recompute gives, an hour reaching its date in every zone', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    const first = await source.rollupChanged({ timezone: TZ });
    // Each hour's dates in London, Tokyo and New York: T2's hour (15:00Z Oct 31) is Oct 31 in
    // London and New York, Nov 1 in Tokyo; P1's (23:00Z Nov 1) Nov 2 in Tokyo; no hour reaches Oct 30.
    expect(first.days).toEqual(['2026-10-31', '2026-11-01', '2026-11-02']);
    expect(await costByDate()).toEqual(everywhere(BY_ORGANIZATION_ZONE));
    expect(await rollups()).toEqual(await recomputedFromScratch());

    // A late Tokyo call at 16:00Z Nov 1: Tokyo Nov 2 01:00, London still Nov 1.
    // Its hour must reach Nov 2 (64 + 2048 = 2112).
    await insertLogs(db.pool, [call('2026-11-01T16:00:00Z', 2048, 'tokyo', 'u-tokyo')]);
    const late = await source.rollupChanged({ timezone: TZ });
    expect(late.days).toContain('2026-11-02');
    expect(await costByDate()).toEqual(everywhere({ ...BY_ORGANIZATION_ZONE, '2026-11-02': '2112' }));
    expect(await rollups()).toEqual(await recomputedFromScratch());
  });

  it('a changed zone moves the organization\'s calls to their new dates, and back to the default', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    await source.rollupChanged({ timezone: TZ });
    expect(await costByDate()).toEqual(everywhere(BY_ORGANIZATION_ZONE));

    // New York -> Tokyo: N1 (03:30Z Nov 1) becomes Tokyo Nov 1 12:30, N4 (04:59:59Z Nov 2)
    // Tokyo Nov 2 13:59:59; N0, N2, N3 stay on Nov 1, N5 on Nov 2.
    // Oct 31 = T1 + L1 = 257; Nov 1 = 1722 + N1 - N4 = 1722 + 4 - 32 = 1694; Nov 2 = N4 + N5 = 96.
    expect(await setZone('ny', 'Asia/Tokyo')).toMatchObject({ changed: true });
    const moved = await source.rollupChanged({ timezone: TZ });
    expect(moved).toMatchObject({ hours: 0, hasMore: false });
    expect(moved.days).toEqual(expect.arrayContaining(['2026-10-31', '2026-11-01', '2026-11-02']));
    expect(await costByDate()).toEqual(everywhere({ '2026-10-31': '257', '2026-11-01': '1694', '2026-11-02': '96' }));
    expect(await rollups()).toEqual(await recomputedFromScratch());

    // Tokyo's own setting removed: T2 (15:00Z Oct 31) follows London, Oct 31.
    // Oct 31 = T1 + T2 + L1 = 259; Nov 1 = 1694 - T2 = 1692; Nov 2 = 96.
    expect(await setZone('tokyo', null)).toMatchObject({ changed: true });
    await source.rollupChanged({ timezone: TZ });
    expect(await costByDate()).toEqual(everywhere({ '2026-10-31': '259', '2026-11-01': '1692', '2026-11-02': '96' }));
    expect(await rollups()).toEqual(await recomputedFromScratch());
    expect((await db.pool.query(`select count(*)::int as n from tokensync.rollup_dirty_days`)).rows[0].n).toBe(0);
  });

  it('dates an organization\'s zone change recorded wait for the next call when p_max_days is reached', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    await source.rollupChanged({ timezone: TZ });
    await setZone('ny', 'Asia/Tokyo'); // records Oct 31, Nov 1, Nov 2
    const first = await source.rollupChanged({ timezone: TZ, maxDays: 1 });
    expect(first).toMatchObject({ days: ['2026-11-02'], hasMore: true });
    const rest = await source.rollupChanged({ timezone: TZ, maxDays: 5 });
    expect(rest).toMatchObject({ days: ['2026-10-31', '2026-11-01'], hasMore: false });
    expect(await costByDate()).toEqual(everywhere({ '2026-10-31': '257', '2026-11-01': '1694', '2026-11-02': '96' }));
  });
});

describe('retention with zones in use', () => {
  // At 2026-11-21 12:00Z with 20 days kept, the oldest day kept is Nov 1 (London).
  // Its earliest start among the zones in use is Tokyo's: 2026-10-31T15:00Z. Only
  // T1 (14:59:59Z) goes; T2 (Tokyo Nov 1) and L1 (London Oct 31 23:59:59) stay.
  const AT = '2026-11-21T12:00:00Z';

  it('purges only calls dated before the oldest day kept in their own zone, and keeps that day open', async () => {
    await zones();
    await insertLogs(db.pool, CALLS);
    await source.rollupChanged({ timezone: TZ });

    const purge = await source.purgeLogs({ retentionDays: 20, timezone: TZ, at: AT, batchSize: 100 });
    expect(purge).toMatchObject({ deleted: 1, hasMore: false });
    expect(new Date(purge.cutoff).toISOString()).toBe('2026-10-31T15:00:00.000Z');
    const { rows } = await db.pool.query(`select sum(total_cost)::text as c from token_usage_logs`);
    expect(rows[0].c).toBe(String(2047 - 1)); // every call but T1

    // Oct 31 started before the horizon in Tokyo (Oct 30 15:00Z): closed. Nov 1 starts at the
    // horizon at the earliest (Tokyo): open, and recomputing it gives the same 1722.
    const again = await source.rollupDays({ from: '2026-10-30', to: '2026-11-03', timezone: TZ });
    expect(again).toMatchObject({ days: ['2026-11-01', '2026-11-02', '2026-11-03'], skippedClosedDays: 2 });
    expect(await costByDate()).toEqual(everywhere(BY_ORGANIZATION_ZONE));
  });

  it('a date is closed when it started before the horizon in any zone in use', async () => {
    const closed = async (day: string, horizon: string) =>
      (await db.pool.query(`select tokensync_day_is_closed($1, $2, $3) as c`, [day, TZ, horizon])).rows[0].c as boolean;
    // A horizon set before any zone: London's Nov 1 starts at it, open.
    expect(await closed('2026-11-01', '2026-11-01T00:00:00Z')).toBe(false);
    await zones();
    // Tokyo's Nov 1 started at Oct 31 15:00Z: some Tokyo call of Nov 1 may be gone.
    expect(await closed('2026-11-01', '2026-11-01T00:00:00Z')).toBe(true);
    expect(await closed('2026-11-02', '2026-11-01T00:00:00Z')).toBe(false);
    // A late Tokyo call dated Nov 1 (created before the horizon) is skipped, not half-counted.
    await db.pool.query(`insert into tokensync.retention_state (singleton, purged_before) values (true, '2026-11-01T00:00:00Z')`);
    await insertLogs(db.pool, [call('2026-10-31T16:00:00Z', 4096, 'tokyo', 'u-tokyo')]);
    expect(await source.rollupChanged({ timezone: TZ })).toMatchObject({ days: [], skippedClosedDays: 2 }); // Oct 31 and Nov 1
  });
});

describe('mv_user_spending_summary by organization zone', () => {
  it('the last 7 and 30 days are local days, today included, in the zone of the user\'s organization', async () => {
    await zones();
    const client = await db.pool.connect();
    try {
      await client.query('begin'); // now() is one instant for the rows and the refresh
      // Per zone: the start of the local day 6 days ago (in 7 and 30 days), one second
      // before it (in 30 only), the start of the day 29 days ago (in 30), one second before (neither).
      await client.query(
        `insert into token_usage_logs (request_id, created_at, organization_id, user_id, session_id, service_type, provider, model,
                                       prompt_tokens, completion_tokens, total_cost, latency_ms, success)
         select gen_random_uuid()::text, (date_trunc('day', now() at time zone u.zone) - b.back) at time zone u.zone - b.nudge,
                u.org, u.usr, 's', 'workflow', 'openai', 'gpt-4o', 1, 1, u.base * b.factor, 10, true
           from (values ('Asia/Tokyo', 'tokyo', 'u-tokyo', 1),
                        ('America/New_York', 'ny', 'u-ny', 16),
                        ('${TZ}', null, 'u-none', 256)) u(zone, org, usr, base)
          cross join (values (interval '6 days', interval '0', 1),
                             (interval '6 days', interval '1 second', 2),
                             (interval '29 days', interval '0', 4),
                             (interval '29 days', interval '1 second', 8)) b(back, nudge, factor)`,
      );
      await client.query(`select tokensync_refresh_reporting_views($1)`, [TZ]);
      const { rows } = await client.query(
        `select user_id, total_cost::text as total, cost_last_7_days::text as d7, cost_last_30_days::text as d30
           from mv_user_spending_summary order by 1`,
      );
      expect(rows).toEqual([
        { user_id: 'u-none', total: '3840', d7: '256', d30: '1792' }, // 256+512+1024+2048; 256; 256+512+1024
        { user_id: 'u-ny', total: '240', d7: '16', d30: '112' }, //       16+32+64+128; 16; 16+32+64
        { user_id: 'u-tokyo', total: '15', d7: '1', d30: '7' }, //        1+2+4+8; 1; 1+2+4
      ]);
      expect((await client.query(`select time_zone from tokensync.reporting_settings`)).rows).toEqual([{ time_zone: TZ }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
