import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, notionIdVariables } from '../../src/datasets.js';
import { CATALOGUE, specOf } from '../../src/notion/catalogue/index.js';
import { createNotionClient } from '../../src/notion/client.js';
import { readLiveSchema } from '../../src/notion/provision/live.js';
import { planSchema } from '../../src/notion/provision/plan-schema.js';
import { viewBody } from '../../src/notion/provision/plan-views.js';
import { provisionNotion, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import type { CheckResult } from '../../src/verify/check.js';
import { runChecks } from '../../src/verify/run-checks.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgrestFetch, TEST_SERVICE_ROLE_KEY } from '../support/sources.js';
import { runScript } from '../support/cli.js';
import { dropPrefix, uniquePrefix } from '../worker/redis.js';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];

let db: TestDatabase;
let fake: NotionFake;
let notionEnv: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }] });
  const provisioned = await provisionNotion({
    client: createNotionClient({ token: fake.token, baseUrl: fake.url }),
    parentPageId: PARENT,
    recorded: NO_IDS,
    envFile: undefined,
    timezone: 'UTC',
  });
  // The notion checks pace their requests by the shared limit: at this fake's pace, in a bucket of this file's own.
  notionEnv = { NOTION_TOKEN: fake.token, NOTION_PARENT_PAGE_ID: PARENT, NOTION_BASE_URL: fake.url, NOTION_REQUESTS_PER_SECOND: '200', QUEUE_PREFIX: uniquePrefix() };
  for (const dataset of DATASETS) {
    const names = notionIdVariables(dataset);
    notionEnv[names.databaseId] = provisioned.databases[dataset]!.databaseId;
    notionEnv[names.dataSourceId] = provisioned.databases[dataset]!.dataSourceId;
  }
});
afterAll(async () => {
  await dropPrefix(notionEnv.QUEUE_PREFIX!);
  await fake.close();
  await db.drop();
});

const failures = (results: CheckResult[]) => results.filter((r) => !r.ok).map((r) => `${r.group}/${r.name}: ${r.detail}`);
const writes = () => fake.stats().entries.filter((e) => e.method !== 'GET' && !e.route.endsWith('/query')).reduce((n, e) => n + e.count, 0);
const ALL = ['supabase', 'redis', 'notion'] as const;

describe('verify on a healthy installation', () => {
  it('passes every check over the postgres transport, reading only', async () => {
    fake.resetStats();
    const results = await runChecks({ groups: ALL, env: { DATABASE_URL: db.url, ...notionEnv } });
    expect(failures(results)).toEqual([]);
    expect(results.map((r) => r.group)).toEqual(expect.arrayContaining(['config', 'supabase', 'redis', 'notion']));
    expect(results.filter((r) => r.group === 'notion').length).toBe(2 + CATALOGUE.length * 3 + 3);
    expect(results.find((r) => r.name === 'block creation')).toMatchObject({ ok: true, detail: 'Notion creates pages and blocks' });
    expect(results.find((r) => r.name === 'report page')).toMatchObject({ ok: true, detail: expect.stringMatching(/^no refresh recorded yet/) });
    expect(results.find((r) => r.name === 'block footprint')?.detail).toMatch(/^\d+ blocks \(paid workspace: no block limit\)$/);
    expect(writes()).toBe(0);
  });

  it('passes the Supabase checks over the Supabase API (service_role)', async () => {
    const results = await runChecks({
      groups: ['supabase'],
      env: { SUPABASE_URL: 'http://supabase.test', SUPABASE_SERVICE_ROLE_KEY: TEST_SERVICE_ROLE_KEY },
      sourceOverrides: { fetch: postgrestFetch(db) },
    });
    expect(failures(results)).toEqual([]);
    expect(results.find((r) => r.name === 'connection')?.detail).toBe('reached (rpc transport)');
  });
});

