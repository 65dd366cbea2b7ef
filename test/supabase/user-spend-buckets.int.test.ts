/**
 * Users' spend buckets (20261205000500): a database upgraded with calls already
 * logged gets buckets equal to its raw sums, cost and tokens alike, and the
 * budgets job's compaction keeps the current hour to one row per entity.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/supabase/migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';

const FIRST_WITH_USER_BUCKETS = '20261205000500';

let db: TestDatabase;
let before: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  before = await mkdtemp(join(tmpdir(), 'tokensync-before-user-buckets-'));
  for (const file of await readdir(DEFAULT_MIGRATIONS_DIR)) {
    if (file < FIRST_WITH_USER_BUCKETS) await cp(join(DEFAULT_MIGRATIONS_DIR, file), join(before, file));
  }
});
afterAll(async () => {
  await db.drop();
  await rm(before, { recursive: true, force: true });
});

const userBuckets = async () =>
  (
    await db.pool.query(`select entity_id as user_id, hour, sum(spent)::text as spent, sum(tokens)::int as tokens, sum(calls)::int as calls
                           from tokensync.spend_hourly where entity_type = 'user' group by 1, 2 order by 1, 2`)
  ).rows;
const rawByUserHour = async () =>
  (
    await db.pool.query(`select user_id, date_trunc('hour', created_at, 'UTC') as hour, sum(total_cost)::text as spent,
                                sum(total_tokens)::int as tokens, count(*)::int as calls
                           from token_usage_logs where user_id is not null group by 1, 2 order by 1, 2`)
  ).rows;

it('gives users buckets equal to their raw sums when the upgrade finds calls already logged', async () => {
  await migrate({ databaseUrl: db.url, migrationsDir: before });
  await insertLogs(db.pool, [
    { user_id: 'ann', total_cost: 0.25, prompt_tokens: 1000, completion_tokens: 200, created_at: '2026-11-20T09:10:00Z' },
    { user_id: 'ann', total_cost: 0.5, prompt_tokens: 3000, completion_tokens: 100, created_at: '2026-11-20T09:50:00Z' },
    { user_id: 'bob', total_cost: 1.125, prompt_tokens: 10, completion_tokens: 5, created_at: '2026-11-20T10:05:00Z' },
    { user_id: null, total_cost: 7, created_at: '2026-11-20T10:05:00Z' },
  ]);
  const userRows = await db.pool.query(`select count(*)::int as n from tokensync.spend_hourly where entity_type = 'user'`);
  expect(userRows.rows[0].n).toBe(0);

  await migrate({ databaseUrl: db.url });
  const raw = await rawByUserHour();
  expect(raw).toHaveLength(2); // ann at 09:00, bob at 10:00
  expect(await userBuckets()).toEqual(raw);

  // And new calls keep them equal.
  await insertLogs(db.pool, [{ user_id: 'bob', total_cost: 0.375, prompt_tokens: 40, completion_tokens: 2, created_at: '2026-11-20T10:30:00Z' }]);
  expect(await userBuckets()).toEqual(await rawByUserHour());
});

it('merges the current hour in the budgets job pass, so what a reservation reads stays one row per entity and hour', async () => {
  const now = new Date();
  for (let i = 0; i < 5; i++) await insertLogs(db.pool, [{ user_id: 'cat', agent_id: 'a', total_cost: 0.01, created_at: now.toISOString() }]);
  const rowsOf = async (entity: string) =>
    (await db.pool.query(`select count(*)::int as n from tokensync.spend_hourly where entity_id = $1 and hour = date_trunc('hour', $2::timestamptz, 'UTC')`, [entity, now])).rows[0].n;
  expect(await rowsOf('cat')).toBe(5);
  await db.pool.query(`select tokensync_budget_housekeeping()`);
  expect(await rowsOf('cat')).toBe(1);
  expect(await rowsOf('a')).toBe(1);
  expect(await userBuckets()).toEqual(await rawByUserHour());
});
