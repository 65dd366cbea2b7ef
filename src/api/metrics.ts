/** Prometheus metrics of one API process, in a registry of its own (as the worker's). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  recordResponse(labels: { method: string; route: string; status: number }, seconds: number): void;
  recordRateLimited(callerKind: string): void;
  recordAuthFailure(code: string): void;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tokensync_api_' });
  const requests = new Counter({
    name: 'tokensync_api_requests_total',
    help: 'Requests answered, by method, route (the path pattern) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tokensync_api_request_duration_seconds',
    help: 'Time from request to answer, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'tokensync_api_rate_limited_total',
    help: 'Requests answered 429 because the caller\'s token bucket was empty, by caller kind (service, user, anonymous).',
    labelNames: ['caller'] as const,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'tokensync_api_auth_failures_total',
    help: 'Requests refused 401 or 403, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  return {
    registry,
    recordResponse({ method, route, status }, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    recordRateLimited(caller) {
      rateLimited.inc({ caller });
    },
    recordAuthFailure(code) {
      authFailures.inc({ code });
    },
  };
}
