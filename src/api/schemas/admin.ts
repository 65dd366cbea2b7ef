/** Budget administration (service role only): limits, resets, agent pauses, as budget-admin.ts does them. */
import { z } from 'zod';
import { ENTITY_TYPES } from '../../supabase/budget-admin.js';
import { entityId } from './common.js';

export const entityParams = z.object({ entityType: z.enum(ENTITY_TYPES), entityId });
export const agentParams = z.object({ agentId: entityId });

const limitAmount = z.number().min(0).max(99_999_999.99);

export const setLimitRequest = z
  .object({
    dailyLimit: limitAmount.optional(),
    monthlyLimit: limitAmount.optional(),
    sessionLimit: limitAmount.optional(),
    breachAction: z.enum(['alert', 'block']).optional(),
    gracePct: z.number().min(0).max(100).optional(),
    failMode: z.enum(['open', 'closed']).optional(),
    isActive: z.boolean().optional(),
    actor: z.string().min(1).max(200).optional().describe('Who acts, for the audit (default api:service).'),
  })
  .strict()
  .describe('Creates the limit, or changes only the settings given.')
  .meta({ id: 'SetLimitRequest' });

export const limit = z
  .object({
    id: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    dailyLimit: z.number().nullable(),
    monthlyLimit: z.number().nullable(),
    sessionLimit: z.number().nullable(),
    breachAction: z.string(),
    gracePct: z.number(),
    failMode: z.string(),
    isActive: z.boolean(),
    dailyResetAt: z.string().nullable(),
    monthlyResetAt: z.string().nullable(),
  })
  .meta({ id: 'BudgetLimit' });

export const resetRequest = z
  .object({
    period: z.enum(['daily', 'monthly', 'both']).default('both'),
    actor: z.string().min(1).max(200).optional(),
  })
  .strict()
  .meta({ id: 'ResetRequest' });

export const pauseRequest = z
  .object({
    until: z.iso.datetime({ offset: true }).nullish().describe('Default: until unpaused.'),
    reason: z.string().min(1).max(500).optional(),
    actor: z.string().min(1).max(200).optional(),
  })
  .strict()
  .meta({ id: 'PauseRequest' });

export const pause = z
  .object({
    id: z.string(),
    agentId: z.string(),
    pausedAt: z.string(),
    pausedUntil: z.string().nullable(),
    reason: z.string(),
    pausedBy: z.string(),
  })
  .meta({ id: 'AgentPause' });

export const unpauseRequest = z.object({ actor: z.string().min(1).max(200).optional() }).strict().meta({ id: 'UnpauseRequest' });
export const unpauseResponse = z.object({ unpaused: z.boolean().describe('false: the agent was not paused') }).meta({ id: 'UnpauseResult' });
