/** The SDK's budget questions: what they answer when the database cannot, how long an answer is reused, what a reservation holds. */
import { z } from 'zod';
import { milliseconds, type Parsed } from './fields.js';

const usd = (example: string) =>
  z
    .string()
    .regex(/^\d+(\.\d{1,9})?$/, `must be an amount in USD, e.g. ${example}`)
    .transform(Number);

const wholeTokens = (example: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number of tokens, e.g. ${example}`)
    .transform(Number);

export const budgetCheckVariables = {
  BUDGET_CHECK_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
  BUDGET_CHECK_CACHE_TTL_MS: milliseconds('e.g. 5000; 0 disables the cache').default(5000),
  BUDGET_CHECK_TIMEOUT_MS: milliseconds('e.g. 2000')
    .refine((v) => v > 0, 'must be more than 0, e.g. 2000')
    .default(2000),
  BUDGET_DEFAULT_ESTIMATE_USD: usd('0.10').default(0.1),
  BUDGET_DEFAULT_ESTIMATE_TOKENS: wholeTokens('8000').default(8000),
  BUDGET_HOLD_TTL_MS: milliseconds('e.g. 120000')
    .refine((v) => v >= 1000 && v <= 86_400_000, 'must be between 1000 and 86400000, e.g. 120000')
    .default(120_000),
};

export interface BudgetCheckConfig {
  /** What a budget question answers when the database cannot and no applicable limit says otherwise: open allows, closed denies. */
  failMode: 'open' | 'closed';
  /** How long an answer is reused for the same question; 0 disables the cache. */
  cacheTtlMs: number;
  /** How long a budget question waits for the database before failing open or closed. */
  timeoutMs: number;
  /** What a question without a usable estimate is taken to cost: never "free because unknown". */
  defaultEstimateUsd: number;
  defaultEstimateTokens: number;
  /** How long a reservation's hold lives when neither settled nor released (a caller that crashed). */
  holdTtlMs: number;
}

export const budgetCheckConfig = (e: Parsed<typeof budgetCheckVariables>): BudgetCheckConfig => ({
  failMode: e.BUDGET_CHECK_FAIL_MODE,
  cacheTtlMs: e.BUDGET_CHECK_CACHE_TTL_MS,
  timeoutMs: e.BUDGET_CHECK_TIMEOUT_MS,
  defaultEstimateUsd: e.BUDGET_DEFAULT_ESTIMATE_USD,
  defaultEstimateTokens: e.BUDGET_DEFAULT_ESTIMATE_TOKENS,
  holdTtlMs: e.BUDGET_HOLD_TTL_MS,
});
