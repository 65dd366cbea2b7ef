import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATASETS, notionIdVariables } from '../../src/datasets.js';
import { CATALOGUE, specOf } from '../../src/notion/catalogue/index.js';
import { createNotionClient, NotionRequestError } from '../../src/notion/client.js';
import { NotionSetupError } from '../../src/notion/provision/locate.js';
import { readLiveSchema } from '../../src/notion/provision/live.js';
import { planSchema } from '../../src/notion/provision/plan-schema.js';
import { viewBody } from '../../src/notion/provision/plan-views.js';
import { provisionNotion, type ProvisionEvent, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { runScript } from '../support/cli.js';
import { REDIS_URL, uniqueQueuePrefix } from '../support/services.js';
import { dropPrefix } from '../../src/worker/redis-tools.js';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const PRIVATE_PAGE = '7d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a';
const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];

let fake: NotionFake;
let dir: string;
let events: ProvisionEvent[];

beforeEach(async () => {
  fake = await startNotionFake({
    rateLimit: false,
    pages: [
      { id: PARENT, title: 'LLM costs' },
      { id: PRIVATE_PAGE, title: 'Not shared', shared: false },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'tokensync-setup-'));
  events = [];
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const envFile = () => join(dir, '.env.local');

function provision(overrides: Partial<ProvisionOptions> = {}) {
  return provisionNotion({
    client: createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 }),
    parentPageId: PARENT,
    recorded: NO_IDS,
    envFile: envFile(),
    timezone: 'UTC',
    now: new Date('2026-11-20T12:00:00Z'),
    onEvent: (event) => events.push(event),
    ...overrides,
  });
}

/** Requests that change something (a data source query is a POST but reads). */
function writes(): number {
  return fake
    .stats()
    .entries.filter((e) => e.method !== 'GET' && !e.route.endsWith('/query'))
    .reduce((n, e) => n + e.count, 0);
}

const messages = (kind: ProvisionEvent['kind']) => events.filter((e) => e.kind === kind).map((e) => ('message' in e ? e.message : ''));

function ourDatabases() {
  return fake.state.databases(PARENT).filter((d) => !d.in_trash);
}

function schemaOf(dataSourceId: string): Record<string, { type: string; format?: string }> {
  const source = fake.state.dataSource(dataSourceId) as { properties: Record<string, Record<string, any>> };
  return Object.fromEntries(
    Object.values(source.properties).map((p) => [p.name, { type: p.type, ...(p.type === 'number' ? { format: p.number.format } : {}) }]),
  );
}

const catalogueSchema = (dataset: (typeof DATASETS)[number]) =>
  Object.fromEntries(specOf(dataset).properties.map((p) => [p.name, { type: p.type, ...(p.type === 'number' ? { format: p.format } : {}) }]));

function viewNames(databaseId: string) {
  const views = fake.state.views(databaseId) as { name: string; type: string; dashboard_view_id?: string | null }[];
  return {
    top: views.filter((v) => !v.dashboard_view_id && v.type !== 'dashboard').map((v) => v.name).sort(),
    dashboards: views.filter((v) => v.type === 'dashboard').map((v) => v.name),
    widgets: views.filter((v) => v.dashboard_view_id).map((v) => v.name).sort(),
  };
}

describe('setup:notion on an empty workspace', () => {
  it('creates six databases with exactly the catalogue’s properties, all views and the dashboard, and records their ids', async () => {
    const result = await provision();

    expect(ourDatabases()).toHaveLength(CATALOGUE.length);
    for (const spec of CATALOGUE) {
      const ids = result.databases[spec.dataset]!;
      expect(schemaOf(ids.dataSourceId), spec.title).toEqual(catalogueSchema(spec.dataset));
      const views = viewNames(ids.databaseId);
      expect(views.top, spec.title).toEqual(spec.views.map((v) => v.name).sort());
      expect(views.dashboards).toEqual(spec.dashboard ? [spec.dashboard.name] : []);
      expect(views.widgets).toEqual([...(spec.dashboard?.widgets ?? [])].sort());
    }

    const recorded = await readFile(envFile(), 'utf8');
    for (const dataset of DATASETS) {
      const names = notionIdVariables(dataset);
      expect(recorded).toContain(`${names.databaseId}=${result.databases[dataset]!.databaseId}`);
      expect(recorded).toContain(`${names.dataSourceId}=${result.databases[dataset]!.dataSourceId}`);
    }
    expect((await stat(envFile())).mode & 0o777).toBe(0o600);
  });

  it('makes zero write requests on a second run, by recorded ids or by title', async () => {
    const first = await provision();
    const recorded = Object.fromEntries(DATASETS.map((d) => [d, first.databases[d]!])) as ProvisionOptions['recorded'];

    fake.resetStats();
    expect((await provision({ recorded })).changes).toBe(0);
    expect(writes()).toBe(0);
    expect(messages('database').every((m) => m.includes('recorded id'))).toBe(true);

    // Without the recorded ids (another machine), the databases are found by title: still no writes, no copies.
    fake.resetStats();
    events = [];
    expect((await provision({ envFile: undefined })).changes).toBe(0);
    expect(writes()).toBe(0);
    expect(messages('database').every((m) => m.includes('title under the parent page'))).toBe(true);
    expect(ourDatabases()).toHaveLength(CATALOGUE.length);
  });

  it('plans without writing on a dry run', async () => {
    const result = await provision({ dryRun: true });
    expect(writes()).toBe(0);
    expect(result.changes).toBe(CATALOGUE.length);
    expect(messages('change')[0]).toMatch(/^would create the database with 35 properties and 3 views$/);
    expect(messages('change')).toContain('would create the database with 19 properties and 4 views and a dashboard');
    await expect(stat(envFile())).rejects.toThrow();
  });
});

describe('setup:notion repairs what people changed', () => {
  it('restores ours, keeps theirs, and reports each change', async () => {
    const first = await provision();
    const alerts = first.databases.cost_alerts!;
    const costs = first.databases.daily_cost_breakdown!;
    const notion = createNotionClient({ token: fake.token, baseUrl: fake.url });

    const liveAlerts = (await notion.dataSources.retrieve({ data_source_id: alerts.dataSourceId })) as { properties: Record<string, { id: string }> };
    await notion.dataSources.update({
      data_source_id: alerts.dataSourceId,
      properties: {
        Message: null,
        Severity: { select: { options: [{ name: 'Urgent', color: 'red' }] } },
        [liveAlerts.properties['Amount Spent']!.id]: { name: 'Spend (USD)' },
        Owner: { rich_text: {} },
      } as never,
    });
    const donut = (fake.state.views(costs.databaseId) as { id: string; name: string; dashboard_view_id?: string }[]).find(
      (v) => v.name === 'Cost by model' && !v.dashboard_view_id,
    )!;
    await notion.views.update({ view_id: donut.id, name: 'Model spend' });

    events = [];
    fake.resetStats();
    const repair = await provision();

    expect(messages('change').sort()).toEqual(
      [
        'add property “Message” (rich_text)',
        'add missing options to “Severity”: critical, warning, info',
        'rename property “Spend (USD)” back to “Amount Spent”',
        'rename view “Model spend” back to “Cost by model”',
      ].sort(),
    );
    expect(messages('note')).toContain('kept “Owner” (rich_text): not ours, left as it is');
    expect(repair.changes).toBe(4);
    // One schema update for the data source, one view update.
    expect(writes()).toBe(2);

    const schema = schemaOf(alerts.dataSourceId);
    expect(schema).toEqual({ ...catalogueSchema('cost_alerts'), Owner: { type: 'rich_text' } });
    const severity = (fake.state.dataSource(alerts.dataSourceId) as any).properties;
    const options = Object.values(severity as Record<string, any>).find((p) => p.name === 'Severity').select.options.map((o: { name: string }) => o.name);
    expect(options).toEqual(['Urgent', 'critical', 'warning', 'info']);
    expect(viewNames(costs.databaseId).top).toContain('Cost by model');

    // And the workspace is stable again.
    fake.resetStats();
    expect((await provision()).changes).toBe(0);
    expect(writes()).toBe(0);
  });
});

describe('setup:notion on an installation whose cost charts live in Token Usage Logs', () => {
  /** The workspace as the previous version left it: five databases, the charts and the Cost dashboard on the raw logs. */
  async function earlierInstallation() {
    const first = await provision();
    const notion = createNotionClient({ token: fake.token, baseUrl: fake.url });
    await notion.databases.update({ database_id: first.databases.daily_cost_breakdown!.databaseId, in_trash: true } as never);
    const logs = first.databases.token_usage_logs!;
    const spec = specOf('token_usage_logs');
    const newTable = (fake.state.views(logs.databaseId) as { id: string; name: string }[]).find((v) => v.name === 'Most expensive calls')!;
    await notion.views.delete({ view_id: newTable.id });
    const ids = planSchema(spec, await readLiveSchema(notion, logs.dataSourceId, spec.title)).ids;
    const bodies = spec.retired!.views.map((v) => viewBody(v, (key) => ids.get(key)!, { monthStart: '2026-11-01' }));
    for (const body of bodies) await notion.views.create({ database_id: logs.databaseId, data_source_id: logs.dataSourceId, ...body } as never);
    const dashboard = await notion.views.create({ database_id: logs.databaseId, data_source_id: logs.dataSourceId, name: 'Cost dashboard', type: 'dashboard' } as never);
    for (const body of bodies) await notion.views.create({ view_id: dashboard.id, data_source_id: logs.dataSourceId, ...body, placement: { type: 'new_row' } } as never);
    const recorded = { ...Object.fromEntries(DATASETS.map((d) => [d, first.databases[d]!])), daily_cost_breakdown: { databaseId: undefined, dataSourceId: undefined } };
    return { logs, recorded: recorded as ProvisionOptions['recorded'] };
  }

  it('plans the move on a dry run: Daily Costs is created, then the old charts and dashboard are removed', async () => {
    const { logs, recorded } = await earlierInstallation();
    events = [];
    fake.resetStats();
    await provision({ recorded, dryRun: true });
    expect(writes()).toBe(0);
    expect(events.filter((e) => e.kind === 'change').map((e) => `${'title' in e ? e.title : ''}: ${'message' in e ? e.message : ''}`)).toEqual([
      'Token Usage Logs: would create table view “Most expensive calls”',
      'Daily Costs: would create the database with 19 properties and 4 views and a dashboard',
      'Token Usage Logs: would remove chart view “Daily cost by service” (now in Daily Costs)',
      'Token Usage Logs: would remove chart view “Cost by model” (now in Daily Costs)',
      'Token Usage Logs: would remove chart view “Month-to-date cost” (now in Daily Costs)',
      'Token Usage Logs: would remove dashboard “Cost dashboard” (now in Daily Costs)',
    ]);
    expect(viewNames(logs.databaseId).dashboards).toEqual(['Cost dashboard']);
  });

  it('moves the charts to Daily Costs and leaves Token Usage Logs its tables; a second run changes nothing', async () => {
    const { logs, recorded } = await earlierInstallation();
    const result = await provision({ recorded });

    expect(viewNames(logs.databaseId)).toEqual({ top: specOf('token_usage_logs').views.map((v) => v.name).sort(), dashboards: [], widgets: [] });
    const costs = specOf('daily_cost_breakdown');
    expect(viewNames(result.databases.daily_cost_breakdown!.databaseId)).toEqual({
      top: costs.views.map((v) => v.name).sort(),
      dashboards: ['Cost dashboard'],
      widgets: [...costs.dashboard!.widgets].sort(),
    });
    expect(await readFile(envFile(), 'utf8')).toContain(`${notionIdVariables('daily_cost_breakdown').databaseId}=${result.databases.daily_cost_breakdown!.databaseId}`);

    fake.resetStats();
    expect((await provision({ recorded: Object.fromEntries(DATASETS.map((d) => [d, result.databases[d]!])) as ProvisionOptions['recorded'] })).changes).toBe(0);
    expect(writes()).toBe(0);
  });

  it('keeps the old charts when Daily Costs cannot be made, so the dashboards never go missing', async () => {
    const { logs, recorded } = await earlierInstallation();
    fake.faults.fail(500, 1, { method: 'POST', route: '/v1/databases' });
    await expect(provision({ recorded })).rejects.toThrow(/create database Daily Costs/);
    expect(viewNames(logs.databaseId).dashboards).toEqual(['Cost dashboard']);
  });
});

describe('setup:notion and type changes Notion refuses', () => {
  it('applies the other repairs and reports the refused type change instead of failing', async () => {
    const first = await provision();
    const alerts = first.databases.cost_alerts!;
    const notion = createNotionClient({ token: fake.token, baseUrl: fake.url });
    await notion.dataSources.update({
      data_source_id: alerts.dataSourceId,
      properties: { 'Entity ID': { number: { format: 'number' } }, Message: null } as never,
    });

    // Notion answers some type changes with validation_error; here, turning Entity ID back into text.
    const source = fake.state.dataSource(alerts.dataSourceId) as { properties: Record<string, { id: string; name: string }> };
    const entityId = Object.values(source.properties).find((p) => p.name === 'Entity ID')!.id;
    const refusingFetch: typeof fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : {};
      if (init?.method === 'PATCH' && body.properties?.[entityId]?.rich_text) {
        return new Response(JSON.stringify({ object: 'error', status: 400, code: 'validation_error', message: 'Cannot convert number to rich_text.', request_id: 'req-refused' }), {
          status: 400,
          headers: { 'content-type': 'application/json' },
        });
      }
      return fetch(input, init);
    };
    const { Client } = await import('@notionhq/client');
    const client = new Client({ auth: fake.token, baseUrl: fake.url, notionVersion: '2025-09-03', fetch: refusingFetch, logger: () => undefined, retry: false });

    events = [];
    await provision({ client });
    expect(messages('change')).toContain('add property “Message” (rich_text)');
    expect(messages('note')).toContainEqual(expect.stringMatching(/^Notion refused to change property “Entity ID” from number back to rich_text: “Cannot convert number to rich_text\.” \(request req-refused\); change it by hand$/));
    expect(schemaOf(alerts.dataSourceId)).toMatchObject({ Message: { type: 'rich_text' }, 'Entity ID': { type: 'number' } });
  });
});

