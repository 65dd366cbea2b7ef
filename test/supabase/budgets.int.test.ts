import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs, type Row } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

/** What an answer carries beyond allowed, reason and remaining budget, when no quota or gate applies. */
const NO_QUOTA = { remainingTokens: null, tokensNeeded: 0, warnings: [], upgrade: null };

/** Noon UTC on a Friday; "today" is 2026-11-20 and the month began on 2026-11-01. */
const AT = '2026-11-20T12:00:00.000Z';
const EARLIER_TODAY = '2026-11-20T09:00:00Z';
const EARLIER_THIS_MONTH = '2026-11-03T09:00:00Z';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe.each(TRANSPORTS)('check_user_budget through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
  });

  /** user-1 in session-1 of organization mvp on tier_1, calling the workflow service. */
  const check = (estimatedCost: number, overrides: Partial<Parameters<SupabaseSource['checkUserBudget']>[0]> = {}) =>
    source.checkUserBudget({ userId: 'user-1', sessionId: 'session-1', serviceType: 'workflow', estimatedCost, at: AT, ...overrides });

  const spend = (total_cost: number, overrides: Row = {}) => insertLogs(db.pool, [{ total_cost, created_at: EARLIER_TODAY, ...overrides }]);
  /** Limits that block at the cap itself: these cases are about the cap, the grace has cases of its own. */
  const limitsAtCap = (limits: Row[]) => insertLimits(db.pool, limits.map((limit) => ({ grace_pct: 0, ...limit })));

  it('allows a call within every limit and reports the smallest remaining budget', async () => {
    await insertLimits(db.pool, [
      { entity_type: 'organization', entity_id: 'mvp', daily_limit: 50, monthly_limit: 500 },
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 15, monthly_limit: 300 },
    ]);
    await spend(10);
    expect(await check(1)).toEqual({ allowed: true, reason: 'within every limit that applies', remainingBudget: 5, ...NO_QUOTA });
  });

  it.each([
    ['organization', { entity_type: 'organization', entity_id: 'mvp', daily_limit: 10 }, "organization 'mvp' daily limit $10.00"],
    ['service', { entity_type: 'service', entity_id: 'workflow', daily_limit: 10 }, "service 'workflow' daily limit $10.00"],
    ['tier', { entity_type: 'tier', entity_id: 'tier_1', daily_limit: 10 }, "tier 'tier_1' daily limit $10.00"],
    ['user', { entity_type: 'user', entity_id: 'user-1', daily_limit: 10 }, "user 'user-1' daily limit $10.00"],
    ['session', { entity_type: 'session', entity_id: 'session-1', session_limit: 10 }, "session 'session-1' session limit $10.00"],
  ])('denies when the %s limit would be exceeded, naming it', async (_name, limit, named) => {
    await limitsAtCap([limit]);
    await spend(9.9);
    const decision = await check(0.2);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain(`${named} would be exceeded (spent $9.90 + estimated $0.20)`);
    expect(decision.remainingBudget).toBeCloseTo(0.1, 6);
    // The same spend with a smaller call fits.
    expect((await check(0.1)).allowed).toBe(true);
  });

  it('counts the whole month for monthly limits and only today for daily ones', async () => {
    await limitsAtCap([{ daily_limit: 5, monthly_limit: 20 }]);
    await spend(15, { created_at: EARLIER_THIS_MONTH });
    await spend(4);
    expect(await check(0.5)).toEqual({ allowed: true, reason: 'within every limit that applies', remainingBudget: 1, ...NO_QUOTA });
    const denied = await check(1.5);
    expect(denied.reason).toBe(
      "blocked: organization 'mvp' daily limit $5.00 would be exceeded (spent $4.00 + estimated $1.50); " +
        "organization 'mvp' monthly limit $20.00 would be exceeded (spent $19.00 + estimated $1.50)",
    );
  });

  it('resets the day at midnight of the given time zone', async () => {
    await limitsAtCap([{ daily_limit: 5 }]);
    // 03:00 UTC on the 20th is still the 19th in New York.
    await spend(4.5, { created_at: '2026-11-20T03:00:00Z' });
    expect((await check(1)).allowed).toBe(false);
    expect((await check(1, { timezone: 'America/New_York' })).allowed).toBe(true);
  });

  it("caps each of a user's sessions with the user's session limit", async () => {
    await limitsAtCap([{ entity_type: 'user', entity_id: 'user-1', session_limit: 2 }]);
    await spend(1.5, { session_id: 'session-1' });
    expect((await check(0.6)).allowed).toBe(false);
    expect(await check(0.6, { sessionId: 'session-2' })).toEqual({ allowed: true, reason: 'within every limit that applies', remainingBudget: 2, ...NO_QUOTA });
  });

  it('ignores inactive limits', async () => {
    await insertLimits(db.pool, [{ daily_limit: 1, is_active: false }]);
    await spend(5);
    expect(await check(1)).toEqual({ allowed: true, reason: 'no active budget limit applies', remainingBudget: null, ...NO_QUOTA });
  });

  it('allows anything when no limit applies', async () => {
    await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'virtual_panel', daily_limit: 1 }]);
    expect(await check(1000)).toEqual({ allowed: true, reason: 'no active budget limit applies', remainingBudget: null, ...NO_QUOTA });
  });

  it("allows a breach of an 'alert' limit with a warning that names it", async () => {
    await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'workflow', daily_limit: 10, breach_action: 'alert' }]);
    await spend(9.9);
    const decision = await check(0.2);
    expect(decision.allowed).toBe(true);
    expect(decision.reason).toMatch(/^warning \(call allowed\): service 'workflow' daily limit \$10\.00/);
  });

  it('takes organization and tier from the caller when the user has no history', async () => {
    await limitsAtCap([{ entity_type: 'tier', entity_id: 'tier_3', daily_limit: 1 }]);
    await spend(0.9, { user_id: 'someone-else', tier: 'tier_3' });
    const newUser = { userId: 'new-user', sessionId: 'new-session' };
    expect((await check(0.2, newUser)).reason).toBe('no active budget limit applies');
    expect((await check(0.2, { ...newUser, tier: 'tier_3' })).allowed).toBe(false);
  });

  it('rejects a negative estimate with the argument named', async () => {
    const failure = check(-1);
    await expect(failure).rejects.toBeInstanceOf(DatabaseError);
    await expect(failure).rejects.toMatchObject({ sqlState: '22023', message: expect.stringMatching(/estimated_cost must be a finite amount >= 0/) });
  });
});

