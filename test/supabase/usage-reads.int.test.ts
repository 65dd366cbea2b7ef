/**
 * The usage API's reads (20261205002000_usage_api_reads.sql), in SQL.
 *
 * Figures: each function's answer equals the hand sum of the calls it should
 * hold, in a non-UTC default zone (America/New_York: EDT, UTC−4, until
 * 2026-11-01 06:00Z, then EST, UTC−5, so November 1 is 25 hours long) across
 * the month end; every call costs a distinct power of two dollars (and as many
 * tokens), so each sum names exactly its calls. Where the report
 * (tokensync_report_figures) says the same thing (today, month to date, the
 * month's projection) the two agree.
 *
 * Scoping: as role authenticated with user A's claims, no function returns
 * user B's figures (naming B is refused with 42501, installation-wide figures
 * too); anon may execute none of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs, insertRows } from '../support/fixtures.js';

const TZ = 'America/New_York';
/** Sunday 2026-11-01 23:30 EST: still November 1 in New York, November 2 in UTC. */
const R = '2026-11-02T04:30:00Z';

let db: TestDatabase;

const call = (request_id: string, created_at: string, cost: number, fields: Record<string, unknown>) => ({
  request_id, created_at, total_cost: cost, input_cost: null, output_cost: null,
  prompt_tokens: cost, completion_tokens: 0,
  organization_id: null, tier: 'tier_1', service_type: 'workflow', feature: null, agent_id: null,
  provider: 'openai', model: 'gpt-4o', ...fields,
});

// Local (New York) dates in the comments.
const CALLS = [
  call('C0', '2026-10-31T03:30:00Z', 1, { user_id: 'user-a', session_id: 's-a1', agent_id: 'bot' }), // Oct 30 23:30 EDT
  call('C1', '2026-11-01T03:30:00Z', 2, { user_id: 'user-a', session_id: 's-a1', agent_id: 'bot', feature: 'summarise' }), // Oct 31 23:30 EDT (November in UTC)
  call('C2', '2026-11-01T04:30:00Z', 4, { user_id: 'user-a', session_id: 's-a2', agent_id: 'bot', feature: 'summarise', provider: 'anthropic', model: 'claude' }), // Nov 1 00:30 EDT
  call('C3', '2026-11-01T05:30:00Z', 8, { user_id: 'user-b', session_id: 's-b', agent_id: 'helper' }), // Nov 1 01:30 EDT (the first)
  call('C4', '2026-11-01T06:30:00Z', 16, { user_id: 'user-a', session_id: 's-a2', agent_id: 'bot' }), // Nov 1 01:30 EST (the second)
  call('C5', R, 32, { user_id: 'user-b', session_id: 's-b', agent_id: 'helper', service_type: 'virtual_panel', feature: 'translate', provider: 'anthropic', model: 'claude' }), // Nov 1 23:30 EST, the instant asked about
  call('C6', '2026-11-02T06:00:00Z', 64, { user_id: 'user-a', session_id: 's-a2', agent_id: 'bot' }), // Nov 2 01:00 EST, after R
  call('C7', '2026-10-15T12:00:00Z', 128, { user_id: 'user-b', session_id: 's-b2', agent_id: 'helper' }), // Oct 15
  call('C8', '2026-11-01T04:00:00Z', 256, { user_id: 'user-a', session_id: 's-a1', service_type: '1:1_conversation', model: 'gpt-4o-mini' }), // Nov 1 00:00 EDT, the first instant of the month
];

const one = async <T = Record<string, unknown>>(client: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = []): Promise<T> =>
  (await client.query(sql, params)).rows[0].v as T;

