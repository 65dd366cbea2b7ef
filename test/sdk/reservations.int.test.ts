/**
 * reserve() / settle() / release() against the real database: concurrent
 * callers admitted up to the cap plus its grace and not a cent more, every
 * entity enforced, holds that expire, settles above and below the estimate,
 * paused agents, token quotas and tier gates.
 *
 * Prices by hand, from OpenAI's API pricing page (checked 2026-12): gpt-4o
 * $2.50 per million input tokens, $10.00 per million output tokens. A call of
 * 25,000 in / 2,500 out costs 25,000 × 2.50 / 10⁶ + 2,500 × 10.00 / 10⁶
 * = $0.0625 + $0.025 = $0.0875.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Tracker } from '../../src/sdk/tracker.js';
import type { UsageEvent } from '../../src/sdk/usage-event.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs, type Row } from '../support/fixtures.js';
import { openTracker } from '../support/sdk.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { TRANSPORTS } from '../support/sources.js';

const GPT4O_CALL_USD = 0.0875;
const gpt4oCall = (requestId: string, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  requestId,
  serviceType: 'workflow',
  provider: 'openai',
  model: 'gpt-4o',
  promptTokens: 25_000,
  completionTokens: 2_500,
  ...overrides,
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const reset = () =>
  db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, agent_pauses, budget_audit, tokensync.budget_holds, feature_gates, subscription_tiers cascade');
const limit = (row: Row) => insertLimits(db.pool, [{ breach_action: 'block', grace_pct: 0, ...row }]);
const spentBy = async (column: string, id: string) =>
  Number((await db.pool.query(`select coalesce(sum(total_cost), 0)::text as s from token_usage_logs where ${column} = $1`, [id])).rows[0].s);

describe.each(TRANSPORTS)('reservations over %s', (transport) => {
  let tracker: Tracker;
  beforeAll(() => {
    // A loaded CI machine may take longer than the 2 s default: a decision by the fail policy is not what is tested here.
    tracker = openTracker(db, transport, { budget: { timeoutMs: 30_000 } });
  });
  afterAll(() => tracker.close());
  beforeEach(reset);

  /** The case: 20 flows of one $0.0875 call each against a $1.00 daily user limit. */
  const twentyFlows = () =>
    Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const decision = await tracker.reserve({ userId: 'user-1', estimate: { costUsd: GPT4O_CALL_USD } });
        expect(decision.source).toBe('database');
        if (decision.allowed) await tracker.settle(decision.hold, gpt4oCall(`flow-${i}`, { userId: 'user-1' }));
        return decision.allowed;
      }),
    );

  it('admits 11 of 20 concurrent $0.0875 calls against a $1.00 cap without grace: $0.9625 spent', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 1 });
    const admitted = (await twentyFlows()).filter(Boolean).length;
    expect(admitted).toBe(11);
    expect(await spentBy('user_id', 'user-1')).toBe(0.9625);
  });

  it('admits 12 with the default 10 % grace: $1.05 ≤ $1.10 < $1.1375', async () => {
    await insertLimits(db.pool, [{ entity_type: 'user', entity_id: 'user-1', daily_limit: 1, breach_action: 'block' }]);
    const admitted = (await twentyFlows()).filter(Boolean).length;
    expect(admitted).toBe(12);
    expect(await spentBy('user_id', 'user-1')).toBe(1.05);
  });

  it('applies the grace at the boundary: the cap, the cap plus grace, not one cent past', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 1, grace_pct: 10 });
    const ask = (costUsd: number) => tracker.reserve({ userId: 'user-1', estimate: { costUsd } });
    expect((await ask(1)).allowed).toBe(true);
    const atGrace = await ask(0.1);
    expect(atGrace).toMatchObject({ allowed: true, remainingBudget: 0 });
    const past = await ask(0.01);
    expect(past.allowed).toBe(false);
    expect(past.reason).toBe(
      "blocked: user 'user-1' daily limit $1.00 would be exceeded beyond its 10% grace (spent $0.00 + held $1.10 + estimated $0.01)",
    );
  });

  it.each([
    ['organization', { organizationId: 'org-a' }],
    ['service', { serviceType: 'workflow' }],
    ['tier', { tier: 'tier_1' }],
    ['user', { userId: 'user-1' }],
    ['session', { sessionId: 'session-1' }],
    ['agent', { agentId: 'agent-1' }],
    ['feature', { feature: 'summaries' }],
  ] as const)('enforces a %s limit', async (entityType, entities) => {
    const entityId = Object.values(entities)[0];
    const periodLimit = entityType === 'session' ? { session_limit: 0.2 } : { daily_limit: 0.2 };
    await limit({ entity_type: entityType, entity_id: entityId, ...periodLimit });
    const first = await tracker.reserve({ ...entities, estimate: { costUsd: 0.15 } });
    expect(first.allowed).toBe(true);
    const second = await tracker.reserve({ ...entities, estimate: { costUsd: 0.1 } });
    expect(second.allowed).toBe(false);
    expect(second.reason).toContain(`${entityType} '${entityId}'`);
    // Someone else is not held back by it.
    expect((await tracker.reserve({ userId: 'someone-else', estimate: { costUsd: 0.1 } })).allowed).toBe(true);
  });

  it('releases a hold: its room is free again', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 1 });
    const first = await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.9 } });
    expect((await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.2 } })).allowed).toBe(false);
    await tracker.release(first.hold);
    expect((await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.2 } })).allowed).toBe(true);
  });

  it('settles below the estimate: only the actual cost stays spent', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 1 });
    const decision = await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.5 } });
    expect(await tracker.settle(decision.hold, gpt4oCall('below', { userId: 'user-1' }))).toEqual({ accepted: true, via: 'settled' });
    expect(await spentBy('user_id', 'user-1')).toBe(GPT4O_CALL_USD);
    // $1.00 − $0.0875 = $0.9125 left, nothing held.
    expect((await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.9125 } })).allowed).toBe(true);
  });

  it('settles above the estimate: the actual cost counts, and the next call sees it', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 0.1 });
    const decision = await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.01 } });
    await tracker.settle(decision.hold, gpt4oCall('above', { userId: 'user-1' }));
    // $0.0875 spent of $0.10: $0.0125 left, so $0.02 is refused and $0.0125 admitted.
    expect((await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.02 } })).allowed).toBe(false);
    expect((await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.0125 } })).allowed).toBe(true);
  });

  it('prices an estimate given in tokens like the call, and holds a default when there is no estimate', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 10 });
    const priced = await tracker.reserve({ userId: 'user-1', estimate: { provider: 'openai', model: 'gpt-4o', promptTokens: 25_000, completionTokens: 2_500 } });
    expect(priced).toMatchObject({ allowed: true, estimate: 'priced', estimatedCost: GPT4O_CALL_USD, tokensNeeded: 27_500 });
    const defaulted = await tracker.reserve({ userId: 'user-1' });
    // The test configuration's defaults: BUDGET_DEFAULT_ESTIMATE_USD 0.10 and _TOKENS 8000.
    expect(defaulted).toMatchObject({ allowed: true, estimate: 'default', estimatedCost: 0.1, tokensNeeded: 8000 });
    // What is left before this call: the first estimate is held.
    expect(defaulted.remainingBudget).toBeCloseTo(10 - GPT4O_CALL_USD, 9);
  });

  it('prices an estimate at the service tier the call will run on', async () => {
    // gpt-4o-mini, USD per MTok (openai.com/api/pricing): standard 0.15 in / 0.60 out; Batch and flex half that;
    // priority 0.25 in / 1.00 out. 200,000 in / 50,000 out:
    // standard 200,000 × 0.15 + 50,000 × 0.60 = 30,000 + 30,000 µ$ = $0.06; batch or flex $0.03;
    // priority 200,000 × 0.25 + 50,000 × 1.00 = 50,000 + 50,000 µ$ = $0.10.
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 0.05 });
    const estimate = (serviceTier?: string | null) => ({ provider: 'openai', model: 'gpt-4o-mini', promptTokens: 200_000, completionTokens: 50_000, serviceTier });

    const standard = await tracker.reserve({ userId: 'user-1', estimate: estimate() });
    expect(standard).toMatchObject({ allowed: false, estimate: 'priced', estimatedCost: 0.06 });
    expect(await tracker.reserve({ userId: 'user-1', estimate: estimate(null) })).toMatchObject({ allowed: false, estimatedCost: 0.06 });
    expect(await tracker.reserve({ userId: 'user-1', estimate: estimate('priority') })).toMatchObject({ allowed: false, estimatedCost: 0.1 });

    const batch = await tracker.reserve({ userId: 'user-1', estimate: estimate('batch') });
    expect(batch).toMatchObject({ allowed: true, estimate: 'priced', estimatedCost: 0.03, hold: { estimatedCost: 0.03 } });
    await tracker.release(batch.hold);
    expect(await tracker.reserve({ userId: 'user-1', estimate: estimate('flex') })).toMatchObject({ allowed: true, estimatedCost: 0.03 });
  });

  it('refuses an estimate whose service tier is not text, as a failed reservation that names the field', async () => {
    const decision = await tracker.reserve({ userId: 'user-1', estimate: { provider: 'openai', model: 'gpt-4o-mini', promptTokens: 1, serviceTier: 7 as never } });
    expect(decision).toMatchObject({ hold: null, reason: expect.stringContaining('estimate.serviceTier must be text, got number') });
  });

  it('guards a call: runs and settles it when allowed, never runs it when denied, releases the hold when it throws', async () => {
    await limit({ entity_type: 'user', entity_id: 'user-1', daily_limit: 0.1 });
    const holds = async () => (await db.pool.query(`select count(*)::int as n from tokensync.budget_holds`)).rows[0].n;
    const calls: string[] = [];
    const request = { userId: 'user-1', estimate: { costUsd: GPT4O_CALL_USD } };

    const ran = await tracker.guard(request, async () => (calls.push('first'), 'answer'), () => gpt4oCall('guarded', { userId: 'user-1' }));
    expect(ran).toMatchObject({ allowed: true, result: 'answer', settled: { accepted: true, via: 'settled' } });
    expect(await spentBy('user_id', 'user-1')).toBe(GPT4O_CALL_USD);
    expect(await holds()).toBe(0);

    // $0.0875 spent of $0.10: another $0.0875 would pass the cap.
    const denied = await tracker.guard(request, async () => calls.push('second'), () => gpt4oCall('never', { userId: 'user-1' }));
    expect(denied.allowed).toBe(false);
    expect(calls).toEqual(['first']);

    const failing = tracker.guard({ userId: 'user-1', estimate: { costUsd: 0.01 } }, async () => {
      throw new Error('provider down');
    }, () => gpt4oCall('failed', { userId: 'user-1' }));
    await expect(failing).rejects.toThrow('provider down');
    expect(await holds()).toBe(0);
  });

  it('settles a call whose hold was released: logged all the same (the money was spent)', async () => {
    const decision = await tracker.reserve({ userId: 'user-1', estimate: { costUsd: 0.1 } });
    await tracker.release(decision.hold);
    expect(await tracker.settle(decision.hold, gpt4oCall('late', { userId: 'user-1' }))).toEqual({ accepted: true, via: 'unheld' });
    expect(await spentBy('user_id', 'user-1')).toBe(GPT4O_CALL_USD);
  });

  it('pauses an agent over its blocking limit, and the admin action unpauses it; both audited', async () => {
    await limit({ entity_type: 'agent', entity_id: 'agent-1', daily_limit: 1 });
    await insertLogs(db.pool, [{ agent_id: 'agent-1', total_cost: 5, created_at: new Date().toISOString() }]);
    const denied = await tracker.reserve({ agentId: 'agent-1', estimate: { costUsd: 0.01 } });
    expect(denied).toMatchObject({ allowed: false, source: 'database' });
    const { rows: pauses } = await db.pool.query(`select agent_id, paused_until > now() as ahead, lifted_at from agent_pauses`);
    expect(pauses).toEqual([{ agent_id: 'agent-1', ahead: true, lifted_at: null }]);
    // Paused, it is denied before anything is counted, whatever it asks.
    expect((await tracker.reserve({ agentId: 'agent-1', estimate: { costUsd: 0 } })).reason).toMatch(/^blocked: agent 'agent-1' is paused until/);

    await db.pool.query(`select tokensync_admin_unpause_agent('agent-1', 'test:admin')`);
    await db.pool.query(`select tokensync_admin_set_limit('agent', 'agent-1', p_daily_limit => 10, p_actor => 'test:admin')`);
    expect((await tracker.reserve({ agentId: 'agent-1', estimate: { costUsd: 0.01 } })).allowed).toBe(true);
    const { rows: audit } = await db.pool.query(`select actor, action from budget_audit where entity_id = 'agent-1' order by id`);
    expect(audit).toEqual([
      { actor: expect.stringMatching(/^sql:/), action: 'create_limit' },
      { actor: 'tokensync:budget', action: 'pause_agent' },
      { actor: 'test:admin', action: 'unpause_agent' },
      { actor: 'test:admin', action: 'update_limit' },
    ]);
  });

  it('pauses an agent whose settled calls pass its limit and grace', async () => {
    await limit({ entity_type: 'agent', entity_id: 'agent-2', daily_limit: 0.1, grace_pct: 10 });
    const decision = await tracker.reserve({ agentId: 'agent-2', estimate: { costUsd: 0.05 } });
    // Settled at $0.0875 ... then a second at $0.0875: $0.175 > $0.11.
    await tracker.settle(decision.hold, gpt4oCall('a2-1', { agentId: 'agent-2' }));
    expect((await db.pool.query(`select count(*)::int as n from agent_pauses`)).rows[0].n).toBe(0);
    await tracker.settle(null, gpt4oCall('a2-2', { agentId: 'agent-2' }));
    await tracker.flush();
    const again = await tracker.reserve({ agentId: 'agent-2', estimate: { costUsd: 0 } });
    expect(again.allowed).toBe(false);
    expect((await db.pool.query(`select count(*)::int as n from agent_pauses where lifted_at is null`)).rows[0].n).toBe(1);
  });

  it('holds token quotas per user of a tier, warns at 75 % and 90 %, and says which tier would allow more', async () => {
    await db.pool.query(`insert into subscription_tiers (tier, rank, monthly_token_quota) values ('free', 1, 10000), ('premium', 2, 1000000)`);
    const ask = (tokens: number) => tracker.reserve({ userId: 'user-q', tier: 'free', estimate: { costUsd: 0, tokens } });
    expect(await ask(7_000)).toMatchObject({ allowed: true, warnings: [], remainingTokens: 10_000 });
    expect((await ask(600)).warnings).toEqual([
      "user 'user-q' would have used 75% of the monthly token quota of tier 'free' (7600 of 10000)",
    ]);
    expect((await ask(1_500)).warnings[0]).toMatch(/used 90% of the monthly token quota/);
    const denied = await ask(1_000);
    expect(denied).toMatchObject({
      allowed: false,
      tokensNeeded: 1_000,
      remainingTokens: 900,
      upgrade: { wouldAllow: true, tier: 'premium' },
    });
    expect(denied.reason).toContain("user 'user-q' monthly token quota of tier 'free' would be exceeded (9100 used + 1000 needed > 10000)");

    // The read-only question gives the same whole answer, and holds nothing.
    const holdsBefore = (await db.pool.query(`select count(*)::int as n from tokensync.budget_holds`)).rows[0].n;
    const question = { userId: 'user-q', tier: 'free', sessionId: null, serviceType: null, estimatedCost: 0, estimatedTokens: 1_000 };
    expect(await tracker.checkBudget(question)).toMatchObject({
      allowed: false, tokensNeeded: 1_000, remainingTokens: 900, upgrade: { wouldAllow: true, tier: 'premium' }, source: 'database',
    });
    expect((await db.pool.query(`select count(*)::int as n from tokensync.budget_holds`)).rows[0].n).toBe(holdsBefore);
  });

  it('gates a feature by tier, and says the upgrade that would allow it', async () => {
    await db.pool.query(`insert into subscription_tiers (tier, rank) values ('free', 1), ('premium', 2)`);
    await db.pool.query(`insert into feature_gates (feature, required_tier) values ('deep_research', 'premium')`);
    const free = await tracker.reserve({ userId: 'u', tier: 'free', feature: 'deep_research', estimate: { costUsd: 0 } });
    expect(free).toMatchObject({ allowed: false, upgrade: { wouldAllow: true, tier: 'premium' }, hold: null });
    expect(free.reason).toBe("blocked: feature 'deep_research' requires tier 'premium' or higher (the caller is on 'free')");
    expect((await tracker.reserve({ userId: 'u', tier: 'premium', feature: 'deep_research', estimate: { costUsd: 0 } })).allowed).toBe(true);
  });
});

