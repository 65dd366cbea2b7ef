import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const ENTITIES: [string, string, string][] = [
  ['organization', 'mvp', 'organization_id'],
  ['service', 'workflow', 'service_type'],
  ['user', 'user-1', 'user_id'],
  ['tier', 'tier_2', 'tier'],
];

/** Ranges that start and end mid-hour, on the hour, across days, and on a half-hour time zone's midnight. */
const RANGES: [string, string][] = [
  ['2026-11-18T00:00:00Z', '2026-11-20T12:00:00Z'],
  ['2026-11-18T07:13:41.5Z', '2026-11-20T03:59:59.999Z'],
  ['2026-11-19T10:20:00Z', '2026-11-19T10:50:00Z'],
  ['2026-11-18T18:30:00Z', '2026-11-19T18:30:00Z'], // a day in Asia/Kolkata (+05:30)
  ['2026-11-01T00:00:00Z', '2026-11-30T23:59:59Z'],
];

async function compareWithRawSums() {
  for (const [type, id, column] of ENTITIES) {
    for (const [from, to] of RANGES) {
      const { rows } = await db.pool.query(
        `select tokensync_entity_spend($1, $2, $3, $4)::text as bucketed,
                (select coalesce(sum(total_cost), 0) from token_usage_logs where ${column} = $2 and created_at >= $3 and created_at <= $4)::text as raw`,
        [type, id, from, to],
      );
      expect(Number(rows[0].bucketed), `${type} ${id} ${from}..${to}`).toBe(Number(rows[0].raw));
    }
  }
}

function randomLogs(count: number, seed: number) {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => ({
    created_at: new Date(Date.UTC(2026, 10, 18) + Math.floor(next() * 3 * 86_400_000)).toISOString(),
    user_id: `user-${Math.floor(next() * 3)}`,
    tier: `tier_${1 + Math.floor(next() * 3)}`,
    service_type: next() < 0.5 ? 'workflow' : 'virtual_panel',
    input_cost: null,
    output_cost: null,
    total_cost: next() < 0.1 ? null : Math.floor(next() * 5_000_000) / 1e6,
  }));
}

it('equals the raw sum after inserts, updates and deletes, for every entity and any range', async () => {
  await insertLogs(db.pool, randomLogs(2_000, 7));
  await compareWithRawSums();

  // Costs re-priced, calls moved to another hour and another user, some deleted.
  await db.pool.query(`update token_usage_logs set total_cost = total_cost * 1.5 where user_id = 'user-2'`);
  await db.pool.query(`update token_usage_logs set created_at = created_at + interval '37 minutes', user_id = 'user-1' where tier = 'tier_3' and user_id = 'user-0'`);
  await db.pool.query(`delete from token_usage_logs where service_type = 'virtual_panel' and user_id = 'user-1'`);
  await compareWithRawSums();

  // An update that changes nothing about spend writes no bucket.
  const buckets = async () => (await db.pool.query(`select sum(spent)::text as s, count(*)::int as n from tokensync.spend_hourly`)).rows[0];
  const before = await buckets();
  await db.pool.query(`update token_usage_logs set metadata = '{"note": "re-tagged"}'`);
  expect(await buckets()).toEqual(before);

  // Compaction merges the deltas into one row per entity and hour and changes no sum.
  const { rows } = await db.pool.query(`select tokensync_compact_spend() as r`);
  expect(rows[0].r.merged_rows).toBeGreaterThan(0);
  const after = await buckets();
  expect(after.n).toBeLessThan(before.n);
  expect(Number(after.s)).toBe(Number(before.s));
  const { rows: crowded } = await db.pool.query(
    `select count(*)::int as n from (select 1 from tokensync.spend_hourly group by entity_type, entity_id, hour having count(*) > 1) c`,
  );
  expect(crowded[0].n).toBe(0);
  await compareWithRawSums();
});

it('never makes one writer wait for another open transaction on the same entity and hour', async () => {
  const { default: pg } = await import('pg');
  const open = new pg.Client({ connectionString: db.url });
  await open.connect();
  try {
    await open.query('begin');
    await open.query(`insert into token_usage_logs (request_id, service_type, provider, model, organization_id, total_cost) values ('held-open', 'workflow', 'openai', 'gpt-4o', 'mvp', 1)`);
    // Same organization, same hour, while the first transaction is still open: must not block.
    await insertLogs(db.pool, [{ organization_id: 'mvp', total_cost: 2 }]);
  } finally {
    await open.query('rollback');
    await open.end();
  }
});

it('is emptied by TRUNCATE and rebuilt by new rows', async () => {
  await db.pool.query('truncate token_usage_logs');
  expect((await db.pool.query('select count(*)::int as n from tokensync.spend_hourly')).rows[0].n).toBe(0);
  await insertLogs(db.pool, randomLogs(300, 11));
  await compareWithRawSums();
});

it('check_user_budget gives the same answer as before across a month boundary in a half-hour time zone', async () => {
  await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
  await db.pool.query(`insert into budget_limits (entity_type, entity_id, monthly_limit, breach_action, grace_pct) values ('organization', 'mvp', 10, 'block', 0)`);
  // 2026-11-30T18:45Z is already December 1st 00:15 in Kolkata.
  await insertLogs(db.pool, [
    { created_at: '2026-11-30T18:15:00Z', total_cost: 6 },
    { created_at: '2026-11-30T18:45:00Z', total_cost: 3 },
  ]);
  const check = (timezone: string) =>
    db.pool.query(`select allowed, remaining_budget::float8 as remaining from check_user_budget('user-1', 's', 'workflow', 2, null, null, '2026-11-30T20:10:00Z', $1)`, [timezone]);
  expect((await check('UTC')).rows[0]).toEqual({ allowed: false, remaining: 1 });
  expect((await check('Asia/Kolkata')).rows[0]).toEqual({ allowed: true, remaining: 7 });
});

it('is kept by writes as service_role, the role the SDK and the Supabase API use', async () => {
  await db.pool.query('truncate token_usage_logs');
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query('set local role service_role');
    await client.query(`insert into token_usage_logs (request_id, service_type, provider, model, organization_id, total_cost, created_at)
                        values ('as-service-role', 'workflow', 'openai', 'gpt-4o', 'mvp', 4.25, '2026-11-19T08:30:00Z')`);
    await client.query(`update token_usage_logs set total_cost = 5 where request_id = 'as-service-role'`);
    await client.query('commit');
  } finally {
    client.release();
  }
  const { rows } = await db.pool.query(`select sum(spent)::float8 as spent from tokensync.spend_hourly where entity_type = 'organization' and entity_id = 'mvp'`);
  expect(rows[0].spent).toBe(5);
});
