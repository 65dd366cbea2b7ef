import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokensyncError } from '../../src/errors.js';
import { DATASETS, type Dataset } from '../../src/datasets.js';
import { specOf } from '../../src/notion/catalogue/index.js';
import { createNotionClient } from '../../src/notion/client.js';
import { DATASET_DEFINITIONS } from '../../src/sync/datasets/index.js';
import { ELLIPSIS, MAX_TEXT_CHARS } from '../../src/sync/mapping.js';
import { insertLogs, type Row } from '../support/fixtures.js';
import { insertOneOfEach, pagesByKey, pageWrites, plainOf, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(() => h.close());

const runAll = async (engine = h.engine()) => {
  const summaries = [];
  for (const dataset of DATASETS) summaries.push(await engine.runPass(dataset));
  return summaries;
};

/** What Notion should show for a source column, by property type. */
function expected(dataset: Dataset, key: string, type: string, row: Row): unknown {
  const value = row[key];
  if (dataset === 'cost_alerts' && key === 'threshold_pct') return Number(value) / 100;
  if (key === 'alert_thresholds') return (value as number[]).map((t) => `${t}%`).join(', ');
  if (key === 'metadata') return JSON.stringify(value);
  if (value === null || value === undefined) return type === 'checkbox' ? false : type === 'number' || type === 'select' || type === 'date' ? null : '';
  if (type === 'number') return Number(value);
  return value;
}

function expectPageEqualsRow(dataset: Dataset, page: Record<string, any>, row: Row) {
  for (const property of specOf(dataset).properties) {
    if (property.type === 'formula' || !(property.key in row)) continue;
    const actual = plainOf(page.properties[property.name]);
    const want = expected(dataset, property.key, property.type, row);
    if (want instanceof Date) {
      expect(Date.parse(String(actual)), `${dataset}.${property.key}`).toBe(want.getTime());
    } else {
      expect(actual, `${dataset}.${property.key}`).toEqual(want);
    }
  }
}

describe('a sync pass', () => {
  beforeEach(async () => {
    h.fake.resetStats();
  });

  it('brings all five datasets to Notion, property by property', async () => {
    const logs = await insertLogs(h.db.pool, [
      { metadata: { prompt: 'hello', tags: ['a', 'b'] }, agent_id: 'agent-7', workflow_id: 'wf-1', workflow_step: 'draft', success: true, error_type: null, input_cost: 0.001, output_cost: 0.002, latency_ms: 850 },
      { metadata: {}, agent_id: null, workflow_id: null, workflow_step: null, success: false, error_type: 'rate_limit', input_cost: null, output_cost: null, latency_ms: null },
    ]);
    const rows: Record<string, Row[]> = { token_usage_logs: logs, ...(await insertOneOfEach(h.db)) };

    const summaries = await runAll();
    for (const summary of summaries) {
      expect(summary.failed).toEqual([]);
      expect(summary.created).toBe(rows[summary.dataset]!.length);
    }
    for (const dataset of DATASETS) {
      const pages = pagesByKey(h.fake, h.dataSources[dataset]);
      expect(pages.size).toBe(rows[dataset]!.length);
      for (const row of rows[dataset]!) {
        const [page, ...duplicates] = pages.get(String(row.id)) ?? [];
        expect(duplicates).toEqual([]);
        expectPageEqualsRow(dataset, page!, row);
      }
    }
    const [log] = pagesByKey(h.fake, h.dataSources.token_usage_logs).get(String(logs[0]!.id))!;
    expect(plainOf(log!.properties['Tokens per Second'])).toBeCloseTo(200 / 0.85);
  });

  it('sends no write when nothing changed, and one write for one changed row', async () => {
    await insertLogs(h.db.pool, [{}, {}, {}]);
    await runAll();
    h.fake.resetStats();

    const quiet = await runAll();
    expect(pageWrites(h.fake)).toBe(0);
    expect(quiet.every((s) => s.created + s.updated === 0)).toBe(true);

    const { rows } = await h.db.pool.query(
      `update token_usage_logs set model = 'gpt-4o-mini' where id = (select id from token_usage_logs order by created_at limit 1) returning *`,
    );
    const summary = await h.engine().runPass('token_usage_logs');
    expect(summary).toMatchObject({ updated: 1, created: 0 });
    expect(pageWrites(h.fake)).toBe(1);
    const [page] = pagesByKey(h.fake, h.dataSources.token_usage_logs).get(rows[0].id)!;
    expect(plainOf(page!.properties.Model)).toBe('gpt-4o-mini');
  });

  it('reads property ids once; a property re-created in Notion is refilled on every page', async () => {
    const retrieves = () => h.fake.count({ method: 'GET', route: '/v1/data_sources/:data_source_id' });
    const engine = h.engine();
    const [log] = await insertLogs(h.db.pool, [{}]);
    await engine.runPass('token_usage_logs');
    await insertLogs(h.db.pool, [{}]);
    await engine.runPass('token_usage_logs');
    expect(retrieves()).toBe(1);

    // Someone deletes "Model" in Notion (every page loses its value); setup:notion re-creates it under a new id.
    const notion = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url, maxRetries: 0 });
    const dataSourceId = h.dataSources.token_usage_logs;
    const modelId = (h.fake.state.dataSource(dataSourceId) as { properties: Record<string, { id: string }> }).properties.Model!.id;
    await notion.dataSources.update({ data_source_id: dataSourceId, properties: { [modelId]: null } as never });
    await notion.dataSources.update({ data_source_id: dataSourceId, properties: { Model: { select: {} } } as never });

    // One changed row: its write names the old id, is refused, the ids are read again, and every page is rewritten.
    await h.db.pool.query(`update token_usage_logs set model = 'o3' where id = $1`, [log!.id]);
    h.fake.resetStats();
    const summary = await engine.runPass('token_usage_logs');
    const { rows } = await h.db.pool.query(`select id, model from token_usage_logs where created_at > now() - interval '30 days'`);
    expect(summary).toMatchObject({ updated: rows.length, created: 0, failed: [] });
    expect(retrieves()).toBe(1);
    const pages = pagesByKey(h.fake, dataSourceId);
    for (const row of rows) expect(plainOf(pages.get(row.id)![0]!.properties.Model), row.id).toBe(row.model.replaceAll(',', ';'));

    // A process started later finds the ids it reads recorded already: nothing to rewrite.
    h.fake.resetStats();
    expect(await h.engine().runPass('token_usage_logs')).toMatchObject({ updated: 0, created: 0 });
    expect(pageWrites(h.fake)).toBe(0);
  });

  it('a new mapping (MAPPING_VERSION, the catalogue) rewrites every page once; the first one recorded, an upgrade, none', async () => {
    const logs = DATASET_DEFINITIONS.token_usage_logs;
    const salt = logs.salt;
    try {
      await insertLogs(h.db.pool, [{}, {}, {}]);
      await h.engine().runPass('token_usage_logs');
      const live = pagesByKey(h.fake, h.dataSources.token_usage_logs).size;
      expect(live).toBeGreaterThanOrEqual(3);

      // Pages written by a version that did not record its mapping: the first one recorded rewrites nothing.
      await h.db.pool.query(`update tokensync.sync_checkpoints set mapping_salt = null`);
      await insertLogs(h.db.pool, [{}]);
      h.fake.resetStats();
      expect(await h.engine().runPass('token_usage_logs')).toMatchObject({ created: 1, updated: 0 });

      // A new mapping: the next pass that writes rewrites every page, and the one after writes nothing.
      (logs as { salt: string }).salt = `${salt}-next`;
      await insertLogs(h.db.pool, [{}]);
      h.fake.resetStats();
      expect(await h.engine().runPass('token_usage_logs')).toMatchObject({ created: 1, updated: live + 1, failed: [] });
      h.fake.resetStats();
      expect(await h.engine().runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 0 });
      expect(pageWrites(h.fake)).toBe(0);
    } finally {
      (logs as { salt: string }).salt = salt;
    }
  });

  it('moves the pages of deleted rows and of logs past the window to trash, and keeps rollups', async () => {
    const [doomed, old, kept] = await insertLogs(h.db.pool, [{}, {}, {}]);
    const { service_performance_metrics: [metric] } = await insertOneOfEach(h.db);
    await runAll();

    await h.db.pool.query('delete from token_usage_logs where id = $1', [doomed!.id]);
    await h.db.pool.query(`update token_usage_logs set created_at = now() - interval '31 days' where id = $1`, [old!.id]);
    h.fake.resetStats();
    const summary = await h.engine().runPass('token_usage_logs');
    expect(summary.trashed).toBe(2);

    const live = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    expect(live.has(String(doomed!.id))).toBe(false);
    expect(live.has(String(old!.id))).toBe(false);
    expect(live.has(String(kept!.id))).toBe(true);
    const trashed = pagesByKey(h.fake, h.dataSources.token_usage_logs, true);
    expect(trashed.has(String(doomed!.id))).toBe(true);

    // Rollups are never windowed.
    await h.db.pool.query(`update service_performance_metrics set metric_date = current_date - 400 where id = $1`, [metric!.id]);
    await h.engine().runPass('service_performance_metrics');
    expect(pagesByKey(h.fake, h.dataSources.service_performance_metrics).has(String(metric!.id))).toBe(true);

    // Nothing left to do: a further pass writes nothing.
    h.fake.resetStats();
    await h.engine().runPass('token_usage_logs');
    expect(pageWrites(h.fake)).toBe(0);
  });

  it('syncs hostile rows sanitised and keeps going', async () => {
    const huge = 'x'.repeat(10_000);
    const [long, selects, nan] = await insertLogs(h.db.pool, [
      { metadata: { huge }, model: 'gpt-4o', tier: 'tier_1' },
      { metadata: {}, model: 'gpt-4o, preview 🚀', tier: 'tier,1' },
      { metadata: { nested: { deeper: [1, null, '"quoted"'] } }, model: 'gpt-4o', tier: 'tier_1' },
    ]);
    await h.db.pool.query(
      `insert into service_performance_metrics (metric_date, service_type, total_requests, successful_requests, failed_requests,
         success_rate, prompt_tokens, completion_tokens, total_tokens, total_cost, avg_cost_per_request, avg_latency_ms, p95_latency_ms,
         unique_users, unique_sessions)
       values (current_date - 3, 'virtual_panel', 1, 1, 0, 1, 1, 1, 2, 9999999999.999999, 0, 'NaN', 'NaN', 1, 1)`,
    );
    const summaries = await runAll();
    expect(summaries.flatMap((s) => s.failed)).toEqual([]);

    const logs = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    const metadata = String(plainOf(logs.get(String(long!.id))![0]!.properties.Metadata));
    expect(metadata).toHaveLength(MAX_TEXT_CHARS);
    expect(metadata.endsWith(ELLIPSIS)).toBe(true);
    expect(plainOf(logs.get(String(selects!.id))![0]!.properties.Model)).toBe('gpt-4o; preview 🚀');
    expect(plainOf(logs.get(String(selects!.id))![0]!.properties.Tier)).toBe('tier;1');
    expect(logs.has(String(nan!.id))).toBe(true);

    const metrics = [...pagesByKey(h.fake, h.dataSources.service_performance_metrics).values()].map(([p]) => p!);
    const odd = metrics.find((p) => plainOf(p.properties.Service) === 'virtual_panel')!;
    expect(plainOf(odd.properties['Avg Latency (ms)'])).toBeNull();
    expect(plainOf(odd.properties['Total Cost'])).toBe(9999999999.999999);
  });
});