beforeAll(async () => {
  db = await createTestDatabase();
  await insertLogs(db.pool, CALLS);
  await db.pool.query(`select tokensync_rollup_days('2026-10-01', '2026-11-03', $1)`, [TZ]);
  await insertRows(db.pool, 'subscription_tiers', [
    { tier: 'tier_1', rank: 1, daily_token_quota: 300, monthly_token_quota: 1000 },
    { tier: 'tier_2', rank: 2, daily_token_quota: 5000, monthly_token_quota: 50000 },
  ]);
  await insertLimits(db.pool, [
    { entity_type: 'user', entity_id: 'user-a', daily_limit: 500, monthly_limit: 1000 },
    { entity_type: 'agent', entity_id: 'bot', daily_limit: 100, monthly_limit: 1000 },
  ]);
  await db.pool.query(`insert into agent_pauses (agent_id, paused_at, reason, paused_by) values ('helper', '2026-11-01T00:00:00Z', 'runaway loop', 'ops')`);
});
afterAll(() => db.drop());

describe('figures equal hand sums, in New York across the month end', () => {
  it('a user: today and this month in the user\'s zone, as of the instant asked', async () => {
    const a = await one(db.pool, `select tokensync_usage_user('user-a', $1, $2) as v`, [R, TZ]);
    // November 1 from 04:00Z to R: C2 + C4 + C8; C1 is October 31 in New York, C6 is after R.
    expect(a).toMatchObject({
      user_id: 'user-a', timezone: TZ,
      today: { date: '2026-11-01', start: '2026-11-01T04:00:00+00:00', spent: 4 + 16 + 256, tokens: 4 + 16 + 256, held: 0 },
      month: { start: '2026-11-01T04:00:00+00:00', spent: 4 + 16 + 256, tokens: 4 + 16 + 256 },
    });
    const b = await one(db.pool, `select tokensync_usage_user('user-b', $1, $2) as v`, [R, TZ]);
    expect(b).toMatchObject({ today: { spent: 8 + 32 }, month: { spent: 8 + 32 } });
    // A day earlier it is still October: C0 + C1 (and C7 is user B's).
    const october = await one(db.pool, `select tokensync_usage_user('user-a', '2026-11-01T03:59:00Z', $1) as v`, [TZ]);
    expect(october).toMatchObject({ today: { date: '2026-10-31', spent: 2 }, month: { spent: 1 + 2 } });
  });

  it('a session: its calls to the instant, by model', async () => {
    const s = await one(db.pool, `select tokensync_usage_session('s-a2', null, $1) as v`, [R]);
    expect(s).toMatchObject({
      calls: 2, spent: 4 + 16, tokens: 4 + 16, first_at: '2026-11-01T04:30:00+00:00', last_at: '2026-11-01T06:30:00+00:00',
      models: [
        { provider: 'openai', model: 'gpt-4o', calls: 1, spent: 16 },
        { provider: 'anthropic', model: 'claude', calls: 1, spent: 4 },
      ],
    });
  });

  it('recent calls: newest first, a keyset page at a time, every call once', async () => {
    const seen: string[] = [];
    let cursor: { created_at: string; id: string } | null = null;
    let pages = 0;
    do {
      const page: { items: { request_id: string }[]; next: { created_at: string; id: string } | null } = await one(
        db.pool,
        `select tokensync_usage_recent('user-a', null, 2, $1, $2) as v`,
        [cursor?.created_at ?? null, cursor?.id ?? null],
      );
      seen.push(...page.items.map((i) => i.request_id));
      cursor = page.next;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['C6', 'C4', 'C2', 'C8', 'C1', 'C0']);
    expect(pages).toBe(3);
    const session = await one<{ items: { request_id: string }[] }>(db.pool, `select tokensync_usage_recent(null, 's-b', 10) as v`);
    expect(session.items.map((i) => i.request_id)).toEqual(['C5', 'C3']);
  });

  it('by model: a user\'s November from its calls, the installation\'s October from the rollup', async () => {
    const user = await one(db.pool, `select tokensync_usage_models(null, null, 'user-a', $1, $2) as v`, [R, TZ]);
    expect(user).toMatchObject({
      from: '2026-11-01', to: '2026-11-01', source: 'user_calls',
      models: [
        { model: 'gpt-4o-mini', spent: 256, requests: 1 },
        { model: 'gpt-4o', spent: 16, requests: 1 },
        { model: 'claude', spent: 4, requests: 1 },
      ],
    });
    const october = await one(db.pool, `select tokensync_usage_models('2026-10-01', '2026-10-31', null, $1, $2) as v`, [R, TZ]);
    expect(october).toMatchObject({ source: 'daily_cost_breakdown', models: [{ provider: 'openai', model: 'gpt-4o', spent: 1 + 2 + 128, requests: 3 }] });
    expect((october as { models: unknown[] }).models).toHaveLength(1);
  });

  it('by operation (feature, else service type): the buckets and the partial hour at the end agree with the calls', async () => {
    const all = await one<{ operations: unknown[] }>(db.pool, `select tokensync_usage_operations(null, null, null, $1, $2) as v`, [R, TZ]);
    expect(all.operations).toEqual([
      { operation: '1:1_conversation', requests: 1, tokens: 256, spent: 256 },
      { operation: 'translate', requests: 1, tokens: 32, spent: 32 },
      { operation: 'workflow', requests: 2, tokens: 8 + 16, spent: 8 + 16 },
      { operation: 'summarise', requests: 1, tokens: 4, spent: 4 },
    ]);
    const october = await one<{ operations: unknown[] }>(db.pool, `select tokensync_usage_operations('2026-10-01', '2026-10-31', null, $1, $2) as v`, [R, TZ]);
    expect(october.operations).toEqual([
      { operation: 'workflow', requests: 2, tokens: 1 + 128, spent: 1 + 128 },
      { operation: 'summarise', requests: 1, tokens: 2, spent: 2 },
    ]);
    const user = await one<{ operations: unknown[] }>(db.pool, `select tokensync_usage_operations(null, null, 'user-b', $1, $2) as v`, [R, TZ]);
    expect(user.operations).toEqual([
      { operation: 'translate', requests: 1, tokens: 32, spent: 32 },
      { operation: 'workflow', requests: 1, tokens: 8, spent: 8 },
    ]);
  });

  it('a user\'s quota: token quotas counted as a decision counts them, the user\'s limits, warnings, operations', async () => {
    const q = await one(db.pool, `select tokensync_usage_quota('user-a', $1, $2) as v`, [R, TZ]);
    // The whole local day (C2 + C4 + C8: C6 is November 2) and the whole month (C6 too).
    expect(q).toMatchObject({
      tier: 'tier_1',
      quotas: [
        { period: 'daily', token_quota: 300, tokens_used: 276, tokens_remaining: 24, utilisation_pct: 92, warning_pct: 90, exceeded: false },
        { period: 'monthly', token_quota: 1000, tokens_used: 340, tokens_remaining: 660, utilisation_pct: 34, warning_pct: null, exceeded: false },
      ],
      limits: [
        { period: 'daily', limit: 500, spent: 276, remaining: 224, utilisation_pct: 55.2 },
        { period: 'monthly', limit: 1000, spent: 276, remaining: 724, utilisation_pct: 27.6 },
      ],
      operations: [
        { operation: '1:1_conversation', tokens: 256, spent: 256 },
        { operation: 'workflow', tokens: 16, spent: 16 },
        { operation: 'summarise', tokens: 4, spent: 4 },
      ],
    });
    expect((q as { warnings: string[] }).warnings).toHaveLength(2);
  });

  it('may I run this operation: the budget question, with tokens and the upgrade that would allow it', async () => {
    const answer = await one(db.pool, `select tokensync_usage_may_run('{"user_id":"user-a","estimated_tokens":100}', $1, $2) as v`, [R, TZ]);
    expect(answer).toMatchObject({ allowed: false, remaining_tokens: 24, tokens_needed: 100, upgrade: { tier: 'tier_2', would_allow: true } });
    expect((answer as { reason: string }).reason).toMatch(/daily token quota/);
    const small = await one(db.pool, `select tokensync_usage_may_run('{"user_id":"user-a","estimated_tokens":10}', $1, $2) as v`, [R, TZ]);
    expect(small).toMatchObject({ allowed: true });
  });

  it('the dashboard: today and month to date from the rollup, agreeing with the report; top models and agents', async () => {
    const o = await one(db.pool, `select tokensync_usage_overview($1, $2) as v`, [R, TZ]);
    const nov1 = 4 + 8 + 16 + 32 + 256;
    expect(o).toMatchObject({
      today: { date: '2026-11-01', spent: nov1, requests: 5, tokens: nov1 },
      month: { start_date: '2026-11-01', spent: nov1, requests: 5 },
      top_models: [
        { model: 'gpt-4o-mini', spent: 256 },
        { model: 'claude', spent: 4 + 32 },
        { model: 'gpt-4o', spent: 8 + 16 },
      ],
      top_agents: [
        { agent_id: 'helper', spent: 8 + 32 },
        { agent_id: 'bot', spent: 4 + 16 },
      ],
    });
    const report = await one<{ today: { spent: number }; month: { spent: number } }>(db.pool, `select tokensync_report_figures($1, $2) as v`, [R, TZ]);
    expect([report.today.spent, report.month.spent]).toEqual([nov1, nov1]);
  });

  it('a filtered summary from the rollup', async () => {
    const s = await one(db.pool, `select tokensync_usage_summary('2026-10-01', '2026-11-01', null, null, 'gpt-4o', $1, $2) as v`, [R, TZ]);
    expect(s).toMatchObject({ requests: 5, spent: 1 + 2 + 8 + 16 + 128, tokens: 1 + 2 + 8 + 16 + 128, services: [{ service_type: 'workflow', requests: 5 }] });
    const panel = await one(db.pool, `select tokensync_usage_summary('2026-10-01', '2026-11-01', 'virtual_panel', null, null, $1, $2) as v`, [R, TZ]);
    expect(panel).toMatchObject({ requests: 1, spent: 32 });
  });

  it('agents\' budgets: limit, spent, remaining, utilisation, paused or not', async () => {
    const a = await one<{ agents: unknown[] }>(db.pool, `select tokensync_usage_agent_budgets($1, $2) as v`, [R, TZ]);
    expect(a.agents).toMatchObject([
      {
        agent_id: 'bot', paused: false,
        limits: [
          { period: 'daily', period_start: '2026-11-01T04:00:00+00:00', limit: 100, spent: 20, remaining: 80, utilisation_pct: 20 },
          { period: 'monthly', limit: 1000, spent: 20, remaining: 980, utilisation_pct: 2 },
        ],
      },
      { agent_id: 'helper', paused: true, pause_reason: 'runaway loop', limits: [] },
    ]);
  });

  it('trends: local days from the rollup, and the month\'s projection as the report makes it', async () => {
    const t = await one<{ days: unknown[]; month: Record<string, unknown> }>(db.pool, `select tokensync_usage_trends(3, $1, $2) as v`, [R, TZ]);
    expect(t.days).toEqual([
      { date: '2026-10-30', spent: 1, requests: 1, tokens: 1 },
      { date: '2026-10-31', spent: 2, requests: 1, tokens: 2 },
      { date: '2026-11-01', spent: 316, requests: 5, tokens: 316 },
    ]);
    const report = await one<{ month: Record<string, unknown> }>(db.pool, `select tokensync_report_figures($1, $2) as v`, [R, TZ]);
    // November in New York is 30 days and one hour; R is 24.5 hours into it.
    expect(t.month).toMatchObject({ spent: 316, confidence: 'low', whole_days: 0 });
    expect([t.month.projected, t.month.days_elapsed, t.month.days_in_month]).toEqual([report.month.projected, report.month.days_elapsed, report.month.days_in_month]);
    expect(t.month.projected).toBeCloseTo((316 * (30 + 1 / 24)) / (24.5 / 24), 5);
  });
});

