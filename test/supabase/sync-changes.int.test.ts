import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATASET_DEFINITIONS } from '../../src/sync/datasets/index.js';
import { createSyncState, type SyncState } from '../../src/sync/state.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { KeysetCursor, SupabaseSource, SyncChangesOptions, SyncDataset } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs, insertRows } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
let state: SyncState;
let closeState: () => Promise<void>;
beforeAll(async () => {
  db = await createTestDatabase();
  const transport = createPostgresTransport({ databaseUrl: db.url });
  state = createSyncState(transport);
  closeState = () => transport.close();
});
afterAll(async () => {
  await closeState();
  await db.drop();
});

const LOGS = DATASET_DEFINITIONS.token_usage_logs;
const asLogs = (extra: SyncChangesOptions = {}): SyncChangesOptions => ({ settleMs: 0, columns: LOGS.columns, salt: LOGS.salt, ...extra });

/** Reads every page, recording each change as written (as the engine does after a successful write). */
async function syncAll(source: SupabaseSource, dataset: SyncDataset, options: SyncChangesOptions) {
  let cursor: KeysetCursor | null = null;
  const totals = { scanned: 0, changed: [] as string[], pages: 0 };
  for (;;) {
    const page = await source.syncChanges(dataset, cursor, options);
    totals.pages += 1;
    totals.scanned += page.scanned;
    totals.changed.push(...page.changes.map((c) => String(c.row.id)));
    await state.record(dataset, page.changes.map((c) => ({ key: String(c.row.id), pageId: crypto.randomUUID(), hash: c.hash, sourceCreatedAt: null })));
    cursor = page.nextCursor;
    if (!page.hasMore) return totals;
  }
}

