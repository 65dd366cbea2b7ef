import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { monthStartIn } from '../../src/notion/provision/provision.js';
import { REPORT_TITLE } from '../../src/report/render.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { runScript } from '../support/cli.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { PARENT, pagesByKey, harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis.js';

let h: SyncHarness;
let worker: RunningWorker;
let webhook: Server;
const posted: { text: string }[] = [];
const prefix = uniquePrefix();
const WEBHOOK_SECRET = 'secret_notion_webhook_verification_0123';
let envDir: string;

beforeAll(async () => {
  // Edit times to the millisecond: the acknowledgement below is decided by the data, not by Notion's minute rounding.
  h = await startSyncHarness({ timestampPrecision: 'millisecond' });
  envDir = await mkdtemp(join(tmpdir(), 'tokensync-worker-env-'));
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => (posted.push(JSON.parse(body)), res.writeHead(200).end()));
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));

  await insertLimits(h.db.pool, [{ daily_limit: 2, breach_action: 'alert', alert_thresholds: [90] }]);
  await insertLogs(h.db.pool, [{ created_at: new Date().toISOString(), total_cost: 1.9 }]);

  const env: Record<string, string> = {
    ...harnessEnvironment(h, prefix),
    NOTION_PARENT_PAGE_ID: PARENT,
    NOTION_REQUESTS_PER_SECOND: '50',
    SYNC_INTERVAL_MS: '1000',
    SYNC_SETTLE_MS: '0',
    ROLLUP_INTERVAL_MS: '1000',
    BUDGET_INTERVAL_MS: '1000',
    REPORT_INTERVAL_MS: '1000',
    NOTION_EDITS_INTERVAL_MS: '1000',
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/secret`,
    WORKER_HTTP_PORT: '0',
    NOTION_WEBHOOK_SECRET: WEBHOOK_SECRET,
    NOTION_ENV_FILE: join(envDir, '.env.local'),
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
  };
  worker = await startWorker(loadConfig(env), createLogger({ level: 'silent' }));
});
afterAll(async () => {
  await worker?.stop();
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
  await h.close();
  await dropPrefix(prefix);
  await rm(envDir, { recursive: true, force: true });
});

it('schedules the reporting tasks: rollups, an alert posted to the webhook, and the report page', async () => {
  // Each task on its own queue: budgets never wait behind the view refresh, the report or an edits poll.
  const schedulers = Object.fromEntries(
    await Promise.all(Object.entries(worker.taskQueues).map(async ([name, queue]) => [name, (await queue.getJobSchedulers()).map((s) => s.key).sort()])),
  );
  expect(schedulers).toEqual({
    budgets: ['reporting-budgets'],
    'notion-edits': ['reporting-notion-edits'],
    reporting: ['reporting-report', 'reporting-retention', 'reporting-rollups'],
  });

  await vi.waitFor(async () => {
    const { rows } = await h.db.pool.query('select count(*)::int as n from service_performance_metrics');
    expect(rows[0].n).toBe(1);
  }, { timeout: 20_000, interval: 200 });
  await vi.waitFor(() => expect(posted).toEqual([{ text: expect.stringContaining("organization 'mvp' reached 90% of its daily limit") }]), { timeout: 20_000, interval: 200 });
  await vi.waitFor(() => {
    const reports = (h.fake.state.blocks(PARENT) as Record<string, any>[]).filter((b) => b.child_page?.title === REPORT_TITLE);
    expect(reports).toHaveLength(1);
  }, { timeout: 20_000, interval: 200 });
}, 60_000);

it('carries a tick on Acknowledged in Notion back to Supabase', async () => {
  const { rows } = await h.db.pool.query(`select id from cost_alerts`);
  const alertId = rows[0].id as string;
  // The sync puts the alert in Notion; a person ticks it there.
  const page = await vi.waitFor(() => {
    const found = pagesByKey(h.fake, h.dataSources.cost_alerts!).get(alertId)?.[0];
    expect(found).toBeDefined();
    return found!;
  }, { timeout: 20_000, interval: 200 });
  await createNotionClient({ token: h.fake.token, baseUrl: h.fake.url }).pages.update({ page_id: page.id, properties: { Acknowledged: { checkbox: true } } as never });

  await vi.waitFor(async () => {
    const { rows: after } = await h.db.pool.query(`select acknowledged, acknowledged_by from cost_alerts where id = $1`, [alertId]);
    expect(after[0]).toMatchObject({ acknowledged: true, acknowledged_by: expect.any(String) });
  }, { timeout: 20_000, interval: 200 });
}, 60_000);

const postWebhook = (body: string, signature?: string) =>
  fetch(`http://127.0.0.1:${worker.httpPort}/notion/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-notion-signature': signature } : {}) },
    body,
  });
