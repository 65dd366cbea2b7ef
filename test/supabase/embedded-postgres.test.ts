/**
 * tokensync's own Postgres code paths against the embedded server, unchanged:
 * the migrator, the pg-pool SQL function transport (several pools at once, as
 * the worker has), sync state, budget checks, and the SDK's batch writer.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@tokensync/pglite-server';
import { createTracker } from '../../src/sdk/tracker.js';
import { DEFAULT_SEED_FILE, migrate, readMigrationFiles } from '../../src/supabase/migrator.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import { createSupabaseSource, type SupabaseSource } from '../../src/supabase/source.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createSyncState } from '../../src/sync/state.js';
import { usageCall } from '../support/fixtures.js';

/** PGlite needs a few seconds to start (initdb in WASM); the migrations take well under one more. */
const START_TIMEOUT_MS = 60_000;
const AT = '2026-11-20T12:00:00.000Z';

let server: EmbeddedPostgres;
let pool: pg.Pool;
const transports: SqlFunctionTransport[] = [];

function openTransport(): SqlFunctionTransport {
  const transport = createPostgresTransport({ databaseUrl: server.url, maxConnections: 3 });
  transports.push(transport);
  return transport;
}

beforeAll(async () => {
  server = await startEmbeddedPostgres();
  pool = new pg.Pool({ connectionString: server.url, max: 2 });
}, START_TIMEOUT_MS);
afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await pool?.end();
  await server?.close();
});

describe('migrations over the wire', () => {
  it('applies every file, a second run is a no-op, and the seed gives the eight budget limits', async () => {
    const files = await readMigrationFiles();
    const first = await migrate({ databaseUrl: server.url, seedFile: DEFAULT_SEED_FILE });
    expect(first).toMatchObject({ applied: files.map((f) => f.fileName), seeded: true });

    const second = await migrate({ databaseUrl: server.url });
    expect(second).toMatchObject({ applied: [], alreadyApplied: files.length });

    const { rows } = await pool.query(
      `select (select array_agg(version order by version) from supabase_migrations.schema_migrations) as versions,
              (select count(*)::int from budget_limits) as limits,
              (select count(*)::int from budget_limits where entity_type = 'tier') as tiers`,
    );
    expect(rows[0]).toEqual({ versions: files.map((f) => f.version), limits: 8, tiers: 3 });
  });

  it('has the Supabase roles the migrator creates on plain Postgres', async () => {
    const { rows } = await pool.query(
      `select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by rolname`,
    );
    expect(rows).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
  });
});

describe('the SQL function transport (createPostgresTransport)', () => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = createSupabaseSource(openTransport(), { timezone: 'UTC' });
  });

  it('the SDK batch writer records usage, and keyset pages return every row once, in UTC', async () => {
    const tracker = createTracker({
      databaseUrl: server.url,
      config: loadConfig({}),
      logger: createLogger({ level: 'silent' }),
      batchSize: 250,
    });
    try {
      for (let i = 0; i < 1000; i++) tracker.record(usageCall(`embedded-${i}`, { createdAt: AT }));
      expect(await tracker.flush()).toMatchObject({ written: 1000, duplicates: 0, rejected: 0, dropped: 0, pending: 0 });
      for (let i = 0; i < 10; i++) tracker.record(usageCall(`embedded-${i}`));
      expect(await tracker.flush()).toMatchObject({ written: 0, duplicates: 10 });
    } finally {
      await tracker.close();
    }

    const seen: unknown[] = [];
    const createdAt = new Set<unknown>();
    let cursor = null;
    for (let more = true; more; ) {
      const page = await source.changedRows('token_usage_logs', cursor, { limit: 300, settleMs: 0 });
      page.rows.forEach((row) => (seen.push(row.request_id), createdAt.add(row.created_at)));
      [cursor, more] = [page.nextCursor, page.hasMore];
    }
    expect([seen.length, new Set(seen).size]).toEqual([1000, 1000]);
    expect(createdAt).toEqual(new Set(['2026-11-20T12:00:00+00:00']));
  });

  it('check_user_budget warns past a seeded (alert) limit, and denies past a blocking one', async () => {
    const request = { userId: 'user-1', sessionId: 'session-1', serviceType: 'workflow', at: AT };
    expect(await source.checkUserBudget({ ...request, estimatedCost: 0.01 })).toMatchObject({ allowed: true, reason: 'within every limit that applies' });
    expect(await source.checkUserBudget({ ...request, estimatedCost: 20 })).toMatchObject({ allowed: true, reason: expect.stringMatching(/^warning/) });
    await pool.query(`insert into budget_limits (entity_type, entity_id, daily_limit, breach_action) values ('user', 'user-1', 5, 'block')`);
    // $4.50 spent: the default 10 % grace admits up to $5.50, and not a cent more.
    expect(await source.checkUserBudget({ ...request, estimatedCost: 1 })).toMatchObject({ allowed: true, remainingBudget: 0.5 });
    expect(await source.checkUserBudget({ ...request, estimatedCost: 1.01 })).toMatchObject({ allowed: false, remainingBudget: 0.5 });
  });

  it('sync leases keep two owners apart', async () => {
    const state = createSyncState(openTransport());
    expect(await state.acquireLease('cost_alerts', 'worker-a', 60_000)).toBe(true);
    expect(await state.acquireLease('cost_alerts', 'worker-b', 60_000)).toBe(false);
    expect(await state.acquireLease('cost_alerts', 'worker-a', 60_000)).toBe(true);
  });

  it('several pools at once: rollups, concurrent view refreshes, budget status and schema status', async () => {
    const [a, b, c] = [0, 1, 2].map(() => createSupabaseSource(openTransport(), { timezone: 'UTC' }));
    const [rollup, views, status, schema, budget] = await Promise.all([
      a!.rollupServicePerformance({ from: '2026-11-20', to: '2026-11-20' }),
      b!.refreshReportingViews(),
      c!.budgetStatus({ at: AT }),
      a!.schemaStatus(),
      Promise.all(Array.from({ length: 20 }, () => b!.checkUserBudget({ userId: 'user-1', sessionId: null, serviceType: 'workflow', estimatedCost: 0.01, at: AT }))),
    ]);
    expect(rollup).toBeTruthy();
    expect(Object.keys(views)).toHaveLength(3); // mv_daily_cost_breakdown is a plain view now
    expect(status.length).toBeGreaterThan(0);
    expect(schema.migrations).toHaveLength((await readMigrationFiles()).length);
    expect(Object.values(schema.tables).every((t) => t.rls && !t.anon_can_select)).toBe(true);
    expect(new Set(budget.map((d) => d.allowed))).toEqual(new Set([true]));
    const { rows } = await pool.query(`select total_requests from service_performance_metrics where service_type = 'workflow'`);
    expect(rows).toEqual([{ total_requests: 1000 }]);
  });
});
