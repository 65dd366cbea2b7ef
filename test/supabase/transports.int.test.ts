import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import { createRpcTransport } from '../../src/supabase/rpc-transport.js';
import { createSupabaseSource, openSupabaseSource, SYNC_DATASETS, type SupabaseSource } from '../../src/supabase/source.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { loadConfig } from '../../src/config/env.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource, postgrestFetch, TEST_SERVICE_ROLE_KEY } from '../support/sources.js';

let db: TestDatabase;
let direct: SupabaseSource;
let rpc: SupabaseSource;
const AT = '2026-11-20T12:00:00.000Z';

beforeAll(async () => {
  db = await createTestDatabase();
  direct = openSource(db, 'postgres');
  rpc = openSource(db, 'rpc');
  await insertLimits(db.pool, [
    { daily_limit: 5, monthly_limit: 50 },
    { entity_type: 'user', entity_id: 'user-2', session_limit: 0.5, breach_action: 'alert' },
  ]);
  await insertLogs(
    db.pool,
    Array.from({ length: 40 }, (_, i) => ({
      created_at: `2026-11-${String(18 + (i % 3)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00Z`,
      user_id: `user-${i % 3}`,
      session_id: `session-${i % 5}`,
      workflow_id: i % 2 ? 'wf-a' : null,
      workflow_step: i % 4 === 1 ? 'plan' : null,
      total_cost: (i * 37) / 1000,
      metadata: { attempt: i, tags: ['a', 'b'] },
    })),
  );
});
afterAll(async () => {
  await Promise.all([direct.close(), rpc.close()]);
  await db.drop();
});

