/**
 * The bar for hostile values (issue #18, item 4): rows that are legal in
 * Postgres but awkward for Notion, across every dataset, synced twice. Every row
 * must be in Notion, sanitised as docs/limits.md says, and Notion must refuse
 * no request as invalid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, type Dataset } from '../../src/datasets.js';
import { createNotionClient } from '../../src/notion/client.js';
import { provisionNotion, type ProvisionEvent } from '../../src/notion/provision/provision.js';
import { readBacklog } from '../../src/sync/backlog.js';
import { ELLIPSIS, MAX_TEXT_CHARS, truncate } from '../../src/sync/mapping.js';
import { insertLogs, insertRows, type Row } from '../support/fixtures.js';
import { PARENT, pagesByKey, pageWrites, plainOf, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(() => h.close());

/** docs/limits.md: where the overflow option's pages say what they stand for. */
const OVERFLOW_OPTION = 'Other';
const CONTROL = '\u0001\u0002\u0007\u001b[31m\u007f';
const NOT_RFC_UUID = '12345678-1234-1234-1234-123456789abc';
const huge = 'x'.repeat(10_000);
const today = new Date().toISOString().slice(0, 10);
/** The most used model, named so that it sorts last: it must still get an option. */
const POPULAR = 'zz-router-model-popular';

function hostileLogs(): Row[] {
  const rows: Row[] = Array.from({ length: 150 }, (_, i) => ({
    model: `router/model-${String(i).padStart(3, '0')}`,
    provider: `provider-${i % 120}`,
    service_type: `service-${i % 110}`,
    tier: `tier-${i % 105}`,
  }));
  rows.push(...Array.from({ length: 6 }, () => ({ model: POPULAR })));
  rows.push(
    { id: NOT_RFC_UUID, model: 'gpt-4o' },
    { model: 'GPT-4o', tier: 'Tier_1' },
    { model: 'gpt-4o, preview 🚀', tier: 'tier,1', provider: 'open,ai' },
    { model: `claude${CONTROL}\n3`, agent_name: `agent${CONTROL}`, error_type: `boom\r\n${CONTROL}` },
    { model: 'm'.repeat(200), request_id: `req,${CONTROL}${'r'.repeat(200)}`, user_id: 'u'.repeat(255) },
    { metadata: { blob: 'y'.repeat(1_000_000), nested: { deeper: [1, null, '"quoted"', CONTROL] } } },
    { metadata: { huge } },
    { prompt_tokens: 2_147_483_647, completion_tokens: 2_147_483_647, total_tokens: 2_147_483_647, latency_ms: 2_147_483_647, input_cost: 99999999.999999, output_cost: 0, total_cost: 99999999.999999 },
    { created_at: 'infinity' },
    { created_at: '294276-01-01T00:00:00Z' },
    { model: CONTROL },
  );
  // One set of columns for every row (insertRows inserts them in one statement).
  return rows.map((row) => ({
    id: crypto.randomUUID(), agent_name: null, error_type: null, metadata: {}, total_tokens: null, total_cost: null, ...row,
  }));
}

