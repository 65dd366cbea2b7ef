import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource, TEST_ANON_KEY } from '../support/sources.js';

const TABLES = ['token_usage_logs', 'budget_limits', 'cost_alerts', 'service_performance_metrics', 'workflow_analytics', 'daily_cost_breakdown', 'model_pricing'];
const VIEWS = ['mv_daily_cost_breakdown', 'mv_user_spending_summary', 'mv_service_performance', 'mv_workflow_efficiency'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await insertLogs(db.pool, [{}, {}]);
  await insertLimits(db.pool, [{ daily_limit: 10 }]);
  await db.pool.query(`select tokensync_rollup_service_performance(current_date - 1, current_date)`);
});
afterAll(() => db.drop());

/** Runs a statement as a role, in a transaction that is always rolled back. */
async function asRole(role: string, sql: string): Promise<{ rows?: unknown[]; code?: string }> {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    const { rows } = await client.query(sql);
    return { rows };
  } catch (error) {
    return { code: (error as { code: string }).code };
  } finally {
    await client.query('rollback');
    client.release();
  }
}

describe.each(['anon', 'authenticated'])('the %s role', (role) => {
  it.each(TABLES)('can neither read nor write %s', async (table) => {
    expect(await asRole(role, `select * from public.${table}`)).toEqual({ code: '42501' });
    expect(await asRole(role, `insert into public.${table} default values`)).toEqual({ code: '42501' });
    expect(await asRole(role, `update public.${table} set updated_at = now()`)).toEqual({ code: '42501' });
    expect(await asRole(role, `delete from public.${table}`)).toEqual({ code: '42501' });
  });

  it.each(VIEWS)('cannot read %s', async (view) => {
    expect(await asRole(role, `select * from public.${view}`)).toEqual({ code: '42501' });
  });

  it('cannot call the budget, sync or tracking functions', async () => {
    expect(await asRole(role, `select * from check_user_budget('user-1', 'session-1', 'workflow', 1)`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_record_usage('[]')`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_model_pricing()`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_usage_to_recost(now())`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_apply_costs('[]')`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_changed_rows('token_usage_logs')`)).toEqual({ code: '42501' });
    expect(await asRole(role, `select tokensync_refresh_reporting_views()`)).toEqual({ code: '42501' });
  });
});

it('RLS is on for every table, so even a granted SELECT shows anon no rows', async () => {
  const { rows } = await db.pool.query(
    `select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relname = any($1) order by relname`,
    [TABLES],
  );
  expect(rows).toEqual([...TABLES].sort().map((relname) => ({ relname, relrowsecurity: true })));

  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query('grant select on public.token_usage_logs, public.budget_limits to anon');
    await client.query('set local role anon');
    const logs = await client.query('select count(*)::int as n from public.token_usage_logs');
    const limits = await client.query('select count(*)::int as n from public.budget_limits');
    expect([logs.rows[0].n, limits.rows[0].n]).toEqual([0, 0]);
  } finally {
    await client.query('rollback');
    client.release();
  }
});

it('service_role sees every row (it is what the worker and the SDK use)', async () => {
  expect(await asRole('service_role', 'select count(*)::int as n from public.token_usage_logs')).toEqual({ rows: [{ n: 2 }] });
});

it('through the Supabase API an anon key is refused', async () => {
  const source = openSource(db, 'rpc', { key: TEST_ANON_KEY });
  const failure = source.changedRows('token_usage_logs', null);
  await expect(failure).rejects.toBeInstanceOf(DatabaseError);
  await expect(failure).rejects.toMatchObject({ sqlState: '42501', context: { httpStatus: 401 } });
});
