/** Starts the API on the configured address and stops it in order: stop taking requests, finish those in flight, write buffered settles, close the pool. */
import type { AddressInfo } from 'node:net';
import { requireApiConfig } from '../config/api.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { openTransport } from '../supabase/source.js';
import { createApiServer, type ApiServerOptions } from './server.js';
import { createApiServices } from './services.js';

/** While stopping, how often connections that have finished their request are closed. */
const CLOSE_SWEEP_MS = 50;

export interface RunningApi {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger, overrides: Pick<ApiServerOptions, 'jwks'> = {}): Promise<RunningApi> {
  requireApiConfig(config.api, config.supabase?.serviceRoleKey);
  const services = createApiServices({ config, logger, transport: openTransport(config) });
  const { app } = await createApiServer({ config, logger, services, ...overrides });
  try {
    await app.listen({ host: config.api.host, port: config.api.port });
  } catch (error) {
    await services.close();
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ host: config.api.host, port }, 'usage API listening');
  return {
    port,
    async stop() {
      // close() shuts idle keep-alive connections once, at its start; a connection whose request
      // was in flight then stays open after its answer (until the keep-alive timeout, 72 s), and
      // close() waits for it. Shut each one as it falls idle.
      const sweep = setInterval(() => app.server.closeIdleConnections(), CLOSE_SWEEP_MS);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await services.close();
      logger.info('usage API stopped');
    },
  };
}
