/**
 * Budgets in each entity's zone (20261205001720): an organization's limits, its
 * users' limits and token quotas, and its agents' pauses follow the
 * organization's day and month; services keep the default zone; calls with no
 * organization count in the default zone. Through both transports.
 *
 * The default zone is Europe/London, which is UTC+0 for every instant here
 * (British Summer Time ended on 2026-10-25). Asia/Tokyo is UTC+9 all year.
 * America/New_York is UTC-4 until 2026-11-01T06:00Z and UTC-5 after: its
 * 2026-11-01 runs from 04:00Z on the 1st to 05:00Z on the 2nd, 25 hours.
 *
 * Costs are distinct powers of two dollars, so every sum names the calls in it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBudgetStore, type BudgetStore, type ReservationAsk } from '../../src/supabase/budget-store.js';
import type { BudgetCheckRequest, SupabaseSource } from '../../src/supabase/source.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs, type Row } from '../support/fixtures.js';
import { openSource, openTransportFor, TRANSPORTS } from '../support/sources.js';

const DEFAULT = 'Europe/London';
/** 2026-11-21 01:00 in Tokyo, 2026-11-20 16:00 in London. Tokyo's 21st began at 2026-11-20T15:00Z. */
const TOKYO_AT = '2026-11-20T16:00:00Z';
/** 2026-11-01 23:45 in New York (EST), 2026-11-02 04:45 in London. */
const NY_AT = '2026-11-02T04:45:00Z';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const reset = async () => {
  await db.pool.query(
    'truncate token_usage_logs, budget_limits, cost_alerts, agent_pauses, budget_audit, tokensync.budget_holds, tokensync.budget_spend, feature_gates, subscription_tiers, organization_settings cascade',
  );
  await db.pool.query(`select tokensync_set_organization_time_zone('tk', 'Asia/Tokyo', $1)`, [DEFAULT]);
  await db.pool.query(`select tokensync_set_organization_time_zone('ny', 'America/New_York', $1)`, [DEFAULT]);
};
const blocking = (rows: Row[]) => insertLimits(db.pool, rows.map((row) => ({ breach_action: 'block', grace_pct: 0, ...row })));
const logs = (rows: Row[]) => insertLogs(db.pool, rows.map((row) => ({ user_id: null, session_id: null, ...row })));

/**
 * Calls of organization tk (Tokyo) and one without an organization, all on the workflow service:
 *   $1  2026-11-20T14:30Z  Tokyo 20th 23:30  London 20th
 *   $2  2026-11-20T15:30Z  Tokyo 21st 00:30  London 20th
 *   $4  2026-11-20T15:00Z  Tokyo 21st 00:00  London 20th (Tokyo's midnight itself)
 *   $8  2026-11-19T23:30Z  Tokyo 20th 08:30  London 19th
 *   $16 2026-10-31T15:30Z  Tokyo Nov 1st 00:30  London Oct 31st
 *   $32 2026-10-31T14:30Z  Tokyo Oct 31st 23:30 London Oct 31st
 *   $64 2026-11-20T15:30Z  no organization: London 20th
 */
const tokyoCalls = () =>
  logs([
    { organization_id: 'tk', total_cost: 1, created_at: '2026-11-20T14:30:00Z' },
    { organization_id: 'tk', total_cost: 2, created_at: '2026-11-20T15:30:00Z' },
    { organization_id: 'tk', total_cost: 4, created_at: '2026-11-20T15:00:00Z' },
    { organization_id: 'tk', total_cost: 8, created_at: '2026-11-19T23:30:00Z' },
    { organization_id: 'tk', total_cost: 16, created_at: '2026-10-31T15:30:00Z' },
    { organization_id: 'tk', total_cost: 32, created_at: '2026-10-31T14:30:00Z' },
    { organization_id: null, total_cost: 64, created_at: '2026-11-20T15:30:00Z' },
  ]);