describe('faults at Notion', () => {
  /** Runs passes until one completes, as the job layer would. */
  async function converge(dataset: Dataset, engine = h.engine()) {
    let lastFailures: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const pass = await engine.runPass(dataset);
        if (pass.complete) return attempt + 1;
        lastFailures = pass.failed.map((f) => f.reason);
      } catch (error) {
        // A failed read ends the pass; the job layer would retry it.
        if (!(error instanceof TokensyncError && error.retryable)) throw error;
        lastFailures = [error.message];
      }
    }
    throw new Error(`${dataset} did not converge in 20 passes; the last failed with: ${lastFailures.join(' | ')}`);
  }
  afterEach(() => h.fake.faults.clear());

  it('survives 5xx on a tenth of the writes and a 429 storm: every row once', async () => {
    const logs = await insertLogs(h.db.pool, Array.from({ length: 60 }, () => ({})));
    await converge('token_usage_logs');
    await h.db.pool.query(`update token_usage_logs set model = 'gpt-4.1' where id = any($1)`, [logs.slice(0, 30).map((l) => l.id)]);
    await insertLogs(h.db.pool, Array.from({ length: 30 }, () => ({})));
    h.fake.faults.fail(500, 3, { method: 'POST', route: '/v1/pages' });
    h.fake.faults.fail(503, 3, { method: 'PATCH', route: '/v1/pages/:page_id' });
    h.fake.faults.fail(502, 2, { method: 'POST', route: '/v1/data_sources/:data_source_id/query' });
    h.fake.faults.loseResponses(2);
    h.fake.setRateLimit({ requestsPerSecond: 20, burst: 5 });
    h.fake.resetStats();
    try {
      await converge('token_usage_logs', h.engine({ writeConcurrency: 8 }));
    } finally {
      h.fake.setRateLimit(false);
    }
    expect(h.fake.count({ status: 429 })).toBeGreaterThan(0);
    const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    const { rows } = await h.db.pool.query(`select id, model from token_usage_logs where created_at > now() - interval '30 days'`);
    for (const row of rows) {
      const found = pages.get(row.id) ?? [];
      expect(found.length, `pages for ${row.id}`).toBe(1);
      expect(plainOf(found[0]!.properties.Model)).toBe(row.model.replaceAll(',', ';'));
    }
  });

  it('reconciles creates whose answer was lost: no duplicates, nothing missing', async () => {
    const logs = await insertLogs(h.db.pool, Array.from({ length: 20 }, () => ({})));
    h.fake.faults.loseResponses(5);
    h.fake.faults.fail(500, 3, { method: 'POST', route: '/v1/pages' });
    const summary = await h.engine().runPass('token_usage_logs');
    expect(summary.complete).toBe(false);
    await converge('token_usage_logs');

    const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    for (const log of logs) expect(pages.get(String(log.id))?.length, `pages for ${log.id}`).toBe(1);
  });
});
