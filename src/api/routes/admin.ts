/** /v1/admin: budget limits, resets and agent pauses (service role only), through budget-admin.ts, audited with their actor. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { LimitRow, PauseRow } from '../../supabase/budget-admin.js';
import { requireService } from '../auth.js';
import { callerOf, type RouteContext } from '../context.js';
import { agentParams, entityParams, limit, pause, pauseRequest, resetRequest, setLimitRequest, unpauseRequest, unpauseResponse } from '../schemas/admin.js';
import { failure, withFailures } from '../schemas/common.js';

/** A POST whose every field is optional may come without a body (`curl -X POST`): it means {}. */
async function noBodyIsEmpty(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}

const TAGS = ['admin'];
const SECURITY = [{ bearer: [] }];
/** The audit's actor when the request names none. */
const DEFAULT_ACTOR = 'api:service';

const limitOf = (row: LimitRow) => ({
  id: row.id,
  entityType: row.entity_type,
  entityId: row.entity_id,
  dailyLimit: row.daily_limit,
  monthlyLimit: row.monthly_limit,
  sessionLimit: row.session_limit,
  breachAction: row.breach_action,
  gracePct: row.grace_pct,
  failMode: row.fail_mode,
  isActive: row.is_active,
  dailyResetAt: row.daily_reset_at,
  monthlyResetAt: row.monthly_reset_at,
});

const pauseOf = (row: PauseRow) => ({
  id: row.id,
  agentId: row.agent_id,
  pausedAt: row.paused_at,
  pausedUntil: row.paused_until,
  reason: row.reason,
  pausedBy: row.paused_by,
});

export function adminRoutes({ services }: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    // Every route here is the service's alone.
    app.addHook('preHandler', async (request) => requireService(callerOf(request)));

    app.put('/admin/budget/limits/:entityType/:entityId', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Create a budget limit, or change only the settings given',
        params: entityParams,
        body: setLimitRequest,
        response: withFailures({ 200: limit.describe('The limit as it now is') }),
      },
    }, async (request) => {
      const { actor, ...settings } = request.body;
      const entity = { type: request.params.entityType, id: request.params.entityId };
      return limitOf(await services.admin.setLimit(entity, settings, actor ?? DEFAULT_ACTOR));
    });

    app.post('/admin/budget/limits/:entityType/:entityId/reset', {
      preValidation: noBodyIsEmpty,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Reset a period: spend before now stops counting toward it',
        params: entityParams,
        body: resetRequest,
        response: withFailures({ 200: limit.describe('The limit, with when each period was reset'), 404: failure('limit_not_found: the entity has no limit; create one first') }),
      },
    }, async (request) => {
      const entity = { type: request.params.entityType, id: request.params.entityId };
      return limitOf(await services.admin.resetSpend(entity, request.body.period, request.body.actor ?? DEFAULT_ACTOR));
    });

    app.post('/admin/agents/:agentId/pause', {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Pause an agent (its reservations are denied) until a time or until unpaused',
        params: agentParams,
        body: pauseRequest,
        response: withFailures({ 200: pause.describe('The agent\'s open pause') }),
      },
    }, async (request) => {
      const { until, reason, actor } = request.body;
      return pauseOf(await services.admin.pauseAgent(request.params.agentId, until ?? null, reason, actor ?? DEFAULT_ACTOR));
    });

    app.post('/admin/agents/:agentId/unpause', {
      preValidation: noBodyIsEmpty,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Lift an agent\'s pause',
        params: agentParams,
        body: unpauseRequest,
        response: withFailures({ 200: unpauseResponse.describe('Whether a pause was lifted') }),
      },
    }, async (request) => services.admin.unpauseAgent(request.params.agentId, request.body.actor ?? DEFAULT_ACTOR));
  };
}