/**
 * user u-ny calling for organization ny (New York) around its 25-hour 2026-11-01:
 *   $1  2026-11-01T04:00Z  NY Nov 1st 00:00 (EDT)   London Nov 1st
 *   $2  2026-11-01T03:59Z  NY Oct 31st 23:59         London Nov 1st
 *   $4  2026-11-02T04:30Z  NY Nov 1st 23:30 (EST)   London Nov 2nd
 *   $8  2026-11-02T05:00Z  NY Nov 2nd 00:00         London Nov 2nd (after NY_AT; its latest call)
 */
const newYorkCalls = () =>
  logs([
    { organization_id: 'ny', user_id: 'u-ny', total_cost: 1, created_at: '2026-11-01T04:00:00Z' },
    { organization_id: 'ny', user_id: 'u-ny', total_cost: 2, created_at: '2026-11-01T03:59:00Z' },
    { organization_id: 'ny', user_id: 'u-ny', total_cost: 4, created_at: '2026-11-02T04:30:00Z' },
    { organization_id: 'ny', user_id: 'u-ny', total_cost: 8, created_at: '2026-11-02T05:00:00Z' },
  ]);

async function spendOf(type: string, id: string) {
  const { rows } = await db.pool.query(
    `select s.daily_spend::float8 as daily, s.monthly_spend::float8 as monthly
       from budget_limits b join tokensync.budget_spend s on s.budget_limit_id = b.id
      where b.entity_type = $1 and b.entity_id = $2`,
    [type, id],
  );
  return rows[0];
}

/** check_user_budget itself (the SQL contract kept as it was), read-only. */
async function checkUserBudget(user: string | null, service: string | null, cost: number, org: string | null, at: string) {
  const { rows } = await db.pool.query(
    `select (r).allowed, (r).reason, (r).remaining_budget::float8 as remaining
       from (select check_user_budget($1, null, $2, $3::numeric, $4, null, $5::timestamptz, $6) as r) q`,
    [user, service, String(cost), org, at, DEFAULT],
  );
  return rows[0] as { allowed: boolean; reason: string; remaining: number | null };
}