async function insertHostileRows(): Promise<void> {
  await insertLogs(h.db.pool, hostileLogs());
  const limit = (overrides: Row) => ({
    id: crypto.randomUUID(), entity_type: 'user', entity_id: 'user-1', daily_limit: 0, monthly_limit: 99999999.999999,
    session_limit: null, alert_thresholds: [50, 75, 90, 100], breach_action: 'block', description: null, ...overrides,
  });
  await insertRows(h.db.pool, 'budget_limits', [
    limit({ id: NOT_RFC_UUID, entity_id: `user,${CONTROL}\n${'e'.repeat(200)}`, description: `${CONTROL}${'d'.repeat(1990)}` }),
    limit({ entity_type: 'agent', entity_id: 'Agent-7', alert_thresholds: Array.from({ length: 20 }, (_, i) => 0.01 + i * 50) }),
  ]);
  const alert = (overrides: Row) => ({
    entity_type: 'user', entity_id: 'user-1', period: 'daily', period_start: `${today}T00:00:00Z`, threshold_pct: 90,
    amount_spent: 9, limit_amount: 10, severity: 'critical', message: 'spent', acknowledged: false, acknowledged_by: null, ...overrides,
  });
  await insertRows(h.db.pool, 'cost_alerts', [
    alert({ entity_id: `u,${CONTROL}${'e'.repeat(240)}`, message: `${CONTROL}${'m'.repeat(1990)}`, period_start: 'infinity', threshold_pct: 1000 }),
    alert({ period_start: '294276-01-01T00:00:00Z', amount_spent: 99999999.999999, acknowledged: true, acknowledged_by: `${CONTROL}${'a'.repeat(3000)}` }),
  ]);
  const metric = (serviceType: string, metricDate = today) => ({
    metric_date: metricDate, service_type: serviceType, total_requests: 2_147_483_647, successful_requests: 2_147_483_647,
    failed_requests: 0, success_rate: 1, prompt_tokens: '9223372036854775807', completion_tokens: 0, total_tokens: '9223372036854775807',
    total_cost: 9999999999.999999, avg_cost_per_request: 0, avg_latency_ms: 'NaN', p95_latency_ms: 'NaN', unique_users: 1, unique_sessions: 1,
  });
  await insertRows(h.db.pool, 'service_performance_metrics', [
    ...Array.from({ length: 110 }, (_, i) => metric(`service-${i}`)),
    metric(`${CONTROL}${huge}`),
    metric('Service-1'),
    metric('service-1', 'infinity'),
    metric('service-1', '5874897-12-31'),
  ]);
  const workflow = (workflowId: string, step: string | null, metricDate = today) => ({
    metric_date: metricDate, workflow_id: workflowId, workflow_step: step, executions: 1, successful_executions: 1, failed_executions: 0,
    success_rate: 1, avg_duration_ms: 'NaN', p95_duration_ms: null, total_tokens: 1, total_cost: 0, avg_cost_per_execution: 0, unique_sessions: 1,
  });
  await insertRows(h.db.pool, 'workflow_analytics', [
    workflow(huge, `${CONTROL}step`),
    workflow('wf,1', null, 'infinity'),
    workflow('wf-2', 'draft', '5874897-12-31'),
  ]);
  const costs = (model: string, provider = 'openai', serviceType = 'workflow') => ({
    metric_date: today, service_type: serviceType, provider, model, requests: 1, failed_requests: 0, unpriced_requests: 0,
    prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2, input_cost: 0, output_cost: 0, total_cost: 0,
  });
  await insertRows(h.db.pool, 'daily_cost_breakdown', [
    ...Array.from({ length: 150 }, (_, i) => costs(`router/model-${String(i).padStart(3, '0')}`, `provider-${i % 120}`, `service-${i % 110}`)),
    costs(`${CONTROL}${huge}`, 'p,1'),
    costs('GPT-4o'),
    costs('gpt-4o'),
  ]);
}

/** Source rows by dataset: the ones every Notion database must show. */
async function sourceRows(): Promise<Record<Dataset, Row[]>> {
  const out = {} as Record<Dataset, Row[]>;
  for (const dataset of DATASETS) out[dataset] = (await h.db.pool.query(`select * from public.${dataset}`)).rows;
  return out;
}

/** Control characters other than tab and newline are dropped from text; text is cut to Notion's 2,000 characters. */
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const asShown = (value: unknown) => truncate(String(value ?? '').replace(CONTROL_CHARS, ''), MAX_TEXT_CHARS);

const texts = (page: Record<string, any>) =>
  Object.values(page.properties as Record<string, any>).flatMap((p) => (p.type === 'title' || p.type === 'rich_text' ? [String(plainOf(p))] : p.type === 'select' && p.select ? [p.select.name] : []));

/** The exact value a select stands for: its "(exact)" companion when set, else the option shown. */
const exactOf = (page: Record<string, any>, select: string) => String(plainOf(page.properties[`${select} (exact)`]) || plainOf(page.properties[select]) || '');

