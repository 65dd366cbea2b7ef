import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createSyncState, type SyncState } from '../../src/sync/state.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';

let db: TestDatabase;
let transport: SqlFunctionTransport;
let state: SyncState;
beforeAll(async () => {
  db = await createTestDatabase();
  transport = createPostgresTransport({ databaseUrl: db.url });
  state = createSyncState(transport);
});
afterAll(async () => {
  await transport.close();
  await db.drop();
});

describe('sync state in Postgres', () => {
  it('gives a dataset lease to one owner at a time, and back after expiry or release', async () => {
    expect(await state.acquireLease('cost_alerts', 'a', 60_000)).toBe(true);
    expect(await state.acquireLease('cost_alerts', 'b', 60_000)).toBe(false);
    expect(await state.acquireLease('cost_alerts', 'a', 60_000)).toBe(true);
    expect(await state.acquireLease('budget_limits', 'b', 60_000)).toBe(true);
    await state.releaseLease('cost_alerts', 'a');
    expect(await state.acquireLease('cost_alerts', 'b', 1)).toBe(true);
    await db.pool.query(`update tokensync.sync_leases set expires_at = now() - interval '1 second' where dataset = 'cost_alerts'`);
    expect(await state.acquireLease('cost_alerts', 'c', 60_000)).toBe(true);
  });

  it('moves a checkpoint forward only', async () => {
    expect(await state.checkpoint('workflow_analytics')).toBeNull();
    const later = { updatedAt: '2026-11-20T12:00:00.000002+00:00', id: randomUUID() };
    await state.advance('workflow_analytics', later);
    await state.advance('workflow_analytics', { updatedAt: '2026-11-20T12:00:00.000001+00:00', id: randomUUID() });
    expect(await state.checkpoint('workflow_analytics')).toEqual(later);
  });

  it('records pages and hashes in batches, and remembers creates in flight', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await state.markPending('budget_limits', [{ key: a, sourceCreatedAt: null }, { key: b, sourceCreatedAt: null }]);
    const pageA = randomUUID();
    await state.record('budget_limits', [{ key: a, pageId: pageA, hash: 'h1', sourceCreatedAt: '2026-11-20T00:00:00Z' }]);
    const known = await state.lookup('budget_limits', [a, b, c]);
    expect(known.get(a)).toEqual({ key: a, pageId: pageA, hash: 'h1', createPending: false });
    expect(known.get(b)).toEqual({ key: b, pageId: null, hash: null, createPending: true });
    expect(known.has(c)).toBe(false);
  });

  it('sees deletes through tombstones and old logs through the window', async () => {
    // Raw logs leave no tombstones (their window looks its few keys up): deletes are shown on budget limits.
    const [gone, never] = await insertLimits(db.pool, [
      { entity_type: 'user', entity_id: `gone-${randomUUID()}`, daily_limit: 1 },
      { entity_type: 'user', entity_id: `never-${randomUUID()}`, daily_limit: 1 },
    ]);
    const [old, fresh] = await insertLogs(db.pool, [{}, {}]);
    const now = new Date().toISOString();
    await state.record('budget_limits', [{ key: String(gone!.id), pageId: randomUUID(), hash: 'h', sourceCreatedAt: now }]);
    await state.record('token_usage_logs', [old, fresh].map((r, i) => ({
      key: String(r!.id), pageId: randomUUID(), hash: 'h', sourceCreatedAt: i === 0 ? '2020-01-01T00:00:00Z' : now,
    })));
    await db.pool.query('delete from budget_limits where id = any($1)', [[gone!.id, never!.id]]);

    const deleted = await state.toTrash('budget_limits', null, 100);
    expect(deleted.map((c) => [c.key, c.reason])).toEqual([[String(gone!.id), 'deleted']]);
    // The tombstone of a row that never reached Notion is dropped.
    const { rows: tombstones } = await db.pool.query(`select key from tokensync.sync_tombstones where dataset = 'budget_limits'`);
    expect(tombstones.map((t) => t.key)).toEqual([gone!.id]);
    const aged = await state.toTrash('token_usage_logs', new Date('2025-01-01T00:00:00Z'), 100);
    expect(aged.map((c) => [c.key, c.reason])).toEqual([[String(old!.id), 'out_of_window']]);

    await state.markTrashed('budget_limits', deleted.map((c) => c.key));
    await state.markTrashed('token_usage_logs', aged.map((c) => c.key));
    expect(await state.toTrash('budget_limits', null, 100)).toEqual([]);
    expect(await state.toTrash('token_usage_logs', new Date('2025-01-01T00:00:00Z'), 100)).toEqual([]);
    expect((await state.lookup('token_usage_logs', [String(old!.id)])).get(String(old!.id))?.pageId).toBeNull();
  });

  it('belongs to service_role only', async () => {
    const { rows } = await db.pool.query(`
      select r.rolname, has_schema_privilege(r.rolname, 'tokensync', 'usage') as schema_usage,
             has_function_privilege(r.rolname, 'public.tokensync_sync_record(text, jsonb)', 'execute') as can_record
        from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname`);
    expect(rows).toEqual([
      { rolname: 'anon', schema_usage: false, can_record: false },
      { rolname: 'authenticated', schema_usage: false, can_record: false },
      { rolname: 'service_role', schema_usage: true, can_record: true },
    ]);
  });

  it('decides open select values once: the most used get the room, case variants share an option, options people add count', async () => {
    await insertLogs(db.pool, [{ model: 'zeta' }, { model: 'zeta' }, { model: 'ZETA' }, { model: 'beta' }]);
    const name = (n: string) => ({ name: n, folded: n.toLowerCase(), raw: n });
    const other = [{ name: 'Other', folded: 'other' }];
    const decide = (values: string[], live = other) => state.decideOptions('daily_cost_breakdown', 'model', live, values.map(name), 3);

    // Room for two besides Other: zeta (two calls) first, then the others by calls and name.
    expect(Object.fromEntries(await decide(['alpha', 'beta', 'gamma', 'zeta']))).toEqual({ alpha: null, beta: 'beta', gamma: null, zeta: 'zeta' });
    // Kept: a later call changes nothing, a case variant is the option, a new value has no room.
    expect(Object.fromEntries(await decide(['Zeta', 'alpha', 'delta']))).toEqual({ zeta: 'zeta', alpha: null, delta: null });
    // An option Notion has (someone added it by hand) is an option, whatever was decided.
    expect(Object.fromEntries(await decide(['alpha'], [...other, { name: 'Alpha', folded: 'alpha' }]))).toEqual({ alpha: 'Alpha' });
    // Only options are stored: however many values overflow, the table holds at most the options.
    const { rows } = await db.pool.query(`select folded from tokensync.select_options where dataset = 'daily_cost_breakdown' and property = 'model' order by 1`);
    expect(rows.map((r) => r.folded)).toEqual(['alpha', 'beta', 'other', 'zeta']);
    // Each dataset and property decides apart.
    expect(Object.fromEntries(await state.decideOptions('token_usage_logs', 'model', other, [name('alpha')], 3))).toEqual({ alpha: 'alpha' });
  });
});