describe('operation buckets follow every change of a call', () => {
  it('an insert, a re-cost, a changed feature, a delete and compaction: still the hand sums', async () => {
    const sept = (id: string, cost: number, feature: string | null) =>
      call(id, '2026-09-10T15:00:00Z', cost, { user_id: 'user-c', session_id: 's-c', feature });
    await insertLogs(db.pool, [sept('S0', 1, null), sept('S1', 2, 'search'), sept('S2', 4, 'search')]);
    const operations = async () =>
      (await one<{ operations: unknown[] }>(db.pool, `select tokensync_usage_operations('2026-09-01', '2026-09-30', null, $1, $2) as v`, [R, TZ])).operations;
    expect(await operations()).toEqual([
      { operation: 'search', requests: 2, tokens: 6, spent: 6 },
      { operation: 'workflow', requests: 1, tokens: 1, spent: 1 },
    ]);
    await db.pool.query(`update token_usage_logs set total_cost = 16, feature = 'rerank' where request_id = 'S1'`);
    await db.pool.query(`update token_usage_logs set feature = 'search' where request_id = 'S0'`);
    await db.pool.query(`delete from token_usage_logs where request_id = 'S2'`);
    await db.pool.query(`select tokensync_compact_spend()`);
    expect(await operations()).toEqual([
      { operation: 'rerank', requests: 1, tokens: 2, spent: 16 },
      { operation: 'search', requests: 1, tokens: 1, spent: 1 },
    ]);
  });
});

