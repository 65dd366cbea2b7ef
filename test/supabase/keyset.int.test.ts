import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import type { KeysetCursor, SupabaseSource, SyncDataset } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** Reads pages until one comes back empty; returns ids in the order read. */
async function readAll(source: SupabaseSource, from: KeysetCursor | null, limit: number, dataset: SyncDataset = 'token_usage_logs') {
  const ids: string[] = [];
  let cursor = from;
  for (;;) {
    const page = await source.changedRows(dataset, cursor, { limit, settleMs: 0 });
    ids.push(...page.rows.map((r) => r.id as string));
    cursor = page.nextCursor;
    if (page.rows.length === 0) return { ids, cursor };
  }
}

/** Gives rows one identical updated_at, bypassing the trigger (as a bulk backfill can produce). */
async function stampAll(updatedAt: string) {
  const client = await db.pool.connect();
  try {
    await client.query(`set session_replication_role = replica`);
    await client.query(`update token_usage_logs set updated_at = $1`, [updatedAt]);
  } finally {
    await client.query(`set session_replication_role = origin`);
    client.release();
  }
}

describe.each(TRANSPORTS)('keyset paging through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs');
  });

  it('returns every row exactly once when many share one updated_at, with rows inserted between pages', async () => {
    const original = await insertLogs(db.pool, Array.from({ length: 250 }, () => ({})));
    await stampAll('2026-11-20T10:00:00.123456Z');

    const seen: string[] = [];
    let cursor: KeysetCursor | null = null;
    let added: string[] = [];
    for (let pageNo = 0; ; pageNo++) {
      const page = await source.changedRows('token_usage_logs', cursor, { limit: 7, settleMs: 0 });
      if (page.rows.length === 0) break;
      seen.push(...page.rows.map((r) => r.id as string));
      cursor = page.nextCursor;
      if (pageNo === 3) added = (await insertLogs(db.pool, Array.from({ length: 11 }, () => ({})))).map((r) => r.id as string);
    }

    const expected = [...original.map((r) => r.id as string), ...added];
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    // The cursor holds the stored timestamp exactly (a millisecond one would re-read or loop).
    const { rows } = await db.pool.query(
      'select updated_at = $1::timestamptz as exact from token_usage_logs where id = $2',
      [cursor!.updatedAt, cursor!.id],
    );
    expect(rows).toEqual([{ exact: true }]);
  });

  it('returns a row again after it changes, and only that row', async () => {
    const rows = await insertLogs(db.pool, [{}, {}, {}]);
    const { ids, cursor } = await readAll(source, null, 2);
    expect(ids).toEqual(rows.map((r) => r.id));

    await db.pool.query(`update token_usage_logs set total_cost = 9 where id = $1`, [rows[1]!.id]);
    const next = await readAll(source, cursor, 2);
    expect(next.ids).toEqual([rows[1]!.id]);
  });

  it('holds back rows younger than the settle margin', async () => {
    await insertLogs(db.pool, [{}]);
    const held = await source.changedRows('token_usage_logs', null, { settleMs: 60_000 });
    expect(held.rows).toEqual([]);
    expect(held.nextCursor).toBeNull();
    const ready = await source.changedRows('token_usage_logs', null, { settleMs: 0 });
    expect(ready.rows).toHaveLength(1);
  });

  it('rejects an unknown dataset, a bad page size and half a cursor', async () => {
    await expect(source.changedRows('token_usage_log' as SyncDataset, null)).rejects.toMatchObject({
      sqlState: '22023',
      message: expect.stringContaining("unknown dataset 'token_usage_log'"),
    });
    await expect(source.changedRows('token_usage_logs', null, { limit: 0 })).rejects.toBeInstanceOf(DatabaseError);
    await expect(
      source.changedRows('token_usage_logs', { updatedAt: '2026-11-20T10:00:00Z', id: null as unknown as string }),
    ).rejects.toMatchObject({ sqlState: '22023' });
  });
});

describe('a transaction that commits late', () => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, 'postgres');
  });
  afterAll(() => source.close());

  it('is not skipped: pages stop before the oldest open writer until it commits', async () => {
    await db.pool.query('truncate token_usage_logs');
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      await slow.query('begin');
      const [late] = (await slow.query(
        `insert into token_usage_logs (request_id, service_type, provider, model) values ('late', 'workflow', 'openai', 'gpt-4o') returning id`,
      )).rows;
      const [early] = await insertLogs(db.pool, [{ request_id: 'committed-first' }]);

      // The committed row is newer than the open transaction's start: held back, cursor stays put.
      const during = await readAll(source, null, 10);
      expect(during.ids).toEqual([]);

      await slow.query('commit');
      const after = await readAll(source, during.cursor, 10);
      expect(after.ids).toEqual([late.id, early!.id]);
    } finally {
      await slow.end();
    }
  });
});

it('pages every synced dataset', async () => {
  const source = openSource(db, 'postgres');
  try {
    await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, service_performance_metrics, workflow_analytics, daily_cost_breakdown');
    await insertLogs(db.pool, [{ workflow_id: 'wf-1', workflow_step: 'draft' }]);
    await db.pool.query(`insert into budget_limits (entity_type, entity_id, daily_limit) values ('user', 'user-1', 3)`);
    await db.pool.query(`select tokensync_rollup_service_performance(current_date - 1, current_date),
                                tokensync_rollup_workflow_analytics(current_date - 1, current_date),
                                tokensync_rollup_daily_costs(current_date - 1, current_date)`);
    await db.pool.query(
      `insert into cost_alerts (entity_type, entity_id, period, period_start, threshold_pct, amount_spent, limit_amount, severity, message)
       values ('user', 'user-1', 'daily', date_trunc('day', now()), 50, 1.6, 3, 'info', 'half of the daily limit')`,
    );
    for (const dataset of ['token_usage_logs', 'budget_limits', 'cost_alerts', 'service_performance_metrics', 'workflow_analytics', 'daily_cost_breakdown'] as const) {
      const { ids } = await readAll(source, null, 10, dataset);
      expect(ids, dataset).toHaveLength(1);
    }
  } finally {
    await source.close();
  }
});
