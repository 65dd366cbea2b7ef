/**
 * The retention purge removes raw logs past the horizon and nothing else moves:
 * rollups, spend buckets, budget spend, alerts and report figures read the same
 * before and after, and days it closed are never recomputed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetentionJob } from '../../src/jobs/retention.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const RETENTION_DAYS = 62; // cutoff: the start of 2026-09-19 (UTC)
const CUTOFF = '2026-09-19T00:00:00.000Z';

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

const log = (createdAt: string, extra: Record<string, unknown> = {}) => ({
  created_at: createdAt,
  user_id: 'user-1',
  service_type: 'workflow',
  workflow_id: null,
  total_cost: 1,
  ...extra,
});

async function rollups(client: pg.Pool | pg.PoolClient = db.pool) {
  const result: Record<string, string[]> = {};
  for (const table of ['service_performance_metrics', 'workflow_analytics', 'daily_cost_breakdown']) {
    const { rows } = await client.query(`select to_jsonb(t) - 'id' - 'created_at' - 'updated_at' as r from public.${table} t`);
    result[table] = rows.map((row) => JSON.stringify(row.r)).sort();
  }
  return result;
}

/** What recomputing the days from `from` on from the raw logs gives now (rolled back). */
async function recomputed(from = '2026-08-01') {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    for (const fn of ['tokensync_rollup_service_performance', 'tokensync_rollup_workflow_analytics', 'tokensync_rollup_daily_costs']) {
      await client.query(`select public.${fn}($1, '2026-11-30', 'UTC')`, [from]);
    }
    return await rollups(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** Everything derived from the raw logs that the purge must leave as it is. */
async function derivedFigures() {
  const q = async (sql: string) => (await db.pool.query(sql)).rows;
  return {
    rollups: await rollups(),
    spend: await q(`select entity_type, entity_id, sum(spent)::text as spent, sum(calls)::text as calls
                      from tokensync.spend_hourly group by 1, 2 order by 1, 2`),
    augustSpend: await q(`select tokensync_entity_spend('organization', 'mvp', '2026-08-01', '2026-09-01')::text as spent`),
    budgetSpend: await q(`select budget_limit_id, daily_spend::text, monthly_spend::text from tokensync.budget_spend order by 1`),
    alerts: await q(`select entity_type, entity_id, period, period_start, threshold_pct::text, amount_spent::text, updated_at from cost_alerts order by 1, 2, 3, 4, 5`),
    report: await source.reportFigures({ at: NOW, timezone: 'UTC' }),
    dailyCostView: await q(`select usage_date::text, sum(total_cost)::text as c from mv_daily_cost_breakdown group by 1 order by 1`),
  };
}

const count = async (sql: string, params: unknown[] = []) => (await db.pool.query(sql, params)).rows[0].n as number;

describe('retention purge', () => {
  let purgedWithPage: string;
  let before: Awaited<ReturnType<typeof derivedFigures>>;

  it('deletes raw logs before the horizon in batches, and no derived figure moves', async () => {
    const [oldest, , , edge] = await insertLogs(db.pool, [
      log('2026-08-10T09:00:00Z', { total_cost: 2.5, workflow_id: 'wf', workflow_step: 'plan' }),
      log('2026-08-10T10:00:00Z', { total_cost: 0.000001, service_type: 'virtual_panel' }),
      log('2026-08-11T10:00:00Z', { total_cost: 3 }),
      log('2026-09-18T23:30:00Z', { total_cost: 4 }),
      log('2026-09-19T00:30:00Z', { total_cost: 5 }), // kept: the cutoff day itself
      log('2026-11-02T10:00:00Z', { total_cost: 6 }),
      log('2026-11-20T09:00:00Z', { total_cost: 7 }),
    ]);
    await insertLimits(db.pool, [{ daily_limit: 10, monthly_limit: 20, breach_action: 'alert' }]);
    await source.rollupChanged({ timezone: 'UTC' });
    await source.refreshBudgetSpend({ at: NOW, timezone: 'UTC' });
    expect((await source.evaluateAlerts({ at: NOW, timezone: 'UTC' })).length).toBeGreaterThan(0);

    await db.pool.query(`update token_usage_logs set total_cost = 2.75 where id = $1`, [oldest!.id]);

    // One purged row still has a live page in Notion, one a trashed page.
    purgedWithPage = edge!.id as string;
    await db.pool.query(
      `insert into tokensync.notion_sync_state (dataset, key, page_id, hash, source_created_at, synced_at, trashed_at) values
         ('token_usage_logs', $1, gen_random_uuid(), 'h', $2, now(), null),
         ('token_usage_logs', $3, gen_random_uuid(), null, $4, now(), now())`,
      [edge!.id, edge!.created_at, oldest!.id, oldest!.created_at],
    );
    await db.pool.query('truncate tokensync.sync_tombstones');
    await source.rollupChanged({ timezone: 'UTC' });
    before = await derivedFigures();
    expect(before.rollups).toEqual(await recomputed());

    const result = await runRetentionJob(source, { retentionDays: RETENTION_DAYS, timezone: 'UTC', now: NOW, batchSize: 3 });
    expect(result).toEqual({ enabled: true, deleted: 4, tombstones: 1, batches: 2, cutoff: CUTOFF, pending: false });

    expect(await count(`select count(*)::int as n from token_usage_logs where created_at < $1`, [CUTOFF])).toBe(0);
    expect(await count(`select count(*)::int as n from token_usage_logs`)).toBe(3);
    expect((await db.pool.query(`select key from tokensync.sync_tombstones`)).rows).toEqual([{ key: purgedWithPage }]);
    expect(await count(`select count(*)::int as n from tokensync.rollup_dirty_hours`)).toBe(0);
    expect((await db.pool.query(`select purged_before from tokensync.retention_state`)).rows[0].purged_before.toISOString()).toBe(CUTOFF);

    await source.rollupChanged({ timezone: 'UTC' });
    await source.refreshBudgetSpend({ at: NOW, timezone: 'UTC' });
    expect(await source.evaluateAlerts({ at: NOW, timezone: 'UTC' })).toEqual([]);
    expect(await derivedFigures()).toEqual(before);
  });

  it('never recomputes a closed day: a late row dated there counts in spend, not in the rollups, until the next purge', async () => {
    await insertLogs(db.pool, [log('2026-08-12T10:00:00Z', { total_cost: 0.5 })]);
    const claim = await source.rollupChanged({ timezone: 'UTC' });
    expect(claim).toMatchObject({ days: [], skippedClosedDays: 1, dailyCosts: { changed: 0, deleted: 0 } });
    expect(await rollups()).toEqual(before.rollups);
    const spent = (await db.pool.query(`select tokensync_entity_spend('organization', 'mvp', '2026-08-01', '2026-09-01')::text as s`)).rows[0].s;
    expect(spent).toBe('6.250001'); // the purged August rows (2.75 + 0.000001 + 3) and the late 0.5

    // The full-range path leaves closed days alone too.
    const full = await source.rollupDays({ from: '2026-08-01', to: '2026-11-20' });
    expect(full.skippedClosedDays).toBe(49); // 2026-08-01 .. 2026-09-18
    expect(full.days[0]).toBe('2026-09-19');
    expect(await rollups()).toEqual(before.rollups);

    // The next purge removes the late row, through the Supabase API this time, and leaves spend as it was.
    const rpc = openSource(db, 'rpc');
    try {
      expect(await rpc.purgeLogs({ retentionDays: RETENTION_DAYS, timezone: 'UTC', at: NOW })).toMatchObject({ deleted: 1, tombstones: 0, hasMore: false });
    } finally {
      await rpc.close();
    }
    expect((await db.pool.query(`select tokensync_entity_spend('organization', 'mvp', '2026-08-01', '2026-09-01')::text as s`)).rows[0].s).toBe(spent);
    expect(await rollups()).toEqual(before.rollups);
  });

  it('deletes that are not the purge still reach the rollups, spend and tombstones', async () => {
    const spendRows = await count(`select count(*)::int as n from tokensync.spend_hourly`);
    await db.pool.query(`delete from token_usage_logs where created_at >= '2026-11-02' and created_at < '2026-11-03'`);
    expect(await count(`select count(*)::int as n from tokensync.spend_hourly`)).toBeGreaterThan(spendRows);
    expect(await source.rollupChanged({ timezone: 'UTC' })).toMatchObject({ days: ['2026-11-02'], dailyCosts: { deleted: 1 } });
    // The raw-log window trims its own pages; the rollup row the delete emptied leaves a tombstone for its page.
    expect(await count(`select count(*)::int as n from tokensync.sync_tombstones where dataset = 'daily_cost_breakdown' and key <> $1`, [purgedWithPage])).toBe(1);
  });

  it('does nothing when retention is off, and rejects a retention under one day', async () => {
    expect(await runRetentionJob(source, { retentionDays: 0, timezone: 'UTC', now: NOW })).toMatchObject({ enabled: false, deleted: 0, batches: 0 });
    await expect(source.purgeLogs({ retentionDays: 0, at: NOW })).rejects.toMatchObject({ sqlState: '22023' });
    await expect(source.purgeLogs({ retentionDays: 62, batchSize: 0, at: NOW })).rejects.toMatchObject({ sqlState: '22023' });
  });

  it('stops after its batch limit and says that rows remain', async () => {
    await insertLogs(db.pool, [log('2026-09-01T01:00:00Z'), log('2026-09-01T02:00:00Z'), log('2026-09-01T03:00:00Z')]);
    const first = await runRetentionJob(source, { retentionDays: RETENTION_DAYS, timezone: 'UTC', now: NOW, batchSize: 1, maxBatches: 2 });
    expect(first).toMatchObject({ deleted: 2, batches: 2, pending: true });
    expect(await runRetentionJob(source, { retentionDays: RETENTION_DAYS, timezone: 'UTC', now: NOW, batchSize: 1 })).toMatchObject({ deleted: 1, pending: false });
  });

  it('takes the pending changes of the days it closes with them', async () => {
    // 2026-09-19 is open until the horizon moves a day on; its change is not rolled up yet.
    await insertLogs(db.pool, [log('2026-09-19T05:00:00Z', { total_cost: 0.125 })]);
    // Days before it are closed already: what they hold stays as it is.
    const expected = await recomputed('2026-09-19');
    const nextDay = new Date(NOW.getTime() + 86_400_000);
    expect(await runRetentionJob(source, { retentionDays: RETENTION_DAYS, timezone: 'UTC', now: nextDay })).toMatchObject({
      deleted: 2,
      cutoff: '2026-09-20T00:00:00.000Z',
    });
    expect(await rollups()).toEqual(expected);
    const { rows } = await db.pool.query(`select total_cost::text as c from daily_cost_breakdown where metric_date = '2026-09-19'`);
    expect(rows).toEqual([{ c: '5.125' }]);
  });
});