/** Runs statements as a role (with JWT claims), in a transaction that is always rolled back. */
async function asCaller(role: string, claims: Record<string, string> | null, sql: string): Promise<{ value?: unknown; code?: string }> {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    if (claims) await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    const { rows } = await client.query(sql);
    return { value: rows[0].v };
  } catch (error) {
    return { code: (error as { code: string }).code };
  } finally {
    await client.query('rollback');
    client.release();
  }
}

const USER_A = { sub: 'user-a', role: 'authenticated' };
const P = `'${R}'::timestamptz, '${TZ}'`;
/** Every read, asked without naming a user: what a Supabase app's supabase.rpc() sends. */
const OWN = {
  user: `tokensync_usage_user(null, ${P})`,
  session: `tokensync_usage_session('s-b', null, '${R}')`,
  recent: `tokensync_usage_recent(null, null, 50)`,
  recentInSession: `tokensync_usage_recent(null, 's-b', 50)`,
  models: `tokensync_usage_models(null, null, null, ${P})`,
  operations: `tokensync_usage_operations(null, null, null, ${P})`,
  quota: `tokensync_usage_quota(null, ${P})`,
  mayRun: `tokensync_usage_may_run('{"estimated_tokens": 1}', ${P})`,
};
/** The same, naming user B. */
const OTHER = {
  user: `tokensync_usage_user('user-b', ${P})`,
  session: `tokensync_usage_session('s-b', 'user-b', '${R}')`,
  recent: `tokensync_usage_recent('user-b', null, 50)`,
  models: `tokensync_usage_models(null, null, 'user-b', ${P})`,
  operations: `tokensync_usage_operations(null, null, 'user-b', ${P})`,
  quota: `tokensync_usage_quota('user-b', ${P})`,
  mayRun: `tokensync_usage_may_run('{"user_id": "user-b", "estimated_tokens": 1}', ${P})`,
};
const INSTALLATION = {
  overview: `tokensync_usage_overview(${P})`,
  summary: `tokensync_usage_summary(null, null, null, null, null, ${P})`,
  agents: `tokensync_usage_agent_budgets(${P})`,
  trends: `tokensync_usage_trends(30, ${P})`,
};

