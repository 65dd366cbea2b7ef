/** A migrated database, the Notion fake with the six databases provisioned, and an engine over both. */
import { randomUUID } from 'node:crypto';
import { DATASETS, notionIdVariables, type Dataset } from '../../src/datasets.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { provisionNotion, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake, type NotionFakeOptions } from '@tokensync/notion-sandbox';
import { createSupabaseSource, type SupabaseSource } from '../../src/supabase/source.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../src/sync/engine.js';
import { createMemoryLimiter } from '../../src/notion/rate-limit/limiter.js';
import { createNotionGateway } from '../../src/sync/notion-gateway.js';
import { createSyncState, type SyncState } from '../../src/sync/state.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertRows, type Row } from '../support/fixtures.js';
import { REDIS_URL } from '../support/services.js';

export const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';

/** The data source ids setup:notion would have recorded for `datasets`, as environment variables. */
export function recordedDataSources(h: SyncHarness, datasets: readonly Dataset[] = DATASETS): Record<string, string> {
  return Object.fromEntries(datasets.map((d) => [notionIdVariables(d).dataSourceId, h.dataSources[d]]));
}

/**
 * What a worker or a command needs to work on this harness: its database, Redis
 * under `queuePrefix`, the Notion fake, and the data sources recorded for `datasets`. Callers add
 * what their test is about (rates, intervals, log format).
 */
export function harnessEnvironment(h: SyncHarness, queuePrefix: string, datasets: readonly Dataset[] = DATASETS): Record<string, string> {
  return {
    DATABASE_URL: h.db.url,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    NOTION_TOKEN: h.fake.token,
    NOTION_BASE_URL: h.fake.url,
    ...recordedDataSources(h, datasets),
  };
}
const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];

export interface SyncHarness {
  db: TestDatabase;
  fake: NotionFake;
  transport: SqlFunctionTransport;
  source: SupabaseSource;
  state: SyncState;
  dataSources: Record<Dataset, string>;
  databases: Record<Dataset, string>;
  engine(overrides?: Partial<SyncEngineOptions>): SyncEngine;
  close(): Promise<void>;
}

export async function startSyncHarness(fakeOptions: NotionFakeOptions = {}): Promise<SyncHarness> {
  const db = await createTestDatabase();
  const fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }], ...fakeOptions });
  const provisioned = await provisionNotion({
    client: createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 }),
    parentPageId: PARENT,
    recorded: NO_IDS,
    envFile: undefined,
    timezone: 'UTC',
  });
  const dataSources = Object.fromEntries(DATASETS.map((d) => [d, provisioned.databases[d]!.dataSourceId])) as Record<Dataset, string>;
  const databases = Object.fromEntries(DATASETS.map((d) => [d, provisioned.databases[d]!.databaseId])) as Record<Dataset, string>;
  fake.resetStats();
  const transport = createPostgresTransport({ databaseUrl: db.url });
  const source = createSupabaseSource(transport, { timezone: 'UTC' });
  const state = createSyncState(transport);
  return {
    db,
    fake,
    transport,
    source,
    state,
    dataSources,
    databases,
    engine: (overrides = {}) =>
      createSyncEngine({
        source,
        state,
        gateway: createNotionGateway({
          client: createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0, timeoutMs: 2000 }),
          limiter: createMemoryLimiter({ requestsPerSecond: 0 }),
        }),
        dataSources,
        logger: createLogger({ level: 'silent' }),
        tokenLogWindowDays: 30,
        // A window roomy enough that every test call is mirrored; window tests narrow it.
        logWindow: { pageBudget: 500, requestShare: 1, requestsPerSecond: 100, timezone: 'UTC' },
        settleMs: 0,
        ...overrides,
      }),
    async close() {
      await transport.close();
      await fake.close();
      await db.drop();
    },
  };
}

/** Requests that change pages. */
export function pageWrites(fake: NotionFake): number {
  return fake.count({ method: 'POST', route: '/v1/pages' }) + fake.count({ method: 'PATCH', route: '/v1/pages/:page_id' });
}

/** Live pages of a data source, by their Supabase ID. */
export function pagesByKey(fake: NotionFake, dataSourceId: string, includeTrashed = false): Map<string, Record<string, any>[]> {
  const byKey = new Map<string, Record<string, any>[]>();
  for (const page of fake.state.pages(dataSourceId, { includeTrashed }) as Record<string, any>[]) {
    const key = String(plainOf(page.properties['Supabase ID']));
    byKey.set(key, [...(byKey.get(key) ?? []), page]);
  }
  return byKey;
}

/** A property value reduced to a plain JavaScript value. */
export function plainOf(property: Record<string, any> | undefined): unknown {
  if (!property) return undefined;
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return (property[property.type] as { plain_text: string }[]).map((t) => t.plain_text).join('');
    case 'number':
      return property.number;
    case 'select':
      return property.select?.name ?? null;
    case 'date':
      return property.date?.start ?? null;
    case 'checkbox':
      return property.checkbox;
    default:
      return property[property.type];
  }
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** One valid row of each non-log dataset; ids as stored. */
let daysBack = 0;

export async function insertOneOfEach(db: TestDatabase, suffix = randomUUID().slice(0, 8)) {
  // Rollups are unique per day: each call takes an earlier one.
  const metricDay = day(-++daysBack);
  const [limit] = await insertRows(db.pool, 'budget_limits', [
    { entity_type: 'service', entity_id: `workflow-${suffix}`, daily_limit: 10, monthly_limit: 250.5, alert_thresholds: [50, 90], description: 'Workflow budget' },
  ]);
  const [alert] = await insertRows(db.pool, 'cost_alerts', [
    {
      budget_limit_id: limit!.id, entity_type: 'service', entity_id: `workflow-${suffix}`, period: 'daily',
      period_start: `${day(0)}T00:00:00Z`, threshold_pct: 90, amount_spent: 9.5, limit_amount: 10, severity: 'critical',
      message: 'workflow spent 95% of its daily limit',
    },
  ]);
  const [metric] = await insertRows(db.pool, 'service_performance_metrics', [
    {
      metric_date: metricDay, service_type: 'workflow', total_requests: 10, successful_requests: 9, failed_requests: 1,
      success_rate: 0.9, prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200, total_cost: 0.45,
      avg_cost_per_request: 0.045, avg_latency_ms: 850.5, p95_latency_ms: 1200, unique_users: 3, unique_sessions: 4,
    },
  ]);
  const [workflow] = await insertRows(db.pool, 'workflow_analytics', [
    {
      metric_date: metricDay, workflow_id: `wf-${suffix}`, workflow_step: null, executions: 5, successful_executions: 5,
      failed_executions: 0, success_rate: 1, avg_duration_ms: 300, p95_duration_ms: 500, total_tokens: 600,
      total_cost: 0.2, avg_cost_per_execution: 0.04, unique_sessions: 2,
    },
  ]);
  const [costs] = await insertRows(db.pool, 'daily_cost_breakdown', [
    {
      metric_date: metricDay, service_type: 'workflow', provider: 'openai', model: `gpt-4o-${suffix}`, requests: 10, failed_requests: 1,
      unpriced_requests: 1, prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 100, total_tokens: 1200,
      input_cost: 0.25, output_cost: 0.200001, total_cost: 0.450001,
    },
  ]);
  return {
    budget_limits: [limit!], cost_alerts: [alert!], service_performance_metrics: [metric!], workflow_analytics: [workflow!], daily_cost_breakdown: [costs!],
  } as Record<'budget_limits' | 'cost_alerts' | 'service_performance_metrics' | 'workflow_analytics' | 'daily_cost_breakdown', Row[]>;
}