describe('verify finds what is wrong and says how to fix it', () => {
  it('Notion refusing new blocks (the workspace block limit): fails with the fix', async () => {
    await db.pool.query(`select public.tokensync_notion_creation_stop('req-123', 'create page: the Notion workspace has used all of its free blocks')`);
    await db.pool.query(`select public.tokensync_notion_creation_hold('cost_alerts', null, null)`);
    try {
      const results = await runChecks({ groups: ['notion'], env: { DATABASE_URL: db.url, NOTION_WORKSPACE_PLAN: 'free', ...notionEnv } });
      const check = results.find((r) => r.name === 'block creation')!;
      expect(check.ok).toBe(false);
      expect(check.detail).toMatch(/^Notion refuses to create blocks \(the workspace block limit\) since .+, request req-123: pages are only updated in place; rows that need a new page are held in cost_alerts$/);
      expect(check.fix).toMatch(/upgrade the Notion workspace plan .* or lower TOKEN_LOG_PAGE_BUDGET/);
      expect(results.find((r) => r.name === 'block footprint')).toMatchObject({ ok: true, detail: expect.stringMatching(/^\d+ of the 950 blocks a Free workspace leaves tokensync$/) });
    } finally {
      await db.pool.query(`select public.tokensync_notion_creation_resume()`);
    }
  });

  it('an unmigrated database', async () => {
    const empty = await createTestDatabase({ migrated: false });
    try {
      const results = await runChecks({ groups: ['supabase'], env: { DATABASE_URL: empty.url } });
      expect(results.find((r) => r.name === 'schema')).toMatchObject({ ok: false, fix: expect.stringContaining('npm run db:migrate') });
    } finally {
      await empty.drop();
    }
  });

  it('a missing migration record, RLS switched off, and a table opened to anon', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(`delete from supabase_migrations.schema_migrations where version = '20261123000400'`);
      await client.query('alter table public.cost_alerts disable row level security');
      await client.query('grant select on public.budget_limits to anon');
      await client.query('commit');
      const results = await runChecks({ groups: ['supabase'], env: { DATABASE_URL: db.url } });
      expect(failures(results).sort()).toEqual([
        'supabase/migrations: not applied: 20261123000400',
        'supabase/table budget_limits: the anon role may select from it',
        'supabase/table cost_alerts: row level security is off',
      ]);
    } finally {
      await client.query(`insert into supabase_migrations.schema_migrations (version, name) values ('20261123000400', 'reporting_views') on conflict do nothing`);
      await client.query('alter table public.cost_alerts enable row level security');
      await client.query('revoke select on public.budget_limits from anon');
      client.release();
    }
  });

  it('an unreachable database: the connection fails, with the server named, and the fix is not to migrate', async () => {
    const results = await runChecks({ groups: ['supabase'], env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/postgres' } });
    const supabase = results.filter((r) => r.group === 'supabase');
    expect(supabase).toEqual([
      expect.objectContaining({ ok: false, name: 'connection', detail: expect.stringContaining('PostgreSQL does not answer at 127.0.0.1:9'), fix: expect.stringContaining('DATABASE_URL') }),
    ]);
  });

  it('an unreachable Redis', async () => {
    const results = await runChecks({ groups: ['redis'], env: { REDIS_URL: 'redis://127.0.0.1:1' }, redisTimeoutMs: 1_000 });
    expect(results.find((r) => r.group === 'redis')).toMatchObject({ ok: false, name: 'connection', fix: expect.stringContaining('REDIS_URL') });
  });

  it('Notion drift: a deleted property, a renamed view, and a cost chart of an earlier version, without repairing them', async () => {
    const notion = createNotionClient({ token: fake.token, baseUrl: fake.url });
    await notion.dataSources.update({ data_source_id: notionEnv.NOTION_COST_ALERTS_DATA_SOURCE_ID!, properties: { Message: null } as never });
    const board = (fake.state.views(notionEnv.NOTION_COST_ALERTS_DATABASE_ID!) as { id: string; name: string }[]).find((v) => v.name === 'Open alerts by severity')!;
    await notion.views.update({ view_id: board.id, name: 'Alerts' });
    const logsViews = fake.state.views(notionEnv.NOTION_TOKEN_USAGE_LOGS_DATABASE_ID!) as { id: string; name: string }[];
    const chart = logsViews.find((v) => v.name === 'Failed calls')!;
    await notion.views.delete({ view_id: chart.id });
    // The donut as an earlier version drew it, from the raw-log pages.
    const logs = specOf('token_usage_logs');
    const ids = planSchema(logs, await readLiveSchema(notion, notionEnv.NOTION_TOKEN_USAGE_LOGS_DATA_SOURCE_ID!, logs.title)).ids;
    const donut = viewBody(logs.retired!.views.find((v) => v.name === 'Cost by model')!, (key) => ids.get(key)!, { monthStart: '2026-11-01' });
    await notion.views.create({ database_id: notionEnv.NOTION_TOKEN_USAGE_LOGS_DATABASE_ID!, data_source_id: notionEnv.NOTION_TOKEN_USAGE_LOGS_DATA_SOURCE_ID!, ...donut } as never);

    fake.resetStats();
    const results = await runChecks({ groups: ['notion'], env: notionEnv });
    expect(failures(results)).toEqual([
      'notion/Token Usage Logs views: would create table view “Failed calls”; remove chart view “Cost by model” (now in Daily Costs)',
      'notion/Cost Alerts properties: would add property “Message” (rich_text)',
    ]);
    expect(results.find((r) => !r.ok)?.fix).toBe('run npm run setup:notion, which repairs it');
    expect(writes()).toBe(0);
  });

  it('a lane that cannot keep up: a warning with the fix, not a failure', async () => {
    // A catalogue age that never warns: this test is about the lanes, not the calendar.
    const healthy = await runChecks({ groups: ['sync'], env: { DATABASE_URL: db.url, PRICING_CATALOGUE_MAX_AGE_DAYS: '3650' } });
    expect(healthy.filter((r) => r.group === 'sync')).toEqual(
      ['alerts', 'rollups', 'logs'].map((lane) => expect.objectContaining({ name: `lane ${lane}`, ok: true, detail: 'nothing to write' })),
    );
    expect(healthy.some((r) => r.warning)).toBe(false);

    // Three raw logs waiting an hour (never synced: no checkpoint), past the 15-minute limit.
    const { rows } = await db.pool.query(`insert into token_usage_logs (request_id, created_at, organization_id, user_id, session_id, tier,
        service_type, provider, model, prompt_tokens, completion_tokens, latency_ms, success)
      select gen_random_uuid()::text, now(), 'mvp', 'user-1', 'session-1', 'tier_1', 'workflow', 'openai', 'gpt-4o', 10, 5, 100, true
        from generate_series(1, 3) returning id`);
    const client = await db.pool.connect();
    try {
      await client.query('set session_replication_role = replica'); // keeps the trigger from setting updated_at
      await client.query(`update token_usage_logs set updated_at = now() - interval '1 hour' where id = any($1)`, [rows.map((r) => r.id)]);
    } finally {
      await client.query('reset session_replication_role');
      client.release();
    }
    try {
      const results = await runChecks({ groups: ['sync'], env: { DATABASE_URL: db.url } });
      expect(failures(results)).toEqual([]);
      expect(results.find((r) => r.name === 'lane logs')).toMatchObject({
        ok: true,
        warning: true,
        detail: expect.stringMatching(/^behind: 3 to write, oldest waiting 1h 0\dm \(limit 15m 00s\)$/),
        fix: expect.stringContaining('npm run worker'),
      });
      expect(results.find((r) => r.name === 'lane alerts')).toMatchObject({ ok: true, detail: 'nothing to write' });

      // A longer limit: the lane keeps up.
      const relaxed = await runChecks({ groups: ['sync'], env: { DATABASE_URL: db.url, LANE_MAX_LAG_LOGS_MS: '7200000' } });
      expect(relaxed.find((r) => r.name === 'lane logs')).toMatchObject({ ok: true, detail: expect.stringMatching(/^keeps up: 3 to write/) });
      expect(relaxed.find((r) => r.name === 'lane logs')?.warning).toBeUndefined();
    } finally {
      await db.pool.query('delete from token_usage_logs where id = any($1)', [rows.map((r) => r.id)]);
      await db.pool.query('truncate tokensync.sync_tombstones');
    }
  });

  it('missing Notion settings and a bad variable', async () => {
    const results = await runChecks({ groups: ['notion'], env: {} });
    expect(failures(results)).toEqual(['notion/configuration: NOTION_TOKEN and NOTION_PARENT_PAGE_ID not set']);
    const bad = await runChecks({ groups: ALL, env: { REDIS_URL: 'localhost' } });
    expect(bad).toEqual([expect.objectContaining({ group: 'config', name: 'REDIS_URL', ok: false })]);
  });
});

