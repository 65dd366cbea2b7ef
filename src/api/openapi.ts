/**
 * The OpenAPI document, generated from the routes' zod schemas (every schema
 * with a `meta({ id })` becomes a component), served at /openapi.json, and a
 * browsable reference at /docs: Swagger UI, its files served from the package,
 * never from a CDN, so the reference works offline.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const API_VERSION = '1.0.0';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tokensync usage API',
        version: API_VERSION,
        description:
          'Budget decisions, budget administration and usage figures over HTTP. Authenticate with a Supabase access token (acts as its user) or the service_role key (sees everything; admin routes). Errors are `{ "error": { "code", "message" } }` with a stable code.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A Supabase access token (JWT), or the service_role key.' },
        },
      },
      tags: [
        { name: 'budget', description: 'Budget decisions, as the SDK makes them' },
        { name: 'admin', description: 'Budget administration (service role only)' },
        { name: 'usage', description: 'A user\'s figures: its own for a user token, any user\'s for the service' },
        { name: 'usage (installation)', description: 'Installation-wide figures (service role only)' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
