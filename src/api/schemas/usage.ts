/**
 * The usage reads over HTTP (issue #19): each answer is a SQL function's
 * (20261205002000_usage_api_reads.sql), its keys in camelCase. Money is USD,
 * summed exactly in Postgres; dates are local dates (YYYY-MM-DD).
 */
import { z } from 'zod';
import { entityId } from './common.js';

const usd = z.number().describe('USD, an exact sum in Postgres');
const count = z.number().int();
const timestamp = z.string().describe('ISO 8601 instant');
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('A local date, YYYY-MM-DD');
const pct = z.number().nullable().describe('Percent, to 2 decimals; null when the limit is 0');

export const userParams = z.object({ userId: entityId.describe('A user token may only name its own user (its sub).') });
export const sessionParams = z.object({ sessionId: entityId });

export const rangeQuery = z
  .object({
    from: localDate.optional().describe('First local date (default: the 1st of to\'s month)'),
    to: localDate.optional().describe('Last local date, included (default: today)'),
  })
  .strict();

export const sessionQuery = z
  .object({ userId: entityId.optional().describe('Only this user\'s calls in the session (a user token: always its own).') })
  .strict();

export const recentQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).max(500).optional().describe('next_cursor of the previous page'),
    sessionId: entityId.optional().describe('Only calls of this conversation thread'),
  })
  .strict();

export const summaryQuery = rangeQuery
  .extend({ serviceType: entityId.optional(), provider: entityId.optional(), model: entityId.optional() })
  .strict();

export const overviewQuery = z.object({ top: z.coerce.number().int().min(1).max(100).default(5) }).strict();
export const trendsQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }).strict();

const tokensParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const mayRunQuery = z
  .object({
    feature: entityId.optional().describe('The operation'),
    serviceType: entityId.optional(),
    sessionId: entityId.optional(),
    agentId: entityId.optional(),
    organizationId: entityId.optional(),
    tier: entityId.optional(),
    estimatedTokens: tokensParam.optional().describe('Tokens the operation needs (token quotas)'),
    estimatedCost: z.coerce.number().min(0).max(99_999_999.999999).optional().describe('USD it would cost'),
  })
  .strict();

export const estimateQuery = z
  .object({
    provider: z.string().min(1).max(100),
    model: z.string().min(1).max(200),
    promptTokens: tokensParam.default(0),
    completionTokens: tokensParam.default(0),
    cachedTokens: tokensParam.optional().describe('Of promptTokens, read from the provider\'s cache'),
    reasoningTokens: tokensParam.optional().describe('Of completionTokens'),
    serviceTier: z.string().min(1).max(50).optional().describe('batch, flex, priority…'),
  })
  .strict();

const period = z.object({ start: timestamp, spent: usd, tokens: count, held: usd.describe('Live reservations, not yet spent') });

export const userUsage = z
  .object({
    userId: z.string(),
    timezone: z.string().describe('The user\'s zone: its latest call\'s organization\'s, else REPORT_TIMEZONE'),
    asOf: timestamp,
    today: period.extend({ date: localDate }),
    month: period,
  })
  .meta({ id: 'UserUsage' });

const modelUse = z.object({ provider: z.string(), model: z.string(), calls: count, spent: usd, tokens: count });

export const sessionUsage = z
  .object({
    sessionId: z.string(),
    userId: z.string().nullable().describe('Whose calls are counted; null: every user\'s (the service asking)'),
    asOf: timestamp,
    calls: count,
    spent: usd,
    tokens: count,
    firstAt: timestamp.nullable(),
    lastAt: timestamp.nullable(),
    models: z.array(modelUse),
  })
  .meta({ id: 'SessionUsage' });

export const usageRecord = z
  .object({
    id: z.string(),
    createdAt: timestamp,
    requestId: z.string().nullable(),
    organizationId: z.string().nullable(),
    userId: z.string().nullable(),
    sessionId: z.string().nullable(),
    serviceType: z.string().nullable(),
    feature: z.string().nullable(),
    agentId: z.string().nullable(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    promptTokens: count.nullable(),
    completionTokens: count.nullable(),
    cachedTokens: count.nullable(),
    totalTokens: count.nullable(),
    totalCost: z.number().nullable().describe('null: the price was unknown'),
    costEstimated: z.boolean().nullable(),
    latencyMs: z.number().nullable(),
    success: z.boolean().nullable(),
    errorType: z.string().nullable(),
  })
  .meta({ id: 'UsageRecord' });

export const recentPage = z
  .object({
    items: z.array(usageRecord).describe('Newest first'),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last page'),
  })
  .meta({ id: 'UsageRecordPage' });

/** Whose figures, over which local dates, as of when: the head of the cost breakdowns. */
const breakdownPeriod = {
  userId: z.string().nullable().describe('null: the installation\'s'),
  timezone: z.string(),
  from: localDate,
  to: localDate,
  asOf: timestamp,
};

export const modelCosts = z
  .object({
    ...breakdownPeriod,
    source: z.enum(['daily_cost_breakdown', 'user_calls']),
    models: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        requests: count,
        failedRequests: count,
        unpricedRequests: count.describe('Calls with no known price: not in spent'),
        tokens: count,
        spent: usd,
      }),
    ),
  })
  .meta({ id: 'ModelCosts' });