describe('setup:notion when something is wrong', () => {
  it('rejects a bad token with what to do, before writing anything', async () => {
    const run = provision({ client: createNotionClient({ token: 'ntn_wrong_token_000000', baseUrl: fake.url, maxRetries: 0 }) });
    await expect(run).rejects.toBeInstanceOf(NotionSetupError);
    await expect(run).rejects.toThrow(/NOTION_TOKEN was rejected by Notion \(unauthorized\)/);
    expect(writes()).toBe(0);
  });

  it('explains an unshared parent page: share it with the integration', async () => {
    await expect(provision({ parentPageId: PRIVATE_PAGE })).rejects.toThrow(/not shared with the integration\. Open the page in Notion → ••• → Connections/);
    expect(writes()).toBe(0);
  });

  it('explains a parent that is a database, not a page', async () => {
    const first = await provision();
    const database = first.databases.budget_limits!.databaseId;
    await expect(provision({ parentPageId: database })).rejects.toThrow(/is a database, not a page/);
  });

  it('completes under a rate limit, waiting as Retry-After says', async () => {
    // Retry-After is in whole seconds: a burst of 20 (setup makes about 50 requests) means a few waits, not one per handful;
    // 15/s stays below what setup sends even on a loaded machine, so Notion does refuse some.
    fake.setRateLimit({ requestsPerSecond: 15, burst: 20 });
    const result = await provision({ client: createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 8 }) });
    expect(fake.count({ status: 429 })).toBeGreaterThan(0);
    expect(Object.keys(result.databases)).toHaveLength(CATALOGUE.length);
    expect(ourDatabases()).toHaveLength(CATALOGUE.length);
  }, 60_000);

  it('records what it did before a failure, names the failed step, and a rerun finishes without copies', async () => {
    fake.faults.fail(500, 1, { method: 'POST', route: '/v1/views' });
    const failed = provision();
    await expect(failed).rejects.toBeInstanceOf(NotionRequestError);
    await expect(failed).rejects.toThrow(/^create view Failed calls in Token Usage Logs: .*internal_server_error, HTTP 500, request /);
    expect(await readFile(envFile(), 'utf8')).toContain(notionIdVariables('token_usage_logs').databaseId);

    await provision();
    expect(ourDatabases()).toHaveLength(CATALOGUE.length);
    expect(viewNames((await provision()).databases.token_usage_logs!.databaseId).top).toHaveLength(specOf('token_usage_logs').views.length);
  });

  it('adopts a database whose create response was lost instead of creating a second one', async () => {
    fake.faults.loseResponses(1, { method: 'POST', route: '/v1/databases' });
    await expect(provision()).rejects.toThrow();
    expect(ourDatabases()).toHaveLength(1);
    await provision();
    expect(ourDatabases()).toHaveLength(CATALOGUE.length);
    expect(ourDatabases().filter((d) => JSON.stringify(d.title).includes('Token Usage Logs'))).toHaveLength(1);
  });
});

