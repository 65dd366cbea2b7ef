/**
 * /v1/usage and /v1/pricing: the usage reads of issue #19. Every figure is a
 * SQL function's (usage-reads.ts), called through the configured transport;
 * nothing is summed here. A user token reads its own user's figures (naming
 * another user is 403 other_user; a session's figures are its own calls in
 * it); installation-wide figures are the service's (403 service_only).
 */
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { computeCost } from '../../sdk/pricing/compute.js';
import { actingUser, requireServiceRole, type Caller } from '../auth.js';
import { callerOf, type RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { withFailures } from '../schemas/common.js';
import {
  agentBudgets,
  costEstimate,
  estimateQuery,
  mayRunAnswer,
  mayRunQuery,
  modelCosts,
  operationCosts,
  overview,
  overviewQuery,
  quotaSummary,
  rangeQuery,
  recentPage,
  recentQuery,
  sessionParams,
  sessionQuery,
  sessionUsage,
  summary,
  summaryQuery,
  trends,
  trendsQuery,
  userParams,
  userUsage,
} from '../schemas/usage.js';

const SECURITY = [{ bearer: [] }];
const USER_TAGS = ['usage'];
const INSTALLATION_TAGS = ['usage (installation)'];

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** The SQL functions' keys (snake_case) as the API names them. */
export function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelize(v)]));
  }
  return value;
}

/** The user a path names, when the caller may read it: its own for a user token. */
const ownedUser = (caller: Caller, named: string) => actingUser(caller, named) as string;

/** An opaque keyset cursor: the last row's (created_at, id). */
export const cursors = {
  encode: (last: { created_at: string; id: string }) => Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url'),
  decode(cursor: string): { createdAt: string; id: string } {
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
      if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) {
        return { createdAt, id };
      }
    } catch {
      // Answered below.
    }
    throw new ApiError('invalid_request', 'cursor is not one this API gave: pass next_cursor as it came');
  },
};