describe.each(TRANSPORTS)('tokensync_sync_changes through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, cost_alerts, tokensync.notion_sync_state');
  });

  it('returns only rows whose content differs from what was recorded; the rest are counted, not sent', async () => {
    const logs = await insertLogs(db.pool, Array.from({ length: 30 }, () => ({})));
    const first = await syncAll(source, 'token_usage_logs', asLogs({ maxChanges: 1000 }));
    expect(first.changed.sort()).toEqual(logs.map((l) => String(l.id)).sort());

    await db.pool.query(`update token_usage_logs set model = 'o3' where id = any($1)`, [[logs[3]!.id, logs[17]!.id]]);
    const again = await syncAll(source, 'token_usage_logs', asLogs({ maxChanges: 1000 }));
    expect(again.scanned).toBe(30);
    expect(again.changed.sort()).toEqual([String(logs[3]!.id), String(logs[17]!.id)].sort());

    const quiet = await syncAll(source, 'token_usage_logs', asLogs({ maxChanges: 1000 }));
    expect(quiet).toMatchObject({ scanned: 30, changed: [] });
  });

  it('stops a page after maxChanges changed rows, and the next page goes on from there', async () => {
    await insertLogs(db.pool, Array.from({ length: 10 }, () => ({})));
    const page = await source.syncChanges('token_usage_logs', null, asLogs({ maxChanges: 3, limit: 1000 }));
    expect(page.changes).toHaveLength(3);
    expect(page.scanned).toBe(3);
    expect(page.hasMore).toBe(true);
    expect(page.nextCursor?.id).toBe(page.changes[2]!.row.id);
    const rest = await syncAll(source, 'token_usage_logs', asLogs({ maxChanges: 3 }));
    expect(rest.changed).toHaveLength(10); // nothing recorded yet: every row is still a change
    expect(rest.pages).toBe(4);
  });

  it('hashes alike whatever the session time zone, and a touch without change is no change where no property shows updated_at', async () => {
    const [alert] = await insertRows(db.pool, 'cost_alerts', [
      {
        entity_type: 'service', entity_id: 'workflow', period: 'daily', period_start: '2026-11-20T00:00:00Z', threshold_pct: 90,
        amount_spent: 9.5, limit_amount: 10, severity: 'critical', message: 'workflow spent 95% of its daily limit',
      },
    ]);
    const options = { settleMs: 0, columns: DATASET_DEFINITIONS.cost_alerts.columns, salt: DATASET_DEFINITIONS.cost_alerts.salt };
    const { changes: [utc] } = await source.syncChanges('cost_alerts', null, options);

    const elsewhere = new pg.Client({ connectionString: db.url, options: '-c TimeZone=Pacific/Chatham' });
    await elsewhere.connect();
    try {
      const { rows } = await elsewhere.query(`select public.tokensync_sync_changes('cost_alerts', p_settle_ms => 0, p_columns => $1, p_salt => $2) as r`, [
        JSON.stringify(options.columns),
        options.salt,
      ]);
      expect(rows[0].r.changes[0].hash).toBe(utc!.hash);
    } finally {
      await elsewhere.end();
    }

    await state.record('cost_alerts', [{ key: String(alert!.id), pageId: crypto.randomUUID(), hash: utc!.hash, sourceCreatedAt: null }]);
    await db.pool.query('update cost_alerts set message = message where id = $1', [alert!.id]);
    expect((await source.syncChanges('cost_alerts', null, options)).changes).toEqual([]);
    await db.pool.query(`update cost_alerts set message = 'changed' where id = $1`, [alert!.id]);
    expect((await source.syncChanges('cost_alerts', null, options)).changes).toHaveLength(1);
  });

  it('a new salt makes every row a change; trashed and pending pages come back with no page id', async () => {
    const logs = await insertLogs(db.pool, [{}, {}, {}]);
    await syncAll(source, 'token_usage_logs', asLogs());
    expect((await syncAll(source, 'token_usage_logs', asLogs())).changed).toEqual([]);
    expect((await source.syncChanges('token_usage_logs', null, asLogs({ salt: 'another mapping' }))).changes).toHaveLength(3);

    await state.markTrashed('token_usage_logs', [String(logs[0]!.id)]);
    await state.markPending('token_usage_logs', [{ key: String(logs[1]!.id), sourceCreatedAt: null }]);
    const { changes } = await source.syncChanges('token_usage_logs', null, asLogs());
    const byId = new Map(changes.map((c) => [String(c.row.id), c]));
    expect(byId.get(String(logs[0]!.id))).toMatchObject({ pageId: null, createPending: false });
    expect(byId.get(String(logs[1]!.id))).toMatchObject({ pageId: null, createPending: true });
    expect(byId.has(String(logs[2]!.id))).toBe(false);
  });

  it('reports progress as the rows whose page holds their current content', async () => {
    const logs = await insertLogs(db.pool, [{}, {}, {}, {}]);
    // The SQL contract itself (sync --status reads the raw-log window's cursor instead, see progress.ts).
    const progress = () =>
      source.syncProgress([
        { dataset: 'token_usage_logs', columns: LOGS.columns, salt: LOGS.salt, createdAfter: new Date(Date.now() - 30 * 86_400_000) },
      ]);
    expect(await progress()).toEqual([{ dataset: 'token_usage_logs', rows: 4, synced: 0 }]);
    await syncAll(source, 'token_usage_logs', asLogs());
    expect(await progress()).toEqual([{ dataset: 'token_usage_logs', rows: 4, synced: 4 }]);
    await db.pool.query(`update token_usage_logs set model = 'o3' where id = $1`, [logs[0]!.id]);
    await db.pool.query(`update token_usage_logs set created_at = now() - interval '40 days' where id = $1`, [logs[1]!.id]);
    expect(await progress()).toEqual([{ dataset: 'token_usage_logs', rows: 3, synced: 2 }]);
  });

  it('leaves rows created before the window out, listing those still in Notion', async () => {
    const [old, recent, neverSynced] = await insertLogs(db.pool, [{}, {}, {}]);
    await syncAll(source, 'token_usage_logs', asLogs());
    await db.pool.query(`update token_usage_logs set created_at = now() - interval '40 days' where id = any($1)`, [[old!.id, neverSynced!.id]]);
    await db.pool.query('delete from tokensync.notion_sync_state where key = $1', [neverSynced!.id]);

    const page = await source.syncChanges('token_usage_logs', null, asLogs({ createdAfter: new Date(Date.now() - 30 * 86_400_000) }));
    expect(page.expired).toBe(2);
    expect(page.expiredPages.map((p) => p.key)).toEqual([String(old!.id)]);
    // The backdated rows changed (updated_at) but are out of the window; the recent one is unchanged.
    expect(page.changes).toEqual([]);
    expect(page.scanned).toBe(3);
    expect(recent).toBeDefined();
  });
});