describe.each(TRANSPORTS)('budgets in each entity zone over %s', (transport) => {
  let source: SupabaseSource;
  let functions: SqlFunctionTransport;
  let store: BudgetStore;
  beforeAll(() => {
    source = openSource(db, transport);
    functions = openTransportFor(db, transport);
    store = createBudgetStore(functions, { timezone: DEFAULT });
  });
  afterAll(async () => {
    await source.close();
    await functions.close();
  });
  beforeEach(reset);

  const ask = (entities: Partial<BudgetCheckRequest>, estimatedCost: number, at: string) =>
    source.checkUserBudget({ userId: null, sessionId: null, serviceType: null, ...entities, estimatedCost, at, timezone: DEFAULT });
  const reserve = (entities: Partial<ReservationAsk>, estimatedCost: number, at: string) =>
    store.reserve({ estimatedTokens: 0, estimated: false, ttlMs: 3_600_000, ...entities, estimatedCost, at });

  it("splits a Tokyo organization's $10 day at Tokyo's midnight, not London's", async () => {
    await blocking([{ entity_type: 'organization', entity_id: 'tk', daily_limit: 10 }]);
    await tokyoCalls();
    // Tokyo's 21st so far: $2 + $4 = $6. (London's 20th would be $1 + $2 + $4 = $7, and deny $4 more.)
    const within = await ask({ organizationId: 'tk' }, 4, TOKYO_AT);
    expect(within).toMatchObject({ allowed: true, remainingBudget: 4 });
    const over = await ask({ organizationId: 'tk' }, 4.5, TOKYO_AT);
    expect(over.allowed).toBe(false);
    expect(over.reason).toContain("organization 'tk' daily limit $10.00 would be exceeded (spent $6.00 + estimated $4.50)");
    // The reservation and check_user_budget decide alike.
    expect(await reserve({ organizationId: 'tk' }, 4.5, TOKYO_AT)).toMatchObject({ allowed: false, hold: null });
    expect(await checkUserBudget(null, null, 4, 'tk', TOKYO_AT)).toMatchObject({ allowed: true, remaining: 4 });
    expect(await checkUserBudget(null, null, 4.5, 'tk', TOKYO_AT)).toMatchObject({ allowed: false });
    const held = await reserve({ organizationId: 'tk' }, 4, TOKYO_AT);
    expect(held).toMatchObject({ allowed: true, remainingBudget: 4 });
    expect(held.hold).not.toBeNull();
  });

  it('keeps a service limit in the default zone, with calls of any organization or none', async () => {
    await blocking([{ entity_type: 'service', entity_id: 'workflow', daily_limit: 72 }]);
    await tokyoCalls();
    // London's 20th, whole (a decision counts to the next midnight): $1 + $2 + $4 + $64 = $71. Tokyo's 21st would be $70.
    expect(await ask({ organizationId: 'tk', serviceType: 'workflow' }, 1, TOKYO_AT)).toMatchObject({ allowed: true, remainingBudget: 1 });
    const over = await ask({ organizationId: 'tk', serviceType: 'workflow' }, 2, TOKYO_AT);
    expect(over.reason).toContain("service 'workflow' daily limit $72.00 would be exceeded (spent $71.00 + estimated $2.00)");
    expect((await reserve({ organizationId: 'tk', serviceType: 'workflow' }, 2, TOKYO_AT)).allowed).toBe(false);
    expect(await checkUserBudget(null, 'workflow', 2, 'tk', TOKYO_AT)).toMatchObject({ allowed: false });
  });

  it("covers a New York user's whole 25-hour day across the DST change", async () => {
    await blocking([{ entity_type: 'user', entity_id: 'u-ny', daily_limit: 10 }]);
    await newYorkCalls();
    // New York's Nov 1st, 04:00Z to 05:00Z next day: $1 + $4 = $5. London's Nov 2nd would be $4 + $8 = $12.
    const within = await ask({ userId: 'u-ny', organizationId: 'ny' }, 5, NY_AT);
    expect(within).toMatchObject({ allowed: true, remainingBudget: 5 });
    expect((await ask({ userId: 'u-ny', organizationId: 'ny' }, 5.5, NY_AT)).reason).toContain(
      "user 'u-ny' daily limit $10.00 would be exceeded (spent $5.00 + estimated $5.50)",
    );
    // check_user_budget takes the organization from the user's latest call (ny): the same answer.
    expect(await checkUserBudget('u-ny', null, 5, null, NY_AT)).toMatchObject({ allowed: true, remaining: 5 });
    expect(await checkUserBudget('u-ny', null, 5.5, null, NY_AT)).toMatchObject({ allowed: false });
    expect(await reserve({ userId: 'u-ny', organizationId: 'ny' }, 5.5, NY_AT)).toMatchObject({ allowed: false });
    // At 05:00Z New York's Nov 2nd begins: only the $8 call of that day counts.
    expect(await ask({ userId: 'u-ny', organizationId: 'ny' }, 2, '2026-11-02T05:00:00Z')).toMatchObject({ allowed: true, remainingBudget: 2 });
  });

  it("holds reservations near Tokyo's midnight against the Tokyo day they are made in", async () => {
    await blocking([{ entity_type: 'organization', entity_id: 'tk', daily_limit: 10 }]);
    await logs([
      { organization_id: 'tk', total_cost: 2, created_at: '2026-11-20T14:59:00Z' }, // Tokyo 20th 23:59
      { organization_id: 'tk', total_cost: 1, created_at: '2026-11-20T15:00:00Z' }, // Tokyo 21st 00:00
    ]);
    // 14:50Z is 23:50 on Tokyo's 20th; its day, counted whole, holds the $2 call: $2 + $8 = $10, $8 left before it.
    // (London's 20th holds both calls: $11.)
    expect(await reserve({ organizationId: 'tk' }, 8, '2026-11-20T14:50:00Z')).toMatchObject({ allowed: true, remainingBudget: 8 });
    expect((await reserve({ organizationId: 'tk' }, 0.01, '2026-11-20T14:55:00Z')).allowed).toBe(false);
    // 15:05Z is Tokyo's 21st: the $8 hold is yesterday's. $1 + $8 = $9, $9 left before it.
    expect(await reserve({ organizationId: 'tk' }, 8, '2026-11-20T15:05:00Z')).toMatchObject({ allowed: true, remainingBudget: 9 });
    // $1 spent + $8 held: $1 more fits, $2 does not, by every way of asking.
    expect(await ask({ organizationId: 'tk' }, 1, '2026-11-20T15:06:00Z')).toMatchObject({ allowed: true, remainingBudget: 1 });
    expect(await checkUserBudget(null, null, 1, 'tk', '2026-11-20T15:06:00Z')).toMatchObject({ allowed: true, remaining: 1 });
    const over = await ask({ organizationId: 'tk' }, 2, '2026-11-20T15:06:00Z');
    expect(over.reason).toContain('(spent $1.00 + held $8.00 + estimated $2.00)');
    expect(await checkUserBudget(null, null, 2, 'tk', '2026-11-20T15:06:00Z')).toMatchObject({ allowed: false });
    expect((await reserve({ organizationId: 'tk' }, 2, '2026-11-20T15:06:00Z')).allowed).toBe(false);
  });

  it("counts a user's token quota in the zone of the organization it calls for", async () => {
    await db.pool.query(`insert into subscription_tiers (tier, rank, daily_token_quota) values ('pro', 1, 1000)`);
    await logs([
      // 600 tokens at Tokyo 20th 23:30, 300 at Tokyo 21st 00:30; both London's 20th.
      { organization_id: 'tk', user_id: 'u-tk', tier: 'pro', prompt_tokens: 500, completion_tokens: 100, created_at: '2026-11-20T14:30:00Z' },
      { organization_id: 'tk', user_id: 'u-tk', tier: 'pro', prompt_tokens: 200, completion_tokens: 100, created_at: '2026-11-20T15:30:00Z' },
    ]);
    // Tokyo's 21st: 300 used, 700 more make the quota. (London's 20th: 900 used, 700 more would not fit.)
    const within = await ask({ userId: 'u-tk', organizationId: 'tk', tier: 'pro', estimatedTokens: 700 }, 0, TOKYO_AT);
    expect(within).toMatchObject({ allowed: true, remainingTokens: 700 });
    const over = await ask({ userId: 'u-tk', organizationId: 'tk', tier: 'pro', estimatedTokens: 701 }, 0, TOKYO_AT);
    expect(over.reason).toContain("user 'u-tk' daily token quota of tier 'pro' would be exceeded (300 used + 701 needed > 1000)");
    expect((await reserve({ userId: 'u-tk', organizationId: 'tk', tier: 'pro', estimatedTokens: 701 }, 0, TOKYO_AT)).allowed).toBe(false);
  });

  it('gives Notion each limit’s spend today and this month in its own zone', async () => {
    await insertLimits(db.pool, [
      { entity_type: 'organization', entity_id: 'tk', daily_limit: 10, monthly_limit: 100, breach_action: 'alert' },
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 100, monthly_limit: 1000, breach_action: 'alert' },
      { entity_type: 'user', entity_id: 'u-ny', daily_limit: 10, monthly_limit: 100, breach_action: 'alert' },
    ]);
    await tokyoCalls();
    await newYorkCalls();

    await source.refreshBudgetSpend({ at: TOKYO_AT, timezone: DEFAULT });
    // tk, Tokyo: the 21st to 16:00Z is $2 + $4 = $6; November from 2026-10-31T15:00Z is $1 + $2 + $4 + $8 + $16 = $31.
    expect(await spendOf('organization', 'tk')).toEqual({ daily: 6, monthly: 31 });
    // workflow, London: the 20th to 16:00Z is $1 + $2 + $4 + $64 = $71; November is that + $8 = $79, plus
    // u-ny's $1 + $2 + $4 + $8 = $15 (all dated in London's November, before 16:00Z on the 20th): $94.
    expect(await spendOf('service', 'workflow')).toEqual({ daily: 71, monthly: 94 });

    await source.refreshBudgetSpend({ at: NY_AT, timezone: DEFAULT });
    // u-ny, New York (its latest call's organization): Nov 1st to 04:45Z on the 2nd is $1 + $4 = $5; November the same.
    // (London: the 2nd is $4, November $1 + $2 + $4 = $7.)
    expect(await spendOf('user', 'u-ny')).toEqual({ daily: 5, monthly: 5 });

    // Budget status (alerts, the report) agrees, and starts each period at the entity's midnight.
    const status = await source.budgetStatus({ at: TOKYO_AT, timezone: DEFAULT });
    const tk = status.filter((u) => u.entityType === 'organization').map((u) => [u.period, new Date(u.periodStart).toISOString(), u.spent]);
    expect(tk).toEqual([
      ['daily', '2026-11-20T15:00:00.000Z', 6],
      ['monthly', '2026-10-31T15:00:00.000Z', 31],
    ]);
    const service = status.filter((u) => u.entityType === 'service').map((u) => [u.period, new Date(u.periodStart).toISOString(), u.spent]);
    expect(service).toEqual([
      ['daily', '2026-11-20T00:00:00.000Z', 71],
      ['monthly', '2026-11-01T00:00:00.000Z', 94],
    ]);
  });

  it("pauses an agent over its limit until its organization's next midnight", async () => {
    await blocking([{ entity_type: 'agent', entity_id: 'bot', daily_limit: 1 }]);
    await logs([{ organization_id: 'tk', agent_id: 'bot', total_cost: 2, created_at: '2026-11-20T15:30:00Z' }]);
    expect(await source.budgetHousekeeping({ at: TOKYO_AT, timezone: DEFAULT })).toMatchObject({ pausedAgents: 1 });
    const { rows } = await db.pool.query(`select paused_until from agent_pauses where agent_id = 'bot'`);
    // Tokyo's 21st ends at 2026-11-21T15:00Z (London's 20th would end at 2026-11-21T00:00Z).
    expect(rows[0].paused_until.toISOString()).toBe('2026-11-21T15:00:00.000Z');
  });

  it('is as before without organization settings: every limit in the default zone', async () => {
    await db.pool.query(`select tokensync_set_organization_time_zone('tk', null, $1)`, [DEFAULT]);
    await db.pool.query(`select tokensync_set_organization_time_zone('ny', null, $1)`, [DEFAULT]);
    await insertLimits(db.pool, [
      { entity_type: 'organization', entity_id: 'tk', daily_limit: 10, monthly_limit: 100, breach_action: 'block', grace_pct: 0 },
      { entity_type: 'user', entity_id: 'u-ny', daily_limit: 10, monthly_limit: 100, breach_action: 'block', grace_pct: 0 },
    ]);
    await tokyoCalls();
    await newYorkCalls();
    // London's 20th: $1 + $2 + $4 = $7; London's November to 16:00Z on the 20th: $7 + $8 = $15.
    expect(await ask({ organizationId: 'tk' }, 3, TOKYO_AT)).toMatchObject({ allowed: true, remainingBudget: 3 });
    expect((await reserve({ organizationId: 'tk' }, 3.5, TOKYO_AT)).allowed).toBe(false);
    await source.refreshBudgetSpend({ at: TOKYO_AT, timezone: DEFAULT });
    expect(await spendOf('organization', 'tk')).toEqual({ daily: 7, monthly: 15 });
    // u-ny, London's Nov 2nd counted whole: $4 + $8 = $12, past its $10 already.
    expect((await ask({ userId: 'u-ny', organizationId: 'ny' }, 0, NY_AT)).allowed).toBe(false);
    await source.refreshBudgetSpend({ at: NY_AT, timezone: DEFAULT });
    // As of 04:45Z on the 2nd: the day $4, November $1 + $2 + $4 = $7.
    expect(await spendOf('user', 'u-ny')).toEqual({ daily: 4, monthly: 7 });
  });
});