export function usageRoutes({ services }: RouteContext): FastifyPluginAsyncZod {
  const { usage } = services;
  return async (app) => {
    // --- A user's figures: the user's own token, or the service.
    app.get('/usage/users/:userId', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A user\'s spend and tokens today and this month',
        description: 'In the user\'s zone, from the spend buckets the budgets count (tokensync_usage_user).',
        params: userParams,
        response: withFailures({ 200: userUsage }),
      },
    }, async (request) => camelize(await usage.user(ownedUser(callerOf(request), request.params.userId))) as never);

    app.get('/usage/users/:userId/quota', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A user\'s quotas: token quotas of its tier, its budget limits, warnings, this month by operation',
        description: 'tokensync_usage_quota: token quotas counted as a budget decision counts them (the whole local day and month, live holds included).',
        params: userParams,
        response: withFailures({ 200: quotaSummary }),
      },
    }, async (request) => camelize(await usage.quota(ownedUser(callerOf(request), request.params.userId))) as never);

    app.get('/usage/users/:userId/may-run', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'May this user run this operation? Read-only: holds nothing',
        description: 'tokensync_budget_question: every limit and quota that applies; allowed, the reason, tokens needed and remaining, and whether a higher tier would allow it.',
        params: userParams,
        querystring: mayRunQuery,
        response: withFailures({ 200: mayRunAnswer }),
      },
    }, async (request) => {
      const q = request.query;
      const answer = camelize(
        await usage.mayRun({
          user_id: ownedUser(callerOf(request), request.params.userId),
          feature: q.feature,
          service_type: q.serviceType,
          session_id: q.sessionId,
          agent_id: q.agentId,
          organization_id: q.organizationId,
          tier: q.tier,
          estimated_tokens: q.estimatedTokens,
          estimated_cost: q.estimatedCost,
        }),
      ) as Record<string, unknown> & { upgrade: { wouldAllow?: boolean } | null };
      return { ...answer, requiresUpgrade: answer.upgrade?.wouldAllow === true } as never;
    });

    app.get('/usage/users/:userId/models', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A user\'s spend by model over local dates',
        params: userParams,
        querystring: rangeQuery,
        response: withFailures({ 200: modelCosts }),
      },
    }, async (request) => camelize(await usage.models(request.query, ownedUser(callerOf(request), request.params.userId))) as never);

    app.get('/usage/users/:userId/operations', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A user\'s spend by operation (feature, else service type) over local dates',
        params: userParams,
        querystring: rangeQuery,
        response: withFailures({ 200: operationCosts }),
      },
    }, async (request) => camelize(await usage.operations(request.query, ownedUser(callerOf(request), request.params.userId))) as never);

    app.get('/usage/users/:userId/records', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A user\'s recent calls, newest first, a page at a time',
        description: 'Cursor pagination: pass next_cursor as cursor; a keyset over (created_at, id), never an offset.',
        params: userParams,
        querystring: recentQuery,
        response: withFailures({ 200: recentPage }),
      },
    }, async (request) => {
      const { limit, cursor, sessionId } = request.query;
      const page = (await usage.recent({
        userId: ownedUser(callerOf(request), request.params.userId),
        sessionId: sessionId ?? null,
        limit,
        before: cursor ? cursors.decode(cursor) : null,
      })) as { items: unknown[]; next: { created_at: string; id: string } | null };
      return { items: camelize(page.items), nextCursor: page.next ? cursors.encode(page.next) : null } as never;
    });

    app.get('/usage/sessions/:sessionId', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'A conversation thread: its calls, spend and tokens, by model',
        description: 'A user token counts only its own calls in the session.',
        params: sessionParams,
        querystring: sessionQuery,
        response: withFailures({ 200: sessionUsage }),
      },
    }, async (request) => {
      const userId = actingUser(callerOf(request), request.query.userId);
      return camelize(await usage.session(request.params.sessionId, userId)) as never;
    });

    // --- Installation-wide: the service only.
    await app.register(async (scope) => {
      const installation = scope.withTypeProvider<ZodTypeProvider>();
      installation.addHook('preHandler', async (request) => requireServiceRole(callerOf(request)));

      installation.get('/usage/overview', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'The dashboard: today, month to date, top models, services and agents',
          description: 'From the day rollup (each call on its organization\'s local date; today is REPORT_TIMEZONE\'s): as current as the last rollup pass.',
          querystring: overviewQuery,
          response: withFailures({ 200: overview }),
        },
      }, async (request) => camelize(await usage.overview(request.query.top)) as never);

      installation.get('/usage/summary', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'Totals over local dates, filtered by service, provider and model',
          querystring: summaryQuery,
          response: withFailures({ 200: summary }),
        },
      }, async (request) => camelize(await usage.summary(request.query)) as never);

      installation.get('/usage/agents/budgets', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'Each agent\'s budget: limit, spent, remaining, utilisation, paused or not',
          response: withFailures({ 200: agentBudgets }),
        },
      }, async () => camelize(await usage.agentBudgets()) as never);

      installation.get('/usage/costs/models', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'The installation\'s cost by model over local dates',
          querystring: rangeQuery,
          response: withFailures({ 200: modelCosts }),
        },
      }, async (request) => camelize(await usage.models(request.query, null)) as never);

      installation.get('/usage/costs/operations', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'The installation\'s cost by operation (feature, else service type) over local dates',
          querystring: rangeQuery,
          response: withFailures({ 200: operationCosts }),
        },
      }, async (request) => camelize(await usage.operations(request.query, null)) as never);

      installation.get('/usage/trends', {
        schema: {
          tags: INSTALLATION_TAGS,
          security: SECURITY,
          summary: 'Daily spend over the last N local days, and the month\'s projection with a confidence',
          querystring: trendsQuery,
          response: withFailures({ 200: trends }),
        },
      }, async (request) => camelize(await usage.trends(request.query.days)) as never);
    });

    // --- What an operation would cost: the SDK's own pricing.
    app.get('/pricing/estimate', {
      schema: {
        tags: USER_TAGS,
        security: SECURITY,
        summary: 'What would this operation cost on this model?',
        description: 'The SDK\'s computeCost: model_pricing overrides, then the catalogue; a model neither knows is priced at its fallback (estimated).',
        querystring: estimateQuery,
        response: withFailures({ 200: costEstimate }),
      },
    }, async (request) => {
      const q = request.query;
      const cost = computeCost(
        {
          provider: q.provider,
          model: q.model,
          promptTokens: q.promptTokens,
          completionTokens: q.completionTokens,
          ...(q.cachedTokens !== undefined ? { cachedTokens: q.cachedTokens } : {}),
          ...(q.reasoningTokens !== undefined ? { reasoningTokens: q.reasoningTokens } : {}),
          serviceTier: q.serviceTier ?? null,
        },
        { overrides: await services.prices.current(), fallbackModels: services.fallbackModels },
      );
      return cost.known
        ? {
            known: true, provider: q.provider, model: q.model, totalCost: cost.totalCost, inputCost: cost.inputCost, outputCost: cost.outputCost,
            totalUsd: cost.totalUsd, source: cost.source, pricedAs: cost.pricedAs, estimated: cost.estimate !== null, reason: cost.estimate?.reason ?? null,
          }
        : {
            known: false, provider: q.provider, model: q.model, totalCost: null, inputCost: null, outputCost: null,
            totalUsd: null, source: null, pricedAs: null, estimated: false, reason: cost.reason,
          };
    });
  };
}
