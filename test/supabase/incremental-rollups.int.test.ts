/**
 * Rollups maintained from what changed: after any write to token_usage_logs,
 * one claim makes the three day rollups equal what a full recompute of every
 * day gives, and touches only the days the write reached.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

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
  // The marks go last: truncating the logs leaves a mark of its own.
  await db.pool.query(`truncate token_usage_logs, ${ROLLUP_TABLES.join(', ')}, tokensync.retention_state; truncate tokensync.rollup_dirty_hours`);
});

/** Every rollup row, without ids and stamps, in a stable order. */
async function rollups(client: pg.Pool | pg.PoolClient = db.pool) {
  const result: Record<string, unknown[]> = {};
  for (const table of ROLLUP_TABLES) {
    const { rows } = await client.query(`select to_jsonb(t) - 'id' - 'created_at' - 'updated_at' as r from public.${table} t`);
    result[table] = rows.map((row) => JSON.stringify(row.r)).sort();
  }
  return result;
}

/** What a full recompute of every day with logs gives, in a transaction rolled back afterwards. */
async function recomputedFromScratch(timezone = 'UTC') {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`delete from service_performance_metrics; delete from workflow_analytics; delete from daily_cost_breakdown`);
    const { rows } = await client.query(
      `select min((created_at at time zone $1)::date) as from_day, max((created_at at time zone $1)::date) as to_day from token_usage_logs`,
      [timezone],
    );
    if (rows[0].from_day) {
      for (const fn of ROLLUP_FUNCTIONS) await client.query(`select public.${fn}($1, $2, $3)`, [rows[0].from_day, rows[0].to_day, timezone]);
    }
    return await rollups(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

async function expectExact(timezone = 'UTC') {
  expect(await rollups()).toEqual(await recomputedFromScratch(timezone));
}

const day = (d: string, hour = 10, extra: Record<string, unknown> = {}) => ({ created_at: `${d}T${String(hour).padStart(2, '0')}:00:00Z`, ...extra });

describe('claiming changed hours', () => {
  it('rolls up the days of new rows, then does nothing until something changes', async () => {
    await insertLogs(db.pool, [
      day('2026-11-18', 1, { total_cost: 1.25, workflow_id: 'wf', workflow_step: 'plan' }),
      day('2026-11-18', 23, { total_cost: 0.5, service_type: 'virtual_panel', model: 'gpt-4o-mini' }),
      day('2026-11-20', 12, { total_cost: 2, success: false }),
    ]);
    const first = await source.rollupChanged({ timezone: 'UTC' });
    expect(first).toMatchObject({ days: ['2026-11-18', '2026-11-20'], hours: 3, hasMore: false, skippedClosedDays: 0 });
    expect(first.dailyCosts).toEqual({ changed: 3, deleted: 0 });
    await expectExact();
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: [], hours: 0, services: { changed: 0, deleted: 0 } });
  });

  it('follows updates: a changed cost, and a row moved to another day (both days recomputed)', async () => {
    const [a] = await insertLogs(db.pool, [day('2026-11-18', 5, { total_cost: 1 }), day('2026-11-19', 5, { total_cost: 3 })]);
    await source.rollupChanged({ timezone: 'UTC' });

    await db.pool.query(`update token_usage_logs set total_cost = 1.000001 where id = $1`, [a!.id]);
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: ['2026-11-18'], services: { changed: 1, deleted: 0 } });
    await expectExact();

    await db.pool.query(`update token_usage_logs set created_at = '2026-11-21T08:00:00Z' where id = $1`, [a!.id]);
    const moved = await source.rollupChanged({ timezone: 'UTC' });
    expect(moved.days).toEqual(['2026-11-18', '2026-11-21']);
    expect(moved.dailyCosts).toEqual({ changed: 1, deleted: 1 });
    await expectExact();
    const { rows } = await db.pool.query(`select metric_date::text as d, total_cost::text as c from daily_cost_breakdown order by 1`);
    expect(rows).toEqual([{ d: '2026-11-19', c: '3' }, { d: '2026-11-21', c: '1.000001' }]);
  });

  it('follows deletes, and removes the rollup rows of a day with no rows left', async () => {
    await insertLogs(db.pool, [day('2026-11-18', 5), day('2026-11-18', 6, { service_type: 'virtual_panel' }), day('2026-11-19', 5)]);
    await source.rollupChanged({ timezone: 'UTC' });
    await db.pool.query(`delete from token_usage_logs where service_type = 'virtual_panel'`);
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: ['2026-11-18'], services: { changed: 0, deleted: 1 } });
    await expectExact();

    await db.pool.query(`delete from token_usage_logs where created_at < '2026-11-19'`);
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: ['2026-11-18'], dailyCosts: { deleted: 1 } });
    expect((await db.pool.query(`select count(*)::int as n from service_performance_metrics where metric_date = '2026-11-18'`)).rows[0].n).toBe(0);
    await expectExact();
  });

  it('counts a late row dated in a day rolled up long ago', async () => {
    await insertLogs(db.pool, [day('2026-11-01', 9, { total_cost: 1 }), day('2026-11-20', 9, { total_cost: 0.5 })]);
    await source.rollupChanged({ timezone: 'UTC' });
    await insertLogs(db.pool, [day('2026-11-01', 22, { total_cost: 0.000001 })]);
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: ['2026-11-01'], dailyCosts: { changed: 1 } });
    const { rows } = await db.pool.query(`select total_cost::text as c from daily_cost_breakdown where metric_date = '2026-11-01'`);
    expect(rows).toEqual([{ c: '1.000001' }]);
    await expectExact();
  });

  it('maps hours to local days where the offset is not whole hours', async () => {
    // 18:00–19:00 UTC is 23:30–00:30 in Kolkata: the hour touches two local days.
    await insertLogs(db.pool, [day('2026-11-18', 18), { created_at: '2026-11-18T18:45:00Z' }, day('2026-11-19', 3)]);
    const result = await source.rollupChanged({ timezone: 'Asia/Kolkata' });
    expect(result.days).toEqual(['2026-11-18', '2026-11-19']);
    await expectExact('Asia/Kolkata');
  });

  it('after a TRUNCATE, removes the rollups of every open day', async () => {
    await insertLogs(db.pool, [day('2026-11-18'), day('2026-11-19')]);
    await source.rollupChanged({ timezone: 'UTC' });
    await db.pool.query('truncate token_usage_logs');
    await insertLogs(db.pool, [day('2026-11-25')]);
    expect((await source.rollupChanged({ timezone: 'UTC' })).days).toEqual(['2026-11-18', '2026-11-19', '2026-11-25']);
    await expectExact();
  });

  it('takes the newest days first when more are dirty than one call may take', async () => {
    await insertLogs(db.pool, ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'].map((d) => day(d)));
    const first = await source.rollupChanged({ timezone: 'UTC', maxDays: 2 });
    expect(first).toMatchObject({ days: ['2026-11-04', '2026-11-05'], hasMore: true });
    expect(await source.rollupChanged({ timezone: 'UTC', maxDays: 2 })).toMatchObject({ days: ['2026-11-02', '2026-11-03'], hasMore: true });
    expect(await source.rollupChanged({ timezone: 'UTC', maxDays: 2 })).toMatchObject({ days: ['2026-11-01'], hasMore: false });
    await expectExact();
  });

  it('the full-range path reconverges every day rollup, daily costs included', async () => {
    await insertLogs(db.pool, [day('2026-11-18'), day('2026-11-19', 4, { workflow_id: 'wf' })]);
    await db.pool.query('truncate tokensync.rollup_dirty_hours');
    const result = await source.rollupDays({ from: '2026-11-17', to: '2026-11-19' });
    expect(result).toMatchObject({ days: ['2026-11-17', '2026-11-18', '2026-11-19'], dailyCosts: { changed: 2 }, workflows: { changed: 1 } });
    await expectExact();
  });

  it('rejects an unknown time zone before claiming anything', async () => {
    await insertLogs(db.pool, [day('2026-11-18')]);
    await expect(source.rollupChanged({ timezone: 'Mars/Olympus_Mons' })).rejects.toMatchObject({ sqlState: '22023' });
    expect((await db.pool.query('select count(*)::int as n from tokensync.rollup_dirty_hours')).rows[0].n).toBe(1);
  });
});