describe('both transports return identical results', () => {
  it.each(SYNC_DATASETS)('changed rows of %s', async (dataset) => {
    await direct.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20' });
    await direct.rollupWorkflowAnalytics({ from: '2026-11-18', to: '2026-11-20' });
    const first = await direct.changedRows(dataset, null, { limit: 15, settleMs: 0 });
    expect(await rpc.changedRows(dataset, null, { limit: 15, settleMs: 0 })).toEqual({ ...first, horizon: expect.any(String) });
    const second = await direct.changedRows(dataset, first.nextCursor, { limit: 15, settleMs: 0 });
    expect(await rpc.changedRows(dataset, first.nextCursor, { limit: 15, settleMs: 0 })).toEqual({ ...second, horizon: expect.any(String) });
  });

  it('rows carry JSON values as the table holds them', async () => {
    const page = await rpc.changedRows('token_usage_logs', null, { limit: 1, settleMs: 0 });
    expect(page.rows[0]).toMatchObject({ total_cost: 0, metadata: { attempt: 0, tags: ['a', 'b'] }, success: true });
    expect(page.rows[0]!.created_at).toBe('2026-11-18T00:15:00+00:00');
  });

  it('budget checks and budget status', async () => {
    for (const request of [
      { userId: 'user-1', sessionId: 'session-1', serviceType: 'workflow', estimatedCost: 0.01, at: AT },
      { userId: 'user-1', sessionId: 'session-1', serviceType: 'workflow', estimatedCost: 4, at: AT },
      { userId: 'user-2', sessionId: 'session-2', serviceType: 'workflow', estimatedCost: 0.3, at: AT },
      { userId: null, sessionId: null, serviceType: null, estimatedCost: 0, at: AT },
    ]) {
      expect(await rpc.checkUserBudget(request)).toEqual(await direct.checkUserBudget(request));
    }
    const status = await direct.budgetStatus({ at: AT });
    expect(status.length).toBeGreaterThan(2);
    expect(await rpc.budgetStatus({ at: AT })).toEqual(status);
  });

  it('rollups write the same rows', async () => {
    const snapshot = async () =>
      (await db.pool.query(`select metric_date::text, service_type, total_requests, total_cost, p95_latency_ms, unique_users
                              from service_performance_metrics order by 1, 2`)).rows;
    await db.pool.query('truncate service_performance_metrics');
    const viaDirect = await direct.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20', timezone: 'Europe/Berlin' });
    const directRows = await snapshot();
    await db.pool.query('truncate service_performance_metrics');
    expect(await rpc.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20', timezone: 'Europe/Berlin' })).toEqual(viaDirect);
    expect(await snapshot()).toEqual(directRows);
  });

  it('the raw-log window status', async () => {
    const options = { pageBudget: 500, windowDays: 30, at: AT, timezone: 'UTC' };
    const status = await direct.logWindowStatus(options);
    expect(status).toMatchObject({ pagesLive: 0, pageBudget: 500, leftOutToday: 0, leftOutTotal: 0, mirroredTotal: 0, unmirrored: 40 });
    expect(status.oldestUnmirroredAt).not.toBeNull();
    expect(await rpc.logWindowStatus(options)).toEqual(status);
  });

  it('errors carry the same SQLSTATE', async () => {
    const bad = (source: SupabaseSource) => source.rollupWorkflowAnalytics({ from: '2026-11-20', to: '2026-11-01' }).catch((e) => e);
    const [a, b] = await Promise.all([bad(direct), bad(rpc)]);
    expect(a).toBeInstanceOf(DatabaseError);
    expect(b).toBeInstanceOf(DatabaseError);
    expect([a.sqlState, b.sqlState]).toEqual(['22023', '22023']);
    expect([a.retryable, b.retryable]).toEqual([false, false]);
  });
});

describe('choosing and failing transports', () => {
  it('uses rpc when the Supabase pair is set, postgres when only DATABASE_URL is', async () => {
    const viaRpc = openSupabaseSource(
      loadConfig({ SUPABASE_URL: 'http://supabase.test', SUPABASE_SERVICE_ROLE_KEY: TEST_SERVICE_ROLE_KEY, DATABASE_URL: db.url }),
      { fetch: postgrestFetch(db) },
    );
    const viaPostgres = openSupabaseSource(loadConfig({ DATABASE_URL: db.url }));
    try {
      expect([viaRpc.transport, viaPostgres.transport]).toEqual(['rpc', 'postgres']);
      expect((await viaRpc.changedRows('budget_limits', null, { settleMs: 0 })).rows).toHaveLength(2);
      expect((await viaPostgres.changedRows('budget_limits', null, { settleMs: 0 })).rows).toHaveLength(2);
    } finally {
      await Promise.all([viaRpc.close(), viaPostgres.close()]);
    }
  });

  it('a database that cannot be reached is a retryable DatabaseError, by either transport', async () => {
    const down = createSupabaseSource(createPostgresTransport({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' }), { timezone: 'UTC' });
    const unreachable = createSupabaseSource(
      createRpcTransport({ supabaseUrl: 'http://127.0.0.1:1', serviceRoleKey: TEST_SERVICE_ROLE_KEY }),
      { timezone: 'UTC' },
    );
    try {
      await expect(down.changedRows('token_usage_logs', null)).rejects.toMatchObject({ code: 'database_error', retryable: true });
      await expect(unreachable.changedRows('token_usage_logs', null)).rejects.toMatchObject({ code: 'database_error', retryable: true });
    } finally {
      await Promise.all([down.close(), unreachable.close()]);
    }
  });

  it('a refused or unreachable Supabase API never puts the service-role key in the error', async () => {
    const key = 'sb-service-role-key-that-must-stay-out-of-errors';
    const refused = createRpcTransport({ supabaseUrl: 'http://supabase.test', serviceRoleKey: key, fetch: postgrestFetch(db) });
    const unreachable = createRpcTransport({ supabaseUrl: 'http://127.0.0.1:1', serviceRoleKey: key });
    const failure = (t: SqlFunctionTransport) => t.call('tokensync_schema_status', {}).then(() => expect.unreachable(), (e: DatabaseError) => e);
    const wrongKey = await failure(refused);
    const down = await failure(unreachable);
    expect(wrongKey).toMatchObject({ code: 'database_error', retryable: false, context: { httpStatus: 401 } });
    expect(down).toMatchObject({ code: 'database_error', retryable: true, context: { httpStatus: 0 } });
    for (const error of [wrongKey, down]) {
      expect(JSON.stringify({ message: error.message, stack: error.stack, context: error.context })).not.toContain(key);
    }
  });

  it('a missing function points at the migrations', async () => {
    await db.pool.query('alter function tokensync_budget_status(timestamptz, text) rename to tokensync_budget_status_gone');
    try {
      const remedy = expect.stringContaining('run `npm run db:migrate`');
      await expect(rpc.budgetStatus({ at: AT })).rejects.toMatchObject({ context: { httpStatus: 404 }, message: remedy });
      await expect(direct.budgetStatus({ at: AT })).rejects.toMatchObject({ sqlState: '42883', message: remedy });
    } finally {
      await db.pool.query('alter function tokensync_budget_status_gone(timestamptz, text) rename to tokensync_budget_status');
    }
  });
});