const signed = (body: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;

it('takes Notion webhooks: a signed page event queues an edits poll at once, once; unsigned, replayed, stale and oversized ones do nothing', async () => {
  const body = JSON.stringify({ id: 'evt-1', timestamp: new Date().toISOString(), type: 'page.properties_updated', entity: { id: 'p', type: 'page' } });

  expect((await postWebhook(body)).status).toBe(401);
  expect((await postWebhook(body, signed(body))).status).toBe(200);
  const queued = await worker.taskQueues['notion-edits'].getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized']);
  expect(queued.some((job) => job.name === 'notion-edits' && String(job.id).startsWith('notion-edits-webhook-'))).toBe(true);

  // The same signed event again, as someone who captured it would send it.
  const replayed = await postWebhook(body, signed(body));
  expect(replayed.status).toBe(200);
  expect(await replayed.text()).toMatch(/already received/);

  const stale = JSON.stringify({ id: 'evt-2', timestamp: new Date(Date.now() - 2 * 86_400_000).toISOString(), type: 'page.properties_updated' });
  expect(await (await postWebhook(stale, signed(stale))).text()).toMatch(/older than the replay window/);

  const huge = JSON.stringify({ id: 'evt-3', type: 'page.properties_updated', padding: 'x'.repeat(200_000) });
  expect((await postWebhook(huge, signed(huge))).status).toBe(413);
}, 30_000);

it('never writes a verification token from a request: it is kept for the operator, shown once by npm run webhook', async () => {
  const envFile = join(envDir, '.env.local');
  const before = await readFile(envFile, 'utf8').catch(() => '');

  // Anyone can reach the endpoint: a token carrying a line break would add a variable to the env file.
  const injection = JSON.stringify({ verification_token: 'secret_abcdefghijklmnop\nNOTION_BASE_URL=http://attacker.example' });
  expect((await postWebhook(injection)).status).toBe(400);

  const token = 'secret_new_subscription_token_4567';
  expect((await postWebhook(JSON.stringify({ verification_token: token }))).status).toBe(200);
  expect(await readFile(envFile, 'utf8').catch(() => '')).toBe(before);

  const env = { ...harnessEnvironment(h, prefix), PATH: process.env.PATH ?? '' };
  const shown = await runScript('webhook', ['--show-token'], { env, timeout: 20_000 });
  expect(shown).toMatchObject({ code: 0, stderr: '' });
  expect(shown.stdout).toContain(token);
  expect(shown.stdout).toContain('arrived');
  expect(shown.stdout).not.toContain('attacker');
  const again = await runScript('webhook', ['--show-token'], { env, timeout: 20_000 });
  expect(again.stdout).toMatch(/No verification token is waiting/);
}, 30_000);

it('moves the month-to-date filter, in the view and its dashboard widget, once the month has turned', async () => {
  const redis = new Redis(REDIS_URL);
  const notion = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url });
  const thisMonth = monthStartIn(new Date(), 'UTC');
  const monthViews = () =>
    (h.fake.state.views(h.databases.daily_cost_breakdown) as { id: string; name: string; filter?: { property: string; date: { on_or_after: string } } }[])
      .filter((v) => v.name === 'Month-to-date cost');
  try {
    // The first report run looked already: the month it saw is recorded for every process.
    await vi.waitFor(async () => expect(await redis.get(`${prefix}:month-views`)).toBe(thisMonth), { timeout: 20_000, interval: 200 });
    // As if setup and the last look had both been in January 2020.
    for (const view of monthViews()) await notion.views.update({ view_id: view.id, filter: { ...view.filter!, date: { on_or_after: '2020-01-01' } } } as never);
    await redis.set(`${prefix}:month-views`, '2020-01-01');

    await vi.waitFor(() => expect(monthViews().map((v) => v.filter?.date.on_or_after)).toEqual([thisMonth, thisMonth]), { timeout: 20_000, interval: 200 });
    // The job records the month after its last view update: wait for it rather than read in between.
    await vi.waitFor(async () => expect(await redis.get(`${prefix}:month-views`)).toBe(thisMonth), { timeout: 20_000, interval: 200 });
  } finally {
    redis.disconnect();
  }
}, 60_000);
