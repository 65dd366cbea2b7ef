/** /v1/budget: check, reserve, settle, release, with the SDK's semantics (its own code does the work). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actingUser } from '../auth.js';
import { callerOf, type RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { checkRequest, checkResponse, decision, holdParams, releaseResponse, reserveRequest, settleResponse, usageEvent } from '../schemas/budget.js';
import { failure, withFailures } from '../schemas/common.js';

const TAGS = ['budget'];
const SECURITY = [{ bearer: [] }];

export function budgetRoutes({ services, holdIds }: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/budget/check', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'May this call go ahead? Read-only: holds nothing.',
        description: 'checkBudget(): every active limit and quota that applies, answered from a short cache (BUDGET_CHECK_CACHE_TTL_MS); when the database cannot answer, the fail policy decides and source says so.',
        body: checkRequest,
        response: withFailures({ 200: checkResponse.describe('The verdict; allowed or not, with why') }),
      },
    }, async (request) => {
      const userId = actingUser(callerOf(request), request.body.userId);
      return services.tracker.checkBudget({
        ...request.body,
        userId,
        sessionId: request.body.sessionId ?? null,
        serviceType: request.body.serviceType ?? null,
      });
    });

    app.post('/budget/reservations', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Decide and, when allowed, hold the estimate',
        description: 'reserve(): decided in Postgres under per-limit locks, so concurrent reservations never admit more than a limit plus its grace. 200 either way: allowed says which; hold is what to settle or release.',
        body: reserveRequest,
        response: withFailures({ 200: decision.describe('The decision, and the hold when allowed') }),
      },
    }, async (request) => {
      const userId = actingUser(callerOf(request), request.body.userId);
      const { estimate, ...rest } = request.body;
      const decided = await services.tracker.reserve({
        ...rest,
        userId,
        ...(estimate ? { estimate: { ...estimate, serviceTier: estimate.serviceTier ?? null } } : {}),
      });
      return { ...decided, hold: decided.hold ? { ...decided.hold, id: holdIds.issue(decided.hold.id, userId) } : null };
    });

    app.post('/budget/reservations/:holdId/settle', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Log the call the hold was for and drop the hold, in one transaction',
        description: 'settle(): the call is priced as record() prices it (model_pricing overrides, then the catalogue). A user token\'s call is logged as its own user\'s.',
        params: holdParams,
        body: usageEvent,
        response: withFailures({ 200: settleResponse.describe('Logged'), 202: settleResponse.describe('Accepted: buffered, written when the database answers'), 404: failure('hold_not_found'), 422: failure('usage_refused') }),
      },
    }, async (request, reply) => {
      const caller = callerOf(request);
      const userId = actingUser(caller, request.body.userId);
      const holdId = holdIds.open(request.params.holdId, caller);
      const outcome = await services.tracker.settle({ id: holdId }, { ...request.body, userId });
      if (!outcome.accepted) throw new ApiError('usage_refused', outcome.reason);
      return reply.code(outcome.via === 'buffered' ? 202 : 200).send({ via: outcome.via });
    });

    app.delete('/budget/reservations/:holdId', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Release a hold: the call did not happen',
        params: holdParams,
        response: withFailures({ 200: releaseResponse.describe('Released'), 404: failure('hold_not_found') }),
      },
    }, async (request) => {
      const holdId = holdIds.open(request.params.holdId, callerOf(request));
      if (!(await services.budgets.release(holdId))) {
        throw new ApiError('hold_not_found', 'no such hold: it was settled, released or has expired');
      }
      return { released: true as const };
    });
  };
}