describe('claims beside writers and other claimers', () => {
  it('leaves the mark of an uncommitted write for the next claim', async () => {
    const writer = await db.pool.connect();
    try {
      await writer.query('begin');
      await insertLogs(writer, [day('2026-11-18', 7, { total_cost: 4 })]);
      expect((await source.rollupChanged({ timezone: 'UTC' })).days).toEqual([]);
      await writer.query('commit');
    } finally {
      writer.release();
    }
    expect((await source.rollupChanged({ timezone: 'UTC' })).days).toEqual(['2026-11-18']);
    await expectExact();
  });

  it('a claimer that waited for another reads what was committed meanwhile', async () => {
    await insertLogs(db.pool, [day('2026-11-18', 7)]);
    const first = await db.pool.connect();
    const second = openSource(db, 'postgres');
    try {
      await first.query('begin');
      await first.query(`select public.tokensync_rollup_changed('UTC')`);
      // The first claim holds the lock; a row lands on the same day, then a second claimer queues.
      await insertLogs(db.pool, [day('2026-11-18', 8, { total_cost: 9 })]);
      const waiting = second.rollupChanged({ timezone: 'UTC' });
      await waitUntil(async () => (await lockWaiters()) > 0);
      await first.query('commit');
      expect((await waiting).days).toEqual(['2026-11-18']);
    } finally {
      first.release();
      await second.close();
    }
    await expectExact();
  });

  it('loses no mark when many writers and claimers run at once', async () => {
    const claimers = [openSource(db, 'postgres'), openSource(db, 'postgres')];
    try {
      const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19'];
      const writes = Array.from({ length: 40 }, (_, i) =>
        insertLogs(db.pool, [day(days[i % days.length]!, i % 24, { total_cost: (i + 1) / 1e6, service_type: i % 3 ? 'workflow' : 'virtual_panel' })]),
      );
      const claims = Array.from({ length: 10 }, (_, i) => claimers[i % 2]!.rollupChanged({ timezone: 'UTC' }));
      await Promise.all([...writes, ...claims]);
      await source.rollupChanged({ timezone: 'UTC' });
    } finally {
      await Promise.all(claimers.map((c) => c.close()));
    }
    await expectExact();
    const { rows } = await db.pool.query(`select sum(total_cost)::text as s from daily_cost_breakdown`);
    expect(rows[0].s).toBe('0.000820');
  });
});

