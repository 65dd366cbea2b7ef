/** The sync engine as the configuration describes it, for the CLI and the worker. */
import type { Config } from '../config/env.js';
import { DATASETS, type Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { createNotionClient } from '../notion/client.js';
import { createSupabaseSource, openTransport } from '../supabase/source.js';
import { pageBudgetsOf } from './footprint.js';
import { createCreationGate } from './creation.js';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from './engine.js';
import type { RequestLimiter } from '../notion/rate-limit/limiter.js';
import { createNotionGateway, type NotionGatewayOptions } from './notion-gateway.js';
import { createSyncState } from './state.js';
import { ConfigError } from '../errors.js';

export interface OpenedEngine {
  engine: SyncEngine;
  /** Resolves when the database answers (and the sync state is migrated). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The Notion token sync needs; checked before anything is opened, so a refusal leaves nothing behind. */
export function requireNotionToken(config: Config): string {
  if (!config.notion.token) {
    throw new ConfigError([{ variable: 'NOTION_TOKEN', problem: 'is required for sync; copy the integration secret (ntn_…)' }]);
  }
  return config.notion.token;
}

export function openSyncEngine(
  config: Config,
  options: {
    limiter: RequestLimiter;
    logger: Logger;
    onRequest?: NotionGatewayOptions['onRequest'];
    engine?: Partial<SyncEngineOptions>;
  },
): OpenedEngine {
  const token = requireNotionToken(config);
  const transport = openTransport(config);
  const dataSources: Partial<Record<Dataset, string>> = {};
  for (const dataset of DATASETS) {
    const id = config.notion.recorded[dataset].dataSourceId;
    if (id) dataSources[dataset] = id;
  }
  const gateway = createNotionGateway({
    // Our gateway owns 429/529 retries (shared pause); the SDK's would stack on them.
    client: createNotionClient({ token, baseUrl: config.notion.baseUrl, maxRetries: 0, timeoutMs: config.notion.timeoutMs }),
    limiter: options.limiter,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const state = createSyncState(transport);
  const engine = createSyncEngine({
    source: createSupabaseSource(transport, { timezone: config.reportTimezone }),
    state,
    gateway,
    dataSources,
    logger: options.logger,
    tokenLogWindowDays: config.sync.tokenLogWindowDays,
    logWindow: {
      pageBudget: config.sync.tokenLogPageBudget,
      requestShare: config.sync.tokenLogRequestShare,
      requestsPerSecond: config.sync.notionRequestsPerSecond,
      timezone: config.reportTimezone,
    },
    settleMs: config.sync.settleMs,
    leaseTtlMs: config.sync.leaseTtlMs,
    pageBudgets: pageBudgetsOf(config),
    creation: createCreationGate({ transport, logger: options.logger, retryMs: config.notion.blockLimitRetryMs }),
    ...options.engine,
  });
  return {
    engine,
    ping: async () => void (await state.checkpoint(DATASETS[0])),
    close: () => transport.close(),
  };
}