describe('npm run setup:notion', () => {
  // The command paces its requests by the shared limit: this fake has none, so a limit of its own, at the fake's pace.
  const prefix = uniqueQueuePrefix();
  afterAll(() => dropPrefix(REDIS_URL, prefix));
  const cli = (env: Record<string, string>, args: string[] = []) =>
    runScript('setup-notion', args, { env: { PATH: process.env.PATH ?? '', REDIS_URL, QUEUE_PREFIX: prefix, NOTION_REQUESTS_PER_SECOND: '200', ...env } });

  it('provisions from a page URL, shows progress, and exits 0; then reports nothing to change', async () => {
    const env = {
      NOTION_TOKEN: fake.token,
      NOTION_PARENT_PAGE_ID: `https://www.notion.so/acme/LLM-costs-${PARENT.replace(/-/g, '')}?pvs=4`,
      NOTION_BASE_URL: fake.url,
      NOTION_ENV_FILE: envFile(),
    };
    const first = await cli(env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Notion blocks needed: \d+ \(paid workspace: no block limit\)$/m);
    expect(first.stdout).toMatch(/^ +\d+ {2}report page: /m);
    expect(first.stdout).toMatch(/Token Usage Logs\n {2}\+ create the database/);
    expect(first.stdout).toMatch(/recorded 12 ids in /);
    expect(first.stdout).not.toContain(fake.token);

    const again = await cli({ ...env, NOTION_WORKSPACE_PLAN: 'free' });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Notion blocks needed: \d+ \(Free workspace: 950 of 1000 lifetime blocks available to tokensync, fits\)$/m);
    expect(again.stdout).toMatch(/done: nothing to change: the workspace matches the catalogue/);
  }, 30_000);

  it('exits 1 with one line naming the URL when Notion does not answer, never a stack trace', async () => {
    const closed = await cli({ NOTION_TOKEN: 'ntn_good00000000000000000000000', NOTION_PARENT_PAGE_ID: PARENT, NOTION_BASE_URL: 'http://127.0.0.1:9', NOTION_ENV_FILE: envFile() });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^error: Notion does not answer at http:\/\/127\.0\.0\.1:9 \(.+\); check NOTION_BASE_URL and the network$/m);
    expect(closed.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('exits 1 with the reason for a bad token, never printing it, and 2 when variables are missing', async () => {
    const bad = await cli({ NOTION_TOKEN: 'ntn_bad00000000000000000000000', NOTION_PARENT_PAGE_ID: PARENT, NOTION_BASE_URL: fake.url, NOTION_ENV_FILE: envFile() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NOTION_TOKEN was rejected/);
    expect(bad.stderr + bad.stdout).not.toContain('ntn_bad00000000000000000000000');

    const missing = await cli({});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/NOTION_TOKEN: is required for setup:notion/);
    expect(missing.stderr).toMatch(/NOTION_PARENT_PAGE_ID: is required for setup:notion/);
  }, 30_000);
});
