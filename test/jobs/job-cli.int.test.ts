/**
 * `npm run job -- <task>` as a real process against a throwaway database and
 * the Notion fake: each task does what the worker's schedule does, says so, and
 * exits with a meaningful code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, notionIdVariables } from '../../src/datasets.js';
import { createNotionClient } from '../../src/notion/client.js';
import { REPORT_TITLE } from '../../src/report/layout.js';
import { runChecks } from '../../src/verify/run-checks.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { harnessEnvironment, PARENT, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { dropPrefix, uniquePrefix } from '../worker/redis.js';
import { runScript } from '../support/cli.js';

let h: SyncHarness;
const prefix = uniquePrefix();
beforeAll(async () => {
  // Edit times to the millisecond, so an edit made now is newer than the row the sync wrote a moment before.
  h = await startSyncHarness({ timestampPrecision: 'millisecond' });
});
afterAll(async () => {
  await h.close();
  await dropPrefix(prefix);
});

function env(overrides: Record<string, string>): Record<string, string> {
  const databaseIds = Object.fromEntries(DATASETS.map((d) => [notionIdVariables(d).databaseId, h.databases[d]]));
  return {
    PATH: process.env.PATH ?? '',
    ...harnessEnvironment(h, prefix),
    ...databaseIds,
    NOTION_PARENT_PAGE_ID: PARENT,
    NOTION_REQUESTS_PER_SECOND: '50',
    LOG_FORMAT: 'json',
    ...overrides,
  };
}
const job = (args: string[], overrides: Record<string, string> = {}) =>
  // The timeout only keeps a process that never exits from hanging the suite: it then fails with code null.
  runScript('job', args, { env: env(overrides), timeout: 60_000 });
/** verify's line about the report page, asked in process. */
const reportCheck = async () => (await runChecks({ groups: ['notion'], env: env({}) })).find((r) => r.name === 'report page');
const parsed = (stdout: string) => JSON.parse(stdout) as { task: string; ok: boolean; startedAt: string; durationMs: number; result: Record<string, any>; error?: string };
const today = () => new Date().toISOString().slice(0, 10);