describe('reservations in SQL, at chosen instants', () => {
  beforeEach(reset);
  const reserve = async (request: Record<string, unknown>, at: string, timezone = 'UTC') =>
    (await db.pool.query(`select tokensync_reserve($1::jsonb, $2::timestamptz, $3) as d`, [request, at, timezone])).rows[0].d;

  it('lets a hold expire: a caller that crashed leaks nothing', async () => {
    await limit({ entity_type: 'user', entity_id: 'u', daily_limit: 1 });
    expect((await reserve({ user_id: 'u', estimated_cost: 1, ttl_ms: 60_000 }, '2026-11-20T12:00:00Z')).allowed).toBe(true);
    expect((await reserve({ user_id: 'u', estimated_cost: 0.5 }, '2026-11-20T12:00:59Z')).allowed).toBe(false);
    expect((await reserve({ user_id: 'u', estimated_cost: 0.5 }, '2026-11-20T12:01:00Z')).allowed).toBe(true);
    const { rows } = await db.pool.query(`select tokensync_budget_housekeeping('2026-11-20T12:30:00Z') as h`);
    expect(rows[0].h).toEqual({ expired_holds: 2, lifted_pauses: 0, paused_agents: 0 });
  });

  it('pauses, in housekeeping, an agent whose recorded calls passed its limit and grace, and lifts the pause when the day ends', async () => {
    await limit({ entity_type: 'agent', entity_id: 'a', daily_limit: 1, grace_pct: 10 });
    await insertLogs(db.pool, [
      { agent_id: 'a', total_cost: 1.1, created_at: '2026-11-20T09:00:00Z' },
      { agent_id: 'b', total_cost: 9, created_at: '2026-11-20T09:00:00Z' },
    ]);
    const housekeeping = async (at: string) => (await db.pool.query(`select tokensync_budget_housekeeping($1, 'UTC') as h`, [at])).rows[0].h;
    // $1.10 is the limit plus its grace, not past it.
    expect(await housekeeping('2026-11-20T10:00:00Z')).toMatchObject({ paused_agents: 0 });
    await insertLogs(db.pool, [{ agent_id: 'a', total_cost: 0.01, created_at: '2026-11-20T10:00:00Z' }]);
    expect(await housekeeping('2026-11-20T11:00:00Z')).toMatchObject({ paused_agents: 1 });
    expect(await housekeeping('2026-11-20T12:00:00Z')).toMatchObject({ paused_agents: 0, lifted_pauses: 0 });
    const paused = await reserve({ agent_id: 'a', estimated_cost: 0 }, '2026-11-20T12:00:00Z');
    expect(paused.reason).toMatch(/^blocked: agent 'a' is paused until 2026-11-21 00:00 UTC: daily limit \$1\.00 and its grace exceeded \(spent \$1\.11\)/);
    expect(await housekeeping('2026-11-21T00:00:00Z')).toMatchObject({ lifted_pauses: 1, paused_agents: 0 });
    const { rows } = await db.pool.query(`select actor, action from budget_audit where entity_id = 'a' and action <> 'create_limit' order by id`);
    expect(rows).toEqual([
      { actor: 'tokensync:budget', action: 'pause_agent' },
      { actor: 'tokensync:period ended', action: 'pause_expired' },
    ]);
  });

  it('rolls the day over at local midnight in New York (DST or not), and the month on the 1st', async () => {
    await limit({ entity_type: 'user', entity_id: 'u', daily_limit: 1, monthly_limit: 1.5 });
    const ny = 'America/New_York';
    // 2026-11-30 23:50 in New York is 2026-12-01T04:50Z; 00:10 the next day is 05:10Z.
    expect((await reserve({ user_id: 'u', estimated_cost: 1, ttl_ms: 3_600_000 }, '2026-12-01T04:50:00Z', ny)).allowed).toBe(true);
    // Same local day: full.
    expect((await reserve({ user_id: 'u', estimated_cost: 0.5 }, '2026-12-01T04:55:00Z', ny)).allowed).toBe(false);
    // A new local day and a new local month: the November hold counts for neither.
    const december = await reserve({ user_id: 'u', estimated_cost: 1 }, '2026-12-01T05:10:00Z', ny);
    expect(december.allowed).toBe(true);
    // In UTC it is December all along: the first hold counts for the day and the month.
    expect((await reserve({ user_id: 'u', estimated_cost: 0.1 }, '2026-12-01T05:10:00Z')).allowed).toBe(false);
  });

  it('rolls over on a 25-hour day: 2026-11-01 in New York ends at 05:00Z on the 2nd', async () => {
    await limit({ entity_type: 'user', entity_id: 'u', daily_limit: 1 });
    await insertLogs(db.pool, [{ user_id: 'u', total_cost: 1, created_at: '2026-11-01T04:30:00Z' }]);
    // 2026-11-02T04:30Z is still 23:30 on the 1st in New York (EST after the change): the day is full.
    expect((await reserve({ user_id: 'u', estimated_cost: 0.01 }, '2026-11-02T04:30:00Z', 'America/New_York')).allowed).toBe(false);
    expect((await reserve({ user_id: 'u', estimated_cost: 0.01 }, '2026-11-02T05:00:00Z', 'America/New_York')).allowed).toBe(true);
  });
});

