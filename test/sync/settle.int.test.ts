import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettleTime, SEEN_WRITERS_SETTLE_MS } from '../../src/sync/settle.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { uniqueName } from '../support/services.js';
import { openSource, openTransportFor, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(TRANSPORTS)('the settle time through %s', (name) => {
  it('is the short margin where the database shows which transactions are writing, never more than configured', async () => {
    const transport = openTransportFor(db, name);
    try {
      expect(await resolveSettleTime(transport, 1000)).toEqual({ seesWriters: true, settleMs: SEEN_WRITERS_SETTLE_MS });
      expect(await resolveSettleTime(transport, 40)).toEqual({ seesWriters: true, settleMs: 40 });
    } finally {
      await transport.close();
    }
  });
});

it('stays as configured where the horizon cannot see other sessions (a role without pg_read_all_stats)', async () => {
  const blind = uniqueName('blind');
  await db.pool.query(`create role ${blind} nologin`);
  await db.pool.query(`alter function public.tokensync_sync_sees_writers() owner to ${blind}`);
  const transport = openTransportFor(db, 'postgres');
  try {
    expect(await resolveSettleTime(transport, 1000)).toEqual({ seesWriters: false, settleMs: 1000 });
  } finally {
    await transport.close();
    await db.pool.query('alter function public.tokensync_sync_sees_writers() owner to current_user');
    await db.pool.query(`drop role ${blind}`);
  }
});

it('with the short margin, a transaction that read for a while before writing is not skipped', async () => {
  await db.pool.query('truncate token_usage_logs');
  const source = openSource(db, 'postgres');
  const slow = new pg.Client({ connectionString: db.url });
  await slow.connect();
  try {
    // Started long before its write: only the write's own clock matters, not the transaction's start.
    await slow.query('begin');
    await slow.query('select count(*) from token_usage_logs');
    const [early] = await insertLogs(db.pool, [{ request_id: 'committed-first' }]);
    await sleep(SEEN_WRITERS_SETTLE_MS * 3);
    const first = await source.changedRows('token_usage_logs', null, { limit: 10, settleMs: SEEN_WRITERS_SETTLE_MS });
    expect(first.rows.map((r) => r.id)).toEqual([early!.id]);

    const [late] = (await slow.query(
      `insert into token_usage_logs (request_id, service_type, provider, model) values ('late', 'workflow', 'openai', 'gpt-4o') returning id`,
    )).rows;
    await sleep(SEEN_WRITERS_SETTLE_MS * 3);
    // Written and stamped, not yet committed: its transaction now holds the horizon back.
    const during = await source.changedRows('token_usage_logs', first.nextCursor, { limit: 10, settleMs: SEEN_WRITERS_SETTLE_MS });
    expect(during.rows).toEqual([]);

    await slow.query('commit');
    await sleep(SEEN_WRITERS_SETTLE_MS * 3);
    const after = await source.changedRows('token_usage_logs', during.nextCursor, { limit: 10, settleMs: SEEN_WRITERS_SETTLE_MS });
    expect(after.rows.map((r) => r.id)).toEqual([late.id]);
  } finally {
    await slow.end();
    await source.close();
  }
});
