/** /healthz (the process runs), /readyz (the database answers), /metrics (Prometheus): as the worker serves them. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiMetrics } from '../metrics.js';
import type { ApiServices } from '../services.js';

const TEXT = 'text/plain; charset=utf-8';

export function healthRoutes({ services, metrics }: { services: ApiServices; metrics: ApiMetrics }): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => reply.type(TEXT).send('ok\n'));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const problems = await services.readiness();
      return reply
        .code(problems.length === 0 ? 200 : 503)
        .type(TEXT)
        .send(`${(problems.length === 0 ? ['ready'] : problems).join('\n')}\n`);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
}
