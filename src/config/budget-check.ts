/** The SDK's checkBudget: what it answers when the database cannot, and how long an answer is reused. */
import { z } from 'zod';
import { milliseconds, type Parsed } from './fields.js';

export const budgetCheckVariables = {
  BUDGET_CHECK_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
  BUDGET_CHECK_CACHE_TTL_MS: milliseconds('e.g. 5000; 0 disables the cache').default(5000),
  BUDGET_CHECK_TIMEOUT_MS: milliseconds('e.g. 2000')
    .refine((v) => v > 0, 'must be more than 0, e.g. 2000')
    .default(2000),
};

export interface BudgetCheckConfig {
  /** What checkBudget answers when the database cannot: open allows, closed denies. */
  failMode: 'open' | 'closed';
  /** How long an answer is reused for the same question; 0 disables the cache. */
  cacheTtlMs: number;
  /** How long checkBudget waits for the database before failing open or closed. */
  timeoutMs: number;
}

export const budgetCheckConfig = (e: Parsed<typeof budgetCheckVariables>): BudgetCheckConfig => ({
  failMode: e.BUDGET_CHECK_FAIL_MODE,
  cacheTtlMs: e.BUDGET_CHECK_CACHE_TTL_MS,
  timeoutMs: e.BUDGET_CHECK_TIMEOUT_MS,
});