const operationUse = z.object({
  operation: z.string().describe('The call\'s feature, else its service_type'),
  requests: count,
  tokens: count,
  spent: usd,
});

export const operationCosts = z
  .object({
    ...breakdownPeriod,
    operations: z.array(operationUse),
  })
  .meta({ id: 'OperationCosts' });

const limitStatus = z.object({
  period: z.enum(['daily', 'monthly']),
  periodStart: timestamp,
  limit: usd,
  spent: usd,
  remaining: usd,
  utilisationPct: pct,
  breachAction: z.enum(['alert', 'block']),
});

export const quotaSummary = z
  .object({
    userId: z.string(),
    tier: z.string().nullable().describe('The tier of the user\'s latest call'),
    timezone: z.string(),
    asOf: timestamp,
    quotas: z.array(
      z.object({
        period: z.enum(['daily', 'monthly']),
        periodStart: timestamp,
        periodEnd: timestamp,
        tokenQuota: count,
        tokensUsed: count,
        tokensHeld: count,
        tokensRemaining: count,
        utilisationPct: pct,
        warningPct: z.number().nullable().describe('The highest of the tier\'s warning percentages reached'),
        exceeded: z.boolean(),
      }),
    ),
    limits: z.array(limitStatus).describe('The user\'s own budget limits'),
    warnings: z.array(z.string()),
    monthStart: timestamp,
    operations: z.array(operationUse).describe('This month, by operation'),
  })
  .meta({ id: 'QuotaSummary' });

export const mayRunAnswer = z
  .object({
    allowed: z.boolean(),
    reason: z.string().nullable(),
    warnings: z.array(z.string()),
    remainingBudget: z.number().nullable(),
    remainingTokens: z.number().nullable(),
    estimatedCost: usd,
    tokensNeeded: count,
    requiresUpgrade: z.boolean().describe('A higher tier would allow it'),
    upgrade: z.object({ tier: z.string().nullable(), wouldAllow: z.boolean() }).nullable(),
    checks: z.array(z.record(z.string(), z.unknown())).describe('Each limit and quota weighed'),
  })
  .meta({ id: 'MayRunAnswer' });

export const overview = z
  .object({
    asOf: timestamp,
    timezone: z.string(),
    today: z.object({ date: localDate, spent: usd, requests: count, tokens: count }),
    month: z.object({ startDate: localDate, spent: usd, requests: count, failedRequests: count, tokens: count }),
    topModels: z.array(z.object({ provider: z.string(), model: z.string(), requests: count, spent: usd })),
    topServices: z.array(z.object({ serviceType: z.string(), requests: count, spent: usd })),
    topAgents: z.array(z.object({ agentId: z.string(), spent: usd })),
  })
  .meta({ id: 'UsageOverview' });

export const summary = z
  .object({
    from: localDate,
    to: localDate,
    timezone: z.string(),
    filters: z.object({ serviceType: z.string().nullable(), provider: z.string().nullable(), model: z.string().nullable() }),
    requests: count,
    failedRequests: count,
    unpricedRequests: count,
    promptTokens: count,
    completionTokens: count,
    tokens: count,
    spent: usd,
    services: z.array(z.object({ serviceType: z.string(), requests: count, spent: usd })),
  })
  .meta({ id: 'UsageSummary' });

export const agentBudgets = z
  .object({
    asOf: timestamp,
    agents: z.array(
      z.object({
        agentId: z.string(),
        timezone: z.string(),
        paused: z.boolean(),
        pausedUntil: timestamp.nullable(),
        pauseReason: z.string().nullable(),
        limits: z.array(limitStatus),
      }),
    ),
  })
  .meta({ id: 'AgentBudgets' });

export const trends = z
  .object({
    asOf: timestamp,
    timezone: z.string(),
    days: z.array(z.object({ date: localDate, spent: usd, requests: count, tokens: count })),
    month: z.object({
      start: timestamp,
      startDate: localDate,
      spent: usd,
      daysElapsed: z.number(),
      daysInMonth: z.number(),
      projected: z.number().nullable().describe('spent × daysInMonth / daysElapsed; null in the first day'),
      confidence: z.enum(['low', 'medium', 'high']),
      wholeDays: count,
      variation: z.number().nullable().describe('Coefficient of variation of the whole days\' spend'),
    }),
  })
  .meta({ id: 'UsageTrends' });

export const costEstimate = z
  .object({
    known: z.boolean(),
    provider: z.string(),
    model: z.string(),
    totalCost: z.number().nullable(),
    inputCost: z.number().nullable(),
    outputCost: z.number().nullable(),
    totalUsd: z.string().nullable().describe('The exact cost as decimal text, as it would be stored'),
    source: z.enum(['catalogue', 'override']).nullable(),
    pricedAs: z.string().nullable(),
    estimated: z.boolean().describe('The model has no price: priced at a fallback'),
    reason: z.string().nullable(),
  })
  .meta({ id: 'CostEstimate' });