describe('hostile but legal rows', () => {
  it('are all in Notion after two passes, sanitised as documented, and Notion refuses no request', async () => {
    await insertHostileRows();
    h.fake.resetStats();
    // A pass that throws is what the worker would retry for ever: counted, not fatal here, so the figures say it all.
    const passErrors: string[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (const dataset of DATASETS) await h.engine().runPass(dataset).catch((error: Error) => passErrors.push(`${dataset}: ${error.message}`));
    }

    const rows = await sourceRows();
    const missing: Record<string, number> = {};
    for (const dataset of DATASETS) {
      const pages = pagesByKey(h.fake, h.dataSources[dataset]);
      missing[dataset] = rows[dataset].filter((row) => pages.get(String(row.id))?.length !== 1).length;
    }
    expect({ missing, refused: h.fake.count({ status: 400 }), passErrors }).toEqual({
      missing: Object.fromEntries(DATASETS.map((d) => [d, 0])),
      refused: 0,
      passErrors: [],
    });

    // No select holds more options than Notion allows.
    for (const dataset of DATASETS) {
      const schema = h.fake.state.dataSource(h.dataSources[dataset]) as { properties: Record<string, any> };
      for (const [name, property] of Object.entries(schema.properties)) {
        if (property.type === 'select') expect(property.select.options.length, `${dataset}.${name}`).toBeLessThanOrEqual(100);
      }
    }

    // Every select value is there exactly, as an option or next to the overflow option; text carries no control characters.
    const logs = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    for (const row of rows.token_usage_logs) {
      const [page] = logs.get(String(row.id))!;
      for (const [key, name] of [['model', 'Model'], ['provider', 'Provider'], ['service_type', 'Service'], ['tier', 'Tier']] as const) {
        expect(exactOf(page!, name), `${row.id} ${key}`).toBe(asShown(row[key]));
      }
      for (const text of texts(page!)) expect(text).not.toMatch(CONTROL_CHARS);
    }
    const shown = (model: string) => rows.token_usage_logs.filter((r) => r.model === model).map((r) => plainOf(logs.get(String(r.id))![0]!.properties.Model));
    expect(new Set(shown(POPULAR))).toEqual(new Set([POPULAR]));
    expect(shown('router/model-149')).toEqual([OVERFLOW_OPTION]);
    // "gpt-4o" and "GPT-4o" are one option to Notion: both rows show the same one.
    expect(new Set([...shown('gpt-4o'), ...shown('GPT-4o')]).size).toBe(1);
    const [metadataPage] = logs.get(String(rows.token_usage_logs.find((r) => (r.metadata as Row).blob)!.id))!;
    const metadata = String(plainOf(metadataPage!.properties.Metadata));
    expect(metadata).toHaveLength(MAX_TEXT_CHARS);
    expect(metadata.endsWith(ELLIPSIS)).toBe(true);
    const { rows: [endless] } = await h.db.pool.query(`select id from token_usage_logs where created_at = 'infinity'`);
    const [forever] = logs.get(String(endless.id))!;
    expect(plainOf(forever!.properties.Timestamp)).toBeNull();

    const metrics = pagesByKey(h.fake, h.dataSources.service_performance_metrics);
    for (const row of rows.service_performance_metrics) {
      expect(exactOf(metrics.get(String(row.id))![0]!, 'Service')).toBe(asShown(row.service_type));
    }
    const costs = pagesByKey(h.fake, h.dataSources.daily_cost_breakdown);
    for (const row of rows.daily_cost_breakdown) {
      const [page] = costs.get(String(row.id))!;
      expect(exactOf(page!, 'Model')).toBe(asShown(row.model));
      expect(exactOf(page!, 'Provider')).toBe(asShown(row.provider));
    }

    // A third pass finds nothing to write.
    h.fake.resetStats();
    for (const dataset of DATASETS) await h.engine().runPass(dataset);
    expect(h.fake.count({ method: 'POST', route: '/v1/pages' }) + h.fake.count({ method: 'PATCH', route: '/v1/pages/:page_id' })).toBe(0);
  });
});

