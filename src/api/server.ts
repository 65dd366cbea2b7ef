/**
 * The usage API: Fastify with zod schemas for every request and response.
 *
 * Order of a /v1 request: authenticate (onRequest: before the body is read) →
 * the caller's token bucket → validate → handler → serialise against the
 * response schema. /healthz, /readyz, /metrics, /openapi.json and /docs need
 * no token and are not rate limited (keep them on a private network as the
 * worker's, or behind your proxy).
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { createAuthenticator, type AuthOptions, type Caller } from './auth.js';
import type { RouteContext } from './context.js';
import { ApiError, installErrorHandlers } from './errors.js';
import { createHoldIds } from './hold-ids.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import { adminRoutes } from './routes/admin.js';
import { budgetRoutes } from './routes/budget.js';
import { healthRoutes } from './routes/health.js';
import { usageRoutes } from './routes/usage.js';
import type { ApiServices } from './services.js';

/** A usage event carries at most 32 KB of metadata; nothing the API takes is near this. */
const BODY_LIMIT_BYTES = 64 * 1024;

export interface ApiServerOptions {
  config: Config;
  logger: Logger;
  services: ApiServices;
  /** Replaces the remote JWKS (tests). */
  jwks?: AuthOptions['jwks'];
}

export interface ApiServer {
  app: FastifyInstance;
  metrics: ApiMetrics;
}

/** A hop count as the function Fastify applies for one (its types take no number). */
const trustedProxies = (trust: boolean | number | string) =>
  typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;

const bucketOf = (caller: Caller) => (caller.kind === 'service' ? 'service' : `user:${caller.userId}`);

function guardVersionedRoutes(app: FastifyInstance, options: ApiServerOptions, limiter: RateLimiter, metrics: ApiMetrics): void {
  const auth = createAuthenticator({
    serviceRoleKey: options.config.supabase?.serviceRoleKey,
    jwtSecret: options.config.api.jwtSecret,
    jwksUrl: options.config.api.jwksUrl,
    ...(options.jwks ? { jwks: options.jwks } : {}),
  });
  const limit = (key: string, kind: string) => {
    const waitSeconds = limiter.take(key);
    if (waitSeconds === 0) return;
    metrics.recordRateLimited(kind);
    throw new ApiError('rate_limited', `too many requests; retry in ${waitSeconds} s`, { 'retry-after': String(waitSeconds) });
  };
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    let caller: Caller;
    try {
      caller = await auth.authenticate(request.headers.authorization);
    } catch (error) {
      // Failed attempts spend their address's bucket: guessing tokens is rate limited too.
      limit(`ip:${request.ip}`, 'anonymous');
      if (error instanceof ApiError) metrics.recordAuthFailure(error.code);
      throw error;
    }
    limit(bucketOf(caller), caller.kind);
    request.caller = caller;
  });
  app.addHook('onError', async (_request, _reply, error) => {
    if (error instanceof ApiError && error.status === 403) metrics.recordAuthFailure(error.code);
  });
}

export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config, logger, services } = options;
  const metrics = createApiMetrics();
  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustedProxies(config.api.trustProxy),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app, logger);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordResponse({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), caller: request.caller?.kind ?? null },
      'request',
    );
  });

  await registerOpenApi(app);
  await app.register(healthRoutes({ services, metrics }));

  const holdKey = config.supabase?.serviceRoleKey ?? config.api.jwtSecret;
  if (!holdKey) throw new Error('the API needs SUPABASE_SERVICE_ROLE_KEY or SUPABASE_JWT_SECRET (requireApiConfig checks it at start)');
  const context: RouteContext = { services, holdIds: createHoldIds(holdKey) };
  const limiter = createRateLimiter({ perSecond: config.api.rateLimitPerSecond, burst: config.api.rateLimitBurst });
  await app.register(
    async (v1) => {
      guardVersionedRoutes(v1, options, limiter, metrics);
      await v1.register(budgetRoutes(context));
      await v1.register(adminRoutes(context));
      await v1.register(usageRoutes(context));
    },
    { prefix: '/v1' },
  );
  await app.ready();
  return { app, metrics };
}