// Each test starts the CLI (tsx compiling on a cold start) several times.
describe('npm run verify', { timeout: 180_000 }, () => {
  const cli = (args: string[], env: Record<string, string>) =>
    runScript('verify', args, { env: { PATH: process.env.PATH ?? '', ...env } });

  it('exits 0 with ✓ lines when the selected checks pass, 1 with the fix when one fails, 2 on bad usage', async () => {
    const ok = await cli(['--only', 'supabase,redis'], { DATABASE_URL: db.url });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ {2}✓ migrations: \d+ of \d+ applied$/m);
    expect(ok.stdout).toMatch(/all \d+ checks passed/);

    const json = await cli(['--only', 'redis', '--json'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, checks: expect.arrayContaining([expect.objectContaining({ group: 'redis', ok: false })]) });

    expect((await cli(['--only', 'postgres'], {})).code).toBe(2);
    // --env-file is ours to read, not node's: node would take it wherever it stands and die on a missing file.
    const missing = await cli(['--env-file', '/nonexistent/tokensync.env'], {});
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--env-file: /nonexistent/tokensync.env does not exist') });
  }, 30_000);

  it('prints a lane behind as a warning with its fix, and still exits 0', async () => {
    await db.pool.query(`insert into token_usage_logs (request_id, created_at, organization_id, user_id, session_id, tier,
        service_type, provider, model, prompt_tokens, completion_tokens, latency_ms, success)
      values (gen_random_uuid()::text, now(), 'mvp', 'user-1', 'session-1', 'tier_1', 'workflow', 'openai', 'gpt-4o', 10, 5, 100, true)`);
    // The row waits until the clock has passed the 1 s limit.
    const env = { DATABASE_URL: db.url, LANE_MAX_LAG_LOGS_MS: '1000', PRICING_CATALOGUE_MAX_AGE_DAYS: '3650' };
    let lanes = await cli(['--only', 'sync'], env);
    for (let i = 0; i < 10 && !/ ! lane logs/.test(lanes.stdout); i++) lanes = await cli(['--only', 'sync'], env);
    expect(lanes.code).toBe(0);
    expect(lanes.stdout).toMatch(/^Sync lanes$/m);
    expect(lanes.stdout).toMatch(/^ {2}✓ lane alerts: nothing to write$/m);
    expect(lanes.stdout).toMatch(/^ {2}! lane logs: behind: 1 to write, oldest waiting \d+s \(limit 1s\)$/m);
    expect(lanes.stdout).toMatch(/^ {6}fix: make sure npm run worker is running/m);
    // config (3: variables, where the Notion ids come from, the price catalogue's age) and the three lanes.
    expect(lanes.stdout).toMatch(/^ {2}✓ price catalogue: @pydantic\/genai-prices \S+ of \d{4}-\d{2}-\d{2}, \d+ days old$/m);
    expect(lanes.stdout).toMatch(/^all 6 checks passed, 1 with a warning$/m);
  }, 30_000);
});