async function lockWaiters(): Promise<number> {
  const { rows } = await db.pool.query(
    `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
  );
  return rows[0].n;
}

/** Polls a condition until it holds, for at most a few seconds. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the reporting views', () => {
  it('keep their four names: mv_daily_cost_breakdown follows the rollup at once, the others refresh on demand', async () => {
    await insertLogs(db.pool, [day('2026-11-18', 3, { total_cost: 1.5, workflow_id: 'wf', workflow_step: 's' }), day('2026-11-18', 4, { total_cost: 0.25 })]);
    await source.rollupChanged({ timezone: 'UTC' });
    const { rows } = await db.pool.query(`select usage_date::text as d, requests, total_cost::text as c, unique_users from mv_daily_cost_breakdown`);
    expect(rows).toEqual([{ d: '2026-11-18', requests: '2', c: '1.75', unique_users: null }]);

    expect(Object.keys(await source.refreshReportingViews()).sort()).toEqual(['mv_service_performance', 'mv_user_spending_summary', 'mv_workflow_efficiency']);
    for (const view of ['mv_user_spending_summary', 'mv_service_performance', 'mv_workflow_efficiency']) {
      const { rows: answer } = await db.pool.query(`select sum(total_cost)::text as c from public.${view}`);
      expect(answer[0].c).toBe(view === 'mv_workflow_efficiency' ? '1.5' : '1.75');
    }
  });
});

describe('through the Supabase API (rpc)', () => {
  it('claims and rolls up the same', async () => {
    const rpc = openSource(db, 'rpc');
    try {
      await insertLogs(db.pool, [day('2026-11-18'), day('2026-11-19')]);
      expect(await rpc.rollupChanged({ timezone: 'Europe/Berlin' })).toMatchObject({ days: ['2026-11-18', '2026-11-19'], hasMore: false });
      await expectExact('Europe/Berlin');
    } finally {
      await rpc.close();
    }
  });
});
