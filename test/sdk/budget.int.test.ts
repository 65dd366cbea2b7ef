import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkBudget, closeBudgetChecks } from '../../src/sdk/check-budget.js';
import type { BudgetRequest } from '../../src/sdk/budget.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { captureLogs, openTracker } from '../support/sdk.js';
import { TRANSPORTS } from '../support/sources.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // user-2 may spend $1 a day; $0.80 is spent already today.
  await insertLimits(db.pool, [{ entity_type: 'user', entity_id: 'user-2', daily_limit: 1, breach_action: 'block', grace_pct: 0 }]);
  await insertLogs(db.pool, [{ user_id: 'user-2', session_id: 's-2', input_cost: 0.5, output_cost: 0.3 }]);
});
afterAll(() => db.drop());
afterEach(() => vi.unstubAllEnvs());

/** An allowed answer with `remainingBudget` left and nothing else to say. */
const roomFor = (remainingBudget: number) => ({
  allowed: true, reason: 'within every limit that applies', remainingBudget, remainingTokens: null, tokensNeeded: 0, warnings: [], upgrade: null,
});

const ask = (estimatedCost: number): BudgetRequest => ({ userId: 'user-2', sessionId: 's-2', serviceType: 'workflow', estimatedCost });

describe.each(TRANSPORTS)('checkBudget over %s', (transport) => {
  it('answers from check_user_budget, then from its cache within the TTL', async () => {
    const tracker = openTracker(db, transport, { budget: { cacheTtlMs: 60_000 } });
    let spent: Record<string, unknown>[] = [];
    try {
      expect(await tracker.checkBudget(ask(0.1))).toEqual({ ...roomFor(0.2), source: 'database' });
      const denied = await tracker.checkBudget(ask(0.5));
      expect(denied).toMatchObject({ allowed: false, source: 'database', reason: expect.stringContaining(`user 'user-2' daily limit $1.00 would be exceeded`) });

      // Spending moves on, but within the TTL the same question gets the remembered answer…
      spent = await insertLogs(db.pool, [{ user_id: 'user-2', session_id: 's-2', input_cost: 0.15, output_cost: 0 }]);
      expect(await tracker.checkBudget(ask(0.1))).toEqual({ ...roomFor(0.2), source: 'cache' });
      // …while a different question is asked afresh: 0.95 spent + 0.1 > 1.
      expect(await tracker.checkBudget(ask(0.100001))).toMatchObject({ allowed: false, source: 'database' });
    } finally {
      await db.pool.query('delete from token_usage_logs where id = any($1)', [spent.map((row) => row.id)]);
      await tracker.close();
    }
  });
});

describe('a question without an estimate', () => {
  it('asks about the configured default, never "allowed because the check failed"', async () => {
    // user-2 has spent $0.80 of a $1.00 limit: the default $0.10 fits, a default of $0.25 does not.
    const fits = openTracker(db, 'postgres', { budget: { cacheTtlMs: 0 } });
    const tooMuch = openTracker(db, 'postgres', { budget: { cacheTtlMs: 0, defaultEstimateUsd: 0.25 } });
    try {
      const { estimatedCost: _, ...withoutEstimate } = ask(0);
      expect(await fits.checkBudget(withoutEstimate)).toMatchObject({ allowed: true, source: 'database' });
      expect(await tooMuch.checkBudget({ ...withoutEstimate, estimatedCost: null })).toMatchObject({
        allowed: false,
        source: 'database',
        reason: expect.stringContaining('estimated $0.25'),
      });
    } finally {
      await fits.close();
      await tooMuch.close();
    }
  });
});

describe('when the database cannot answer', () => {
  it.each([
    ['open', true, 'fail-open'],
    ['closed', false, 'fail-closed'],
  ] as const)('fails %s, logged, and asks again next time', async (failMode, allowed, source) => {
    const logs = captureLogs();
    const tracker = openTracker(db, 'postgres', { databaseUrl: 'postgres://postgres@127.0.0.1:1/none', logs, budget: { failMode, cacheTtlMs: 60_000 } });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        expect(await tracker.checkBudget(ask(0.1))).toEqual({
          allowed, remainingBudget: null, source, reason: expect.stringMatching(new RegExp(`^budget check failed \\(.*\\); failing ${failMode}$`)),
          remainingTokens: null, tokensNeeded: 0, warnings: [], upgrade: null,
        });
      }
      expect(logs.lines.filter((l) => l.msg === `budget check failed; failing ${failMode}`)).toHaveLength(2);
    } finally {
      await tracker.close();
    }
  });

  it('a database that does not answer in time counts as a failure', async () => {
    const proxy = await startTcpProxy();
    const tracker = openTracker(db, 'postgres', { databaseUrl: proxy.urlFor(db.name), budget: { timeoutMs: 200 } });
    try {
      proxy.holdResponses();
      expect(await tracker.checkBudget(ask(0.1))).toMatchObject({ allowed: true, source: 'fail-open', reason: expect.stringContaining('no answer within 200 ms') });
    } finally {
      proxy.cut();
      await tracker.close();
      await proxy.close();
    }
  });

  it('an impossible estimate is a failed check, not an exception', async () => {
    const tracker = openTracker(db, 'postgres', { budget: { failMode: 'closed' } });
    try {
      expect(await tracker.checkBudget(ask(Number.NaN))).toMatchObject({ allowed: false, source: 'fail-closed', reason: expect.stringContaining('estimatedCost must be a finite amount') });
    } finally {
      await tracker.close();
    }
  });
});

describe('checkBudget from the package root', () => {
  it('uses the configured database and policy (DATABASE_URL, BUDGET_CHECK_*)', async () => {
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('SUPABASE_URL', '');
    vi.stubEnv('SUPABASE_SERVICE_ROLE_KEY', '');
    vi.stubEnv('BUDGET_CHECK_CACHE_TTL_MS', '0');
    vi.stubEnv('LOG_LEVEL', 'silent');
    try {
      expect(await checkBudget(ask(0.5))).toMatchObject({ allowed: false, source: 'database' });
      expect(await checkBudget(ask(0.5))).toMatchObject({ source: 'database' });
    } finally {
      await closeBudgetChecks();
    }
  });
});