describe('a workspace set up before the "(exact)" properties', () => {
  const OPEN_SELECTS: Partial<Record<Dataset, string[]>> = {
    token_usage_logs: ['Tier', 'Service', 'Provider', 'Model'],
    daily_cost_breakdown: ['Service', 'Provider', 'Model'],
    service_performance_metrics: ['Service'],
  };

  /** Makes the workspace look as setup:notion left it before: no "(exact)" properties, no overflow option. */
  async function downgrade(u: SyncHarness): Promise<void> {
    const notion = createNotionClient({ token: u.fake.token, baseUrl: u.fake.url, maxRetries: 0 });
    for (const [dataset, selects] of Object.entries(OPEN_SELECTS) as [Dataset, string[]][]) {
      const schema = u.fake.state.dataSource(u.dataSources[dataset]) as { properties: Record<string, any> };
      const properties: Record<string, unknown> = {};
      for (const name of selects) {
        properties[`${name} (exact)`] = null;
        const options = (schema.properties[name].select.options as { id: string; name: string }[]).filter((o) => o.name !== OVERFLOW_OPTION);
        properties[name] = { select: { options: options.map((o) => ({ id: o.id })) } };
      }
      await notion.dataSources.update({ data_source_id: u.dataSources[dataset], properties: properties as never });
    }
  }

  it('gets them from setup:notion, and the next passes rewrite no page', async () => {
    const u = await startSyncHarness();
    try {
      await downgrade(u);
      await insertLogs(u.db.pool, [{ model: 'gpt-4o' }, { model: 'o3, mini' }, { model: 'GPT-4o' }]);
      for (const dataset of DATASETS) await u.engine().runPass(dataset);

      const events: ProvisionEvent[] = [];
      await provisionNotion({
        client: createNotionClient({ token: u.fake.token, baseUrl: u.fake.url, maxRetries: 0 }),
        parentPageId: PARENT,
        recorded: Object.fromEntries(DATASETS.map((d) => [d, { databaseId: u.databases[d], dataSourceId: u.dataSources[d] }])) as never,
        envFile: undefined,
        timezone: 'UTC',
        onEvent: (event) => events.push(event),
      });
      const said = JSON.stringify(events);
      expect(said).toContain('add property “Model (exact)”');
      expect(said).toContain('add missing options to “Model”: Other');

      // The next write notes the property ids it writes with: the new ones must not make it rewrite every page.
      const [late] = await insertLogs(u.db.pool, [{ model: 'O3, MINI' }]);
      u.fake.resetStats();
      for (const dataset of DATASETS) expect(await u.engine().runPass(dataset)).toMatchObject({ updated: 0, failed: [] });
      expect(pageWrites(u.fake)).toBe(1);

      // That row, written after the upgrade, has its exact value beside the option.
      const [page] = pagesByKey(u.fake, u.dataSources.token_usage_logs).get(String(late!.id))!;
      expect(plainOf(page!.properties.Model)).toBe('o3; mini');
      expect(plainOf(page!.properties['Model (exact)'])).toBe('O3, MINI');
    } finally {
      await u.close();
    }
  });
});

describe('a row Notion refuses', () => {
  it('fails alone with its key and reason, the pass goes on, and once fixed the next pass writes it', async () => {
    const u = await startSyncHarness();
    try {
      const logs = await insertLogs(u.db.pool, [{}, {}, {}]);
      u.fake.faults.fail(400, 1, { method: 'POST', route: '/v1/pages' });
      const first = await u.engine().runPass('token_usage_logs');
      expect(first.failed).toEqual([{ key: expect.any(String), reason: expect.stringMatching(/validation_error|invalid/), retryable: false }]);
      expect(first.created).toBe(2);
      const refused = first.failed[0]!.key!;
      expect(pagesByKey(u.fake, u.dataSources.token_usage_logs).has(refused)).toBe(false);
      expect(logs.map((l) => String(l.id))).toContain(refused);
      // Not silently gone: the logs lane counts it as failed (as the dead letters hold it), not as waiting.
      const logsBacklog = async () => (await readBacklog(u.source, { tokenLogWindowDays: 30, datasets: ['token_usage_logs'] })).datasets[0];
      expect(await logsBacklog()).toMatchObject({ failed: 1, pending: 0, oldestFailedSeconds: expect.any(Number) });

      // Not retried while unchanged: a refusal no retry mends costs no further request.
      u.fake.resetStats();
      expect(await u.engine().runPass('token_usage_logs')).toMatchObject({ created: 0, failed: [] });
      expect(pageWrites(u.fake)).toBe(0);

      await u.db.pool.query(`update token_usage_logs set error_type = 'fixed' where id = $1`, [refused]);
      expect(await logsBacklog()).toMatchObject({ failed: 0, pending: 1 });
      expect(await u.engine().runPass('token_usage_logs')).toMatchObject({ created: 1, failed: [] });
      expect(pagesByKey(u.fake, u.dataSources.token_usage_logs).has(refused)).toBe(true);
      expect(await logsBacklog()).toMatchObject({ failed: 0, pending: 0 });
    } finally {
      await u.close();
    }
  });
});
