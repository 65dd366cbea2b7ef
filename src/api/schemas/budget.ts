/**
 * Budget decisions over HTTP: the SDK's questions and answers (checkBudget,
 * reserve, settle, release) as JSON, named as the SDK names them.
 */
import { z } from 'zod';
import { usageEventSchema } from '../../sdk/usage-event.js';
import { entityId } from './common.js';

const entity = entityId.nullish();
const usd = z.number().min(0).max(99_999_999.999999);
const tokens = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The entities a call counts against; each may be left out. A user token's userId is its own (or left out). */
export const budgetEntities = {
  organizationId: entity,
  tier: entity,
  userId: entity.describe('A user token may only name its own user (its sub); left out, it is the token\'s user.'),
  sessionId: entity,
  serviceType: entity,
  agentId: entity,
  feature: entity,
};

export const checkRequest = z
  .object({
    ...budgetEntities,
    estimatedCost: usd.nullish().describe('USD; without it, BUDGET_DEFAULT_ESTIMATE_USD is asked about.'),
    estimatedTokens: tokens.optional().describe('Tokens the call will use, for token quotas (default 0).'),
  })
  .strict()
  .meta({ id: 'BudgetCheckRequest' });

const upgrade = z.object({ wouldAllow: z.boolean(), tier: z.string().nullable() }).nullable();

export const checkResponse = z
  .object({
    allowed: z.boolean(),
    reason: z.string().nullable(),
    remainingBudget: z.number().nullable(),
    remainingTokens: z.number().nullable(),
    tokensNeeded: z.number(),
    warnings: z.array(z.string()),
    upgrade,
    source: z.enum(['database', 'cache', 'fail-open', 'fail-closed']),
  })
  .meta({ id: 'BudgetVerdict' });

export const reserveRequest = z
  .object({
    ...budgetEntities,
    estimate: z
      .object({
        costUsd: usd.optional().describe('Wins over pricing the tokens.'),
        tokens: tokens.optional(),
        provider: z.string().min(1).max(100).optional(),
        model: z.string().min(1).max(200).optional(),
        promptTokens: tokens.optional(),
        completionTokens: tokens.optional(),
        serviceTier: z.string().max(50).nullish(),
      })
      .strict()
      .optional()
      .describe('Dollars, or tokens of a model (priced as the call will be), or neither (the configured default).'),
    ttlMs: z.number().int().min(1000).max(86_400_000).optional().describe('How long the hold lives unless settled or released (default BUDGET_HOLD_TTL_MS).'),
  })
  .strict()
  .meta({ id: 'ReserveRequest' });

export const hold = z
  .object({
    id: z.string().describe('Pass it to settle or release. Bound to the user it was reserved for.'),
    expiresAt: z.string(),
    estimatedCost: z.number(),
    estimatedTokens: z.number(),
  })
  .meta({ id: 'BudgetHold' });

export const decision = z
  .object({
    allowed: z.boolean(),
    reason: z.string(),
    warnings: z.array(z.string()),
    hold: hold.nullable(),
    remainingBudget: z.number().nullable(),
    remainingTokens: z.number().nullable(),
    estimatedCost: z.number(),
    tokensNeeded: z.number(),
    estimate: z.enum(['given', 'priced', 'fallback', 'default']),
    upgrade,
    source: z.enum(['database', 'fail-open', 'fail-closed']),
  })
  .meta({ id: 'BudgetDecision' });

export const holdParams = z.object({ holdId: z.string().min(1).max(200) });

/**
 * The call that ran, as the SDK's record() takes it (the same field checks;
 * the cross-field ones answer 422 usage_refused), with createdAt as ISO text.
 */
export const usageEvent = z
  .object({ ...usageEventSchema.shape, createdAt: z.string().optional().describe('ISO timestamp; default now.') })
  .strict()
  .meta({ id: 'UsageEvent' });

export const settleResponse = z
  .object({
    via: z
      .enum(['settled', 'unheld', 'duplicate', 'buffered'])
      .describe('settled: logged, hold dropped; unheld: logged, the hold had expired or was released; duplicate: requestId already logged; buffered: the database could not take it now, it is written later and the hold expires.'),
  })
  .meta({ id: 'SettleResult' });

export const releaseResponse = z.object({ released: z.literal(true) }).meta({ id: 'ReleaseResult' });