describe('a user signed in to Supabase reads only its own figures', () => {
  it.each(Object.entries(OWN))('%s: its own, never user B\'s', async (_name, expression) => {
    const answer = await asCaller('authenticated', USER_A, `select ${expression} as v`);
    expect(answer.code).toBeUndefined();
    const text = JSON.stringify(answer.value);
    // No figure of user B's calls: C3 (8), C5 (32), C7 (128) and their sessions and ids.
    expect(text).not.toMatch(/user-b|"C[357]"/);
    for (const value of [8, 32, 128, 40, 168, 316]) expect(text).not.toMatch(new RegExp(`"(spent|tokens)":${value}[,}]`));
  });

  it('its own figures are user A\'s', async () => {
    expect((await asCaller('authenticated', USER_A, `select ${OWN.user} as v`)).value).toMatchObject({ user_id: 'user-a', today: { spent: 276 } });
    expect((await asCaller('authenticated', USER_A, `select ${OWN.session} as v`)).value).toMatchObject({ user_id: 'user-a', calls: 0, spent: 0 });
    const recent = (await asCaller('authenticated', USER_A, `select ${OWN.recent} as v`)).value as { items: { request_id: string }[] };
    expect(recent.items.map((i) => i.request_id)).toEqual(['C6', 'C4', 'C2', 'C8', 'C1', 'C0']);
    expect((await asCaller('authenticated', USER_A, `select ${OWN.models} as v`)).value).toMatchObject({ user_id: 'user-a', source: 'user_calls' });
    expect((await asCaller('authenticated', USER_A, `select ${OWN.mayRun} as v`)).value).toMatchObject({ allowed: true });
  });

  it.each(Object.entries(OTHER))('%s naming user B: refused (42501)', async (_name, expression) => {
    expect(await asCaller('authenticated', USER_A, `select ${expression} as v`)).toEqual({ code: '42501' });
  });

  it.each(Object.entries(INSTALLATION))('%s, installation-wide: refused (42501)', async (_name, expression) => {
    expect(await asCaller('authenticated', USER_A, `select ${expression} as v`)).toEqual({ code: '42501' });
  });

  it('a token without sub is no user', async () => {
    expect(await asCaller('authenticated', { role: 'authenticated' }, `select ${OWN.user} as v`)).toEqual({ code: '42501' });
  });

  it('claims of role authenticated are a user even on a service connection', async () => {
    expect(await asCaller('service_role', USER_A, `select ${OTHER.user} as v`)).toEqual({ code: '42501' });
    expect(await asCaller('service_role', USER_A, `select ${INSTALLATION.overview} as v`)).toEqual({ code: '42501' });
  });

  it('service_role reads any user and the installation', async () => {
    const claims = { role: 'service_role' };
    expect((await asCaller('service_role', claims, `select ${OTHER.user} as v`)).value).toMatchObject({ user_id: 'user-b', today: { spent: 40 } });
    expect((await asCaller('service_role', claims, `select ${INSTALLATION.overview} as v`)).value).toMatchObject({ today: { spent: 316 } });
    expect((await asCaller('service_role', null, `select ${INSTALLATION.trends} as v`)).value).toMatchObject({ month: { spent: 316 } });
  });
});

describe('anon executes none of them', () => {
  it.each(Object.entries({ ...OWN, ...INSTALLATION }))('%s: permission denied', async (_name, expression) => {
    expect(await asCaller('anon', null, `select ${expression} as v`)).toEqual({ code: '42501' });
    expect(await asCaller('anon', { role: 'anon' }, `select ${expression} as v`)).toEqual({ code: '42501' });
  });

  it('nor the helpers, which no client role may call', async () => {
    for (const role of ['anon', 'authenticated']) {
      expect(await asCaller(role, USER_A, `select tokensync_usage_caller() as v`)).toEqual({ code: '42501' });
      expect(await asCaller(role, USER_A, `select tokensync_usage_operation_spend(now() - interval '1 day', now()) as v`)).toEqual({ code: '42501' });
    }
  });
});