describe('when the database cannot answer', () => {
  let proxy: TcpProxy;
  let tracker: Tracker;
  beforeAll(async () => {
    proxy = await startTcpProxy();
    tracker = openTracker(db, 'postgres', { databaseUrl: proxy.urlFor(db.name), budget: { timeoutMs: 500, failMode: 'open' } });
  });
  afterAll(async () => {
    await tracker.close();
    await proxy.close();
  });
  beforeEach(reset);

  it('fails closed for a request a fail-closed limit applies to, open for the others', async () => {
    await limit({ entity_type: 'agent', entity_id: 'careful', daily_limit: 10, fail_mode: 'closed' });
    await limit({ entity_type: 'agent', entity_id: 'relaxed', daily_limit: 10 });
    // A first answer reads which limits fail closed.
    expect((await tracker.reserve({ agentId: 'careful', estimate: { costUsd: 0.01 } })).allowed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.cut();
    try {
      expect(await tracker.reserve({ agentId: 'careful', estimate: { costUsd: 0.01 } })).toMatchObject({ allowed: false, source: 'fail-closed', hold: null });
      expect(await tracker.reserve({ agentId: 'relaxed', estimate: { costUsd: 0.01 } })).toMatchObject({ allowed: true, source: 'fail-open', hold: null });
    } finally {
      proxy.restore();
    }
  });
});