describe.each(TRANSPORTS)('budget status through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(async () => {
    source = openSource(db, transport);
    await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
    await insertLimits(db.pool, [
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 10, monthly_limit: 100, breach_action: 'alert' },
      { entity_type: 'user', entity_id: 'user-1', session_limit: 1, alert_thresholds: [80] },
      { entity_type: 'tier', entity_id: 'tier_9', daily_limit: 5, is_active: false },
    ]);
    await insertLogs(db.pool, [
      { total_cost: 7.6, created_at: EARLIER_TODAY, session_id: 'session-a' },
      { total_cost: 0.3, created_at: EARLIER_THIS_MONTH, session_id: 'session-old' },
    ]);
  });
  afterAll(() => source.close());

  it('reports spend against every active limit and period with the thresholds reached', async () => {
    const status = await source.budgetStatus({ at: AT });
    const summary = status.map((u) => [u.entityType, u.entityId, u.period, u.sessionId, u.spent, u.limitAmount, u.utilisationPct, u.thresholdsReached]);
    expect(summary).toEqual([
      ['service', 'workflow', 'daily', null, 7.6, 10, 76, [50, 75]],
      ['service', 'workflow', 'monthly', null, 7.9, 100, 7.9, []],
      // Only sessions active in the last day are reported.
      ['user', 'user-1', 'session', 'session-a', 7.6, 1, 760, [80]],
    ]);
    expect(status[0]).toMatchObject({ periodStart: '2026-11-20T00:00:00+00:00', breachAction: 'alert', exceeded: false });
    expect(status[1]!.periodStart).toBe('2026-11-01T00:00:00+00:00');
  });

  it('reads a feature limit too (every entity type a limit may have)', async () => {
    const [limit] = await insertLimits(db.pool, [{ entity_type: 'feature', entity_id: 'summaries', daily_limit: 2, breach_action: 'alert' }]);
    await insertLogs(db.pool, [{ total_cost: 0.5, created_at: EARLIER_TODAY, feature: 'summaries' }]);
    try {
      const status = await source.budgetStatus({ at: AT });
      expect(status.filter((u) => u.entityType === 'feature').map((u) => [u.entityId, u.period, u.spent])).toEqual([['summaries', 'daily', 0.5]]);
    } finally {
      await db.pool.query('delete from budget_limits where id = $1', [limit!.id]);
      await db.pool.query(`delete from token_usage_logs where feature = 'summaries'`);
    }
  });
});