describe('npm run job', () => {
  it('explains itself, per task too, and refuses what it does not know', async () => {
    // Each is a process of its own: started together, so a loaded machine does not run the test out of time.
    const [help, taskHelp, none, unknown, recost, badOption] = await Promise.all([
      job(['--help']),
      job(['budgets', '--help']),
      job([]),
      job(['rollup']),
      job(['recost']),
      job(['rollups', '--jsn']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run job -- <task>/);
    for (const task of ['rollups', 'budgets', 'report', 'notion-edits', 'retention']) expect(help.stdout).toMatch(new RegExp(`^  ${task} `, 'm'));
    expect(help.stdout).toContain('npm run recost -- --from DATE');

    expect(taskHelp).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: npm run job -- budgets \[--json\]/) });
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/name a task: rollups, budgets, report, notion-edits, retention/) });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown task "rollup"; the tasks are rollups, budgets, report, notion-edits, retention/) });
    expect(recost).toMatchObject({ code: 2, stderr: expect.stringMatching(/npm run recost -- --from DATE/) });
    expect(badOption).toMatchObject({ code: 2, stderr: expect.stringMatching(/--jsn/) });
  }, 60_000);

  it('rollups: computes the day rows from the logs, then finds nothing more to do', async () => {
    await insertLogs(h.db.pool, [{ service_type: 'workflow' }, { service_type: 'workflow' }, { service_type: 'workflow', success: false }]);
    const first = await job(['rollups', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const json = parsed(first.stdout);
    expect(json).toMatchObject({ task: 'rollups', ok: true, result: { days: { count: 1, from: today(), to: today() }, pending: false } });
    expect(json.durationMs).toBeGreaterThanOrEqual(0);
    expect(json.result.services.changed).toBeGreaterThan(0);
    const { rows } = await h.db.pool.query(
      `select total_requests, failed_requests from service_performance_metrics where metric_date = $1 and service_type = 'workflow'`,
      [today()],
    );
    expect(rows).toEqual([{ total_requests: 3, failed_requests: 1 }]);

    const again = await job(['rollups']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^rollups: 0 days brought up to date, from 0 changed hours$/m);
   }, 60_000);

  it('budgets: raises the alerts that are due, once', async () => {
    await insertLimits(h.db.pool, [{ entity_type: 'organization', entity_id: 'job-org', daily_limit: 0.01, monthly_limit: 1 }]);
    await insertLogs(h.db.pool, [{ organization_id: 'job-org' }, { organization_id: 'job-org' }, { organization_id: 'job-org' }]);
    const first = await job(['budgets']);
    expect(first.code).toBe(0);
    const { rows } = await h.db.pool.query(`select threshold_pct::int as pct from cost_alerts where entity_id = 'job-org' and period = 'daily' order by 1`);
    expect(rows.map((r) => r.pct)).toEqual([50, 75, 90, 100]);
    expect(first.stdout).toMatch(/^budgets: spend refreshed, \d+ limits? changed; 4 alerts raised \(\d+ critical\)$/m);

    const again = parsed((await job(['budgets', '--json'])).stdout);
    expect(again).toMatchObject({ task: 'budgets', ok: true, result: { raised: 0, critical: 0 } });
   }, 60_000);

  it('report: a refresh that fails is recorded, and verify says why', async () => {
    // A parent page the integration cannot see: Notion answers 404, which no retry changes.
    const failed = await job(['report'], { NOTION_PARENT_PAGE_ID: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' });
    expect(failed.code).toBe(1);
    expect(await reportCheck()).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^the last refresh, at \S+, failed: .*object_not_found/),
      fix: expect.stringContaining('npm run job -- report'),
    });
  }, 60_000);

  it('report: writes the report page, and leaves it alone while nothing changed', async () => {
    const first = await job(['report', '--json']);
    expect(first.code).toBe(0);
    const json = parsed(first.stdout);
    expect(json).toMatchObject({ task: 'report', ok: true, result: { written: true, created: true, pageId: expect.any(String) } });
    const page = h.fake.state.page(json.result.pageId) as { parent: { page_id?: string }; properties: Record<string, any> } | undefined;
    expect(page?.parent.page_id).toBe(PARENT);
    expect(JSON.stringify(page?.properties)).toContain(REPORT_TITLE);

    // The hash of what was published is kept where the worker keeps it (Redis, QUEUE_PREFIX).
    const again = await job(['report']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^report: unchanged: nothing written \(page /m);
    // A refresh that succeeds, after the failed one above: verify says so.
    expect(await reportCheck()).toMatchObject({ ok: true, detail: expect.stringMatching(/^last refreshed /) });
   }, 60_000);

  it('notion-edits: an alert acknowledged in Notion is acknowledged in Supabase', async () => {
    await h.engine().runPass('cost_alerts');
    const { rows } = await h.db.pool.query(`select id from cost_alerts where entity_id = 'job-org' and threshold_pct = 100 and period = 'daily'`);
    const alertId = rows[0].id as string;
    const { rows: state } = await h.db.pool.query(`select page_id from tokensync.notion_sync_state where dataset = 'cost_alerts' and key = $1`, [alertId]);
    const notion = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url, maxRetries: 0 });
    await notion.pages.update({ page_id: state[0].page_id, properties: { Acknowledged: { checkbox: true } } as never });

    const polled = await job(['notion-edits', '--json']);
    expect(polled.code).toBe(0);
    expect(parsed(polled.stdout)).toMatchObject({ task: 'notion-edits', ok: true, result: { cost_alerts: { applied: 1 } } });
    const { rows: after } = await h.db.pool.query(`select acknowledged from cost_alerts where id = $1`, [alertId]);
    expect(after[0].acknowledged).toBe(true);
  });

  it('retention: deletes raw logs past LOG_RETENTION_DAYS', async () => {
    const [old] = await insertLogs(h.db.pool, [{ created_at: new Date(Date.now() - 120 * 86_400_000).toISOString() }]);
    const result = await job(['retention', '--json'], { LOG_RETENTION_DAYS: '90' });
    expect(result.code).toBe(0);
    expect(parsed(result.stdout)).toMatchObject({ task: 'retention', ok: true, result: { enabled: true, deleted: 1, pending: false } });
    expect((await h.db.pool.query(`select 1 from token_usage_logs where id = $1`, [old!.id])).rowCount).toBe(0);
    expect((await job(['retention'], { LOG_RETENTION_DAYS: '0' })).stdout).toMatch(/^retention: off/m);
  }, 60_000);

  it('a missing setting is a usage error (2); a failing task is a failure (1), in JSON too', async () => {
    expect(await job(['report'], { NOTION_PARENT_PAGE_ID: '' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/report cannot run: NOTION_PARENT_PAGE_ID is not set/) });
    expect(await job(['rollups'], { DATABASE_URL: '' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/DATABASE_URL/) });

    const broken = new URL(h.db.url);
    broken.pathname = '/tokensync_no_such_database';
    const failed = await job(['rollups', '--json'], { DATABASE_URL: broken.toString() });
    expect(failed.code).toBe(1);
    expect(parsed(failed.stdout)).toMatchObject({ task: 'rollups', ok: false, error: expect.stringContaining('tokensync_no_such_database') });
    expect(failed.stderr).toMatch(/tokensync_no_such_database/);
  }, 60_000);
});
