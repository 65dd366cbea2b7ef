import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createBudgetChecker, type BudgetRequest } from '../../src/sdk/budget.js';

/** A checker over a database stub that counts the questions it is asked. */
function checker(failMode: 'open' | 'closed') {
  let asked = 0;
  const check = createBudgetChecker({
    source: {
      checkUserBudget: async () => {
        asked += 1;
        return { allowed: true, reason: null, remainingBudget: 1, remainingTokens: null, tokensNeeded: 0, warnings: [], upgrade: null };
      },
    },
    logger: createLogger({ level: 'silent' }),
    failMode,
    cacheTtlMs: 0,
  });
  return { check, asked: () => asked };
}

const ask = (overrides: Partial<BudgetRequest> = {}): BudgetRequest => ({
  userId: 'user-1', sessionId: 'session-1', serviceType: 'workflow', estimatedCost: 0.01, ...overrides,
});

describe('checkBudget with hostile input', () => {
  it.each([
    ['a NaN estimate', { estimatedCost: Number.NaN }, /estimatedCost must be a finite amount >= 0, got NaN/],
    ['an infinite estimate', { estimatedCost: Number.POSITIVE_INFINITY }, /estimatedCost must be a finite amount/],
    ['a negative estimate', { estimatedCost: -1 }, /estimatedCost must be a finite amount >= 0, got -1/],
    ['a NUL in the user id', { userId: 'user\u0000' }, /userId must not contain NUL characters/],
    ['an unpaired surrogate in the service', { serviceType: 'work\ud800' }, /serviceType must not contain NUL characters or unpaired surrogates/],
  ])('%s never reaches the database, and the verdict says why', async (_what, overrides, reason) => {
    const closed = checker('closed');
    expect(await closed.check(ask(overrides))).toMatchObject({ allowed: false, source: 'fail-closed', reason: expect.stringMatching(reason) });
    expect(closed.asked()).toBe(0);
  });

  it('asks the database about long ids and control characters, which it stores', async () => {
    const open = checker('open');
    expect(await open.check(ask({ userId: 'u'.repeat(10_000), sessionId: 's\u0007\u001b[31m' }))).toMatchObject({ source: 'database', allowed: true });
    expect(open.asked()).toBe(1);
  });
});
