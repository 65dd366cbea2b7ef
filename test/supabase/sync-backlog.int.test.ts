import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { readBacklog } from '../../src/sync/backlog.js';
import { DATASET_DEFINITIONS } from '../../src/sync/datasets/index.js';
import { createSyncState, type SyncState } from '../../src/sync/state.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { KeysetCursor, RowChange, SupabaseSource, SyncChangesOptions } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
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
const WINDOW_DAYS = 30;
const asLogs = (extra: SyncChangesOptions = {}): SyncChangesOptions => ({
  settleMs: 0, columns: LOGS.columns, salt: LOGS.salt, createdAfter: new Date(Date.now() - WINDOW_DAYS * 86_400_000), ...extra,
});
const written = (changes: RowChange[]) =>
  changes.map((c) => ({ key: String(c.row.id), pageId: crypto.randomUUID(), hash: c.hash, sourceCreatedAt: String(c.row.created_at) }));

describe.each(TRANSPORTS)('tokensync_sync_backlog through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query(`truncate token_usage_logs, service_performance_metrics, tokensync.notion_sync_state, tokensync.sync_checkpoints,
                         tokensync.sync_tombstones, tokensync.sync_failures`);
  });

  /**
   * The generic count, with token_usage_logs as the sample table. (The worker counts
   * raw logs through their window instead, which the log-window tests cover.)
   */
  const logsBacklog = async (limit?: number) => {
    const report = await source.syncBacklog(
      [{ dataset: 'token_usage_logs', columns: LOGS.columns, salt: LOGS.salt, createdAfter: asLogs().createdAfter! }],
      limit ? { limit } : {},
    );
    const row = report.datasets[0]!;
    return { ...row, oldestPendingSeconds: row.oldestPendingAt === null ? null : (Date.parse(report.asOf) - Date.parse(row.oldestPendingAt)) / 1000 };
  };
  const rawBacklog = async (limit?: number) =>
    (await source.syncBacklog([{ dataset: 'token_usage_logs', columns: LOGS.columns, salt: LOGS.salt, createdAfter: asLogs().createdAfter! }], limit ? { limit } : {})).datasets[0]!;

  /** One page of the sync, written (recorded) and, when asked, checkpointed: what the engine does. */
  async function syncPage(cursor: KeysetCursor | null, checkpoint: boolean) {
    const page = await source.syncChanges('token_usage_logs', cursor, asLogs({ maxChanges: 200 }));
    await state.record('token_usage_logs', written(page.changes));
    if (checkpoint && page.nextCursor) await state.advance('token_usage_logs', page.nextCursor);
    return page;
  }

  it('counts every change exactly, not in steps of a page, and nothing once all is written', async () => {
    await insertLogs(db.pool, Array.from({ length: 437 }, () => ({})));
    expect(await logsBacklog()).toMatchObject({ pending: 437, failed: 0, capped: false });

    const first = await syncPage(null, true);
    expect(first.changes).toHaveLength(200);
    expect((await logsBacklog()).pending).toBe(237);

    // Written but not yet checkpointed (a pass between two pages): already in Notion, not counted.
    const second = await syncPage(first.nextCursor, false);
    expect((await logsBacklog()).pending).toBe(37);
    let page = await syncPage(second.nextCursor, true);
    while (page.hasMore) page = await syncPage(page.nextCursor, true);
    expect(await logsBacklog()).toMatchObject({ pending: 0, failed: 0, oldestPendingSeconds: null });
  });

  it('gives the age of the oldest change, which grows until it is written', async () => {
    const [a, b] = await insertLogs(db.pool, [{}, {}]);
    const raw = await rawBacklog();
    expect(Date.parse(raw.oldestPendingAt!)).toBe((a!.updated_at as Date).getTime());
    expect((Date.parse(raw.oldestPendingAt!) <= (b!.updated_at as Date).getTime())).toBe(true);

    const before = (await logsBacklog()).oldestPendingSeconds!;
    let later = before;
    for (let i = 0; i < 200 && later <= before; i++) later = (await logsBacklog()).oldestPendingSeconds!;
    expect(later).toBeGreaterThan(before);

    // Once a is written, the oldest is b.
    const page = await source.syncChanges('token_usage_logs', null, asLogs({ maxChanges: 1 }));
    await state.record('token_usage_logs', written(page.changes));
    expect(Date.parse((await rawBacklog()).oldestPendingAt!)).toBe((b!.updated_at as Date).getTime());
  });

  it('leaves raw logs before the window out; counts a deleted row until its page is trashed', async () => {
    const [old, kept] = await insertLogs(db.pool, [{ created_at: new Date(Date.now() - 40 * 86_400_000).toISOString() }, {}]);
    expect((await logsBacklog()).pending).toBe(1);
    await syncPage(null, true);
    expect((await logsBacklog()).pending).toBe(0);

    expect(old).toBeDefined();

    // A deleted row is waiting until its page is trashed (raw logs' window trims its own pages: a rollup here).
    const METRICS = DATASET_DEFINITIONS.service_performance_metrics;
    const metricsBacklog = async () =>
      (await source.syncBacklog([{ dataset: 'service_performance_metrics', columns: METRICS.columns, salt: METRICS.salt, createdAfter: null }])).datasets[0]!;
    const { rows: [metric] } = await db.pool.query(
      `insert into service_performance_metrics (metric_date, service_type, total_requests, successful_requests, failed_requests, success_rate,
         prompt_tokens, completion_tokens, total_tokens, total_cost, avg_cost_per_request, unique_users, unique_sessions)
       values ('2026-11-20', 'workflow', 1, 1, 0, 1, 10, 5, 15, 0.01, 0.01, 1, 1) returning id, created_at`,
    );
    const [change] = (await source.syncChanges('service_performance_metrics', null, { settleMs: 0, columns: METRICS.columns, salt: METRICS.salt })).changes;
    await state.record('service_performance_metrics', written([change!]));
    expect((await metricsBacklog()).pending).toBe(0);
    await db.pool.query('delete from service_performance_metrics where id = $1', [metric.id]);
    expect(await metricsBacklog()).toMatchObject({ pending: 1, deletes: 1, changes: 0 });
    await state.markTrashed('service_performance_metrics', [String(metric.id)]);
    expect(await metricsBacklog()).toMatchObject({ pending: 0, deletes: 0 });
    expect(kept).toBeDefined();
  });

  it('counts rows the sync gave up on as failed until they are written or change', async () => {
    const [a, b, c] = await insertLogs(db.pool, [{}, {}, {}]);
    const page = await source.syncChanges('token_usage_logs', null, asLogs());
    // b was refused for good: a and c are written, the checkpoint passes all three.
    await state.record('token_usage_logs', written(page.changes.filter((ch) => ch.row.id !== b!.id)));
    await state.noteFailures('token_usage_logs', [{ key: String(b!.id), reason: 'validation_error' }]);
    await state.advance('token_usage_logs', page.nextCursor!);
    const raw = await rawBacklog();
    expect(raw).toMatchObject({ pending: 0, failed: 1 });
    expect(Date.parse(raw.oldestFailedAt!)).toBe((b!.updated_at as Date).getTime());

    // Changed since: after the checkpoint, a pending change again (not counted twice).
    await db.pool.query(`update token_usage_logs set model = 'o3' where id = $1`, [b!.id]);
    expect(await rawBacklog()).toMatchObject({ pending: 1, failed: 0 });

    // Written at last: the failure is dropped with the next note.
    const again = await source.syncChanges('token_usage_logs', page.nextCursor, asLogs());
    await state.record('token_usage_logs', written(again.changes));
    await state.advance('token_usage_logs', again.nextCursor!);
    await state.noteFailures('token_usage_logs', [{ key: String(c!.id), reason: 'still refused' }]);
    const { rows } = await db.pool.query('select key from tokensync.sync_failures order by key');
    expect(rows.map((r) => r.key)).toEqual([c!.id]);
    expect(await rawBacklog()).toMatchObject({ pending: 0, failed: 0 }); // c's page holds its content
    expect(a).toBeDefined();
  });

  it('bounds the rows it reads when asked, saying so, with the oldest change still exact', async () => {
    const logs = await insertLogs(db.pool, Array.from({ length: 25 }, () => ({})));
    const capped = await rawBacklog(10);
    expect(capped).toMatchObject({ changes: 10, capped: true });
    expect(Date.parse(capped.oldestPendingAt!)).toBe((logs[0]!.updated_at as Date).getTime());
    // Exactly at the limit it cannot tell whether more follow: "at least 25", still true.
    expect(await rawBacklog(25)).toMatchObject({ changes: 25, capped: true });
    expect(await rawBacklog(26)).toMatchObject({ changes: 25, capped: false });
  });

  it('answers for every dataset, through the view budget limits are read by', async () => {
    const report = await readBacklog(source, { tokenLogWindowDays: WINDOW_DAYS });
    expect(report.datasets.map((d) => d.dataset)).toEqual([...DATASETS]);
    expect(report.datasets.find((d) => d.dataset === 'cost_alerts')).toMatchObject({ lane: 'alerts' });
  });
});
