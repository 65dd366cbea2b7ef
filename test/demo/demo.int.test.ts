/**
 * npm run demo as a new user meets it: the embedded defaults, synced into the
 * sandbox, shown in a real browser with the numbers Postgres holds; verify
 * passing against it, and failing with the fix once a property is deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/env.js';
import { startDemo, type RunningDemo } from '../../src/demo/run-demo.js';
import { summaryLines } from '../../src/demo/summary.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { runChecks } from '../../src/verify/run-checks.js';
import { launchChromium } from '../support/browser.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../worker/redis.js';

const DAYS = 7;
const prefix = uniquePrefix();
let dir: string;
let demo: RunningDemo;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokensync-demo-'));
  demo = await startDemo({
    env: { REDIS_URL },
    port: 0,
    days: DAYS,
    envFile: join(dir, '.env.demo'),
    logger: createLogger({ level: 'silent' }),
    syncTimeoutMs: 180_000,
    queuePrefix: prefix,
  });
}, 240_000);

afterAll(async () => {
  await demo?.stop();
  await dropPrefix(prefix);
  await rm(dir, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: demo.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('npm run demo', () => {
  it('syncs every row of every dataset, alerts and a report included', async () => {
    const [counts] = await sql<{ logs: number; alerts: number; limits: number }>(
      `select (select count(*)::int from token_usage_logs) as logs, (select count(*)::int from cost_alerts) as alerts,
              (select count(*)::int from budget_limits) as limits`,
    );
    expect(counts!.logs).toBeGreaterThan(DAYS * 30);
    expect(demo.summary.pages.token_usage_logs).toBe(counts!.logs);
    expect(demo.summary.pages.cost_alerts).toBe(counts!.alerts);
    expect(demo.summary.pages.budget_limits).toBe(counts!.limits);
    const [days] = await sql<{ n: number }>('select count(*)::int as n from daily_cost_breakdown');
    expect(days!.n).toBeGreaterThan(DAYS);
    expect(demo.summary.pages.daily_cost_breakdown).toBe(days!.n);
    expect(demo.summary.criticalAlerts).toBeGreaterThan(0);
    expect(demo.reportUrl).toMatch(/\/pages\//);
  });

  // Launched here, not in beforeAll: the other tests of this file need no browser.
  // The first run without a system Chromium also unpacks the packaged one (~10 s).
  it('shows the six databases in a browser, and charts drawn from the synced numbers', { timeout: 120_000 }, async () => {
    const browser = await launchChromium();
    const page = await browser.newPage();
    try {
      await page.goto(`${demo.sandboxUrl}/`);
      const titles = await page.locator('[data-database-link]').allTextContents();
      for (const title of ['Token Usage Logs', 'Budget Limits', 'Cost Alerts', 'Service Performance Metrics', 'Workflow Analytics', 'Daily Costs']) {
        expect(titles.join(' | ')).toContain(title);
      }

      // The raw logs are for drill-down: tables, no chart.
      await page.locator('[data-database-link="Token Usage Logs"]').click();
      await page.locator('[data-database="Token Usage Logs"]').waitFor();
      expect(await page.locator('[data-view="Most expensive calls"]').count()).toBeGreaterThan(0);
      expect(await page.locator('figure.chart').count()).toBe(0);

      // The charts read Daily Costs and show Postgres's sum to the micro-dollar.
      await page.goto(`${demo.sandboxUrl}/`);
      // By the link's own attribute: Token Usage Logs' description names Daily Costs too.
      await page.locator('[data-database-link="Daily Costs"]').click();
      await page.locator('[data-database="Daily Costs"]').waitFor();
      const [spend] = await sql<{ micros: string }>('select (sum(total_cost) * 1000000)::bigint::text as micros from token_usage_logs');
      const micros = async (figure: ReturnType<typeof page.locator>) => Math.round(Number(await figure.getAttribute('data-total')) * 1e6);
      const donut = page.locator('[data-view="Cost by model"]:not([data-widget]) figure[data-chart-type="donut"]');
      expect(await micros(donut)).toBe(Number(spend!.micros));
      const daily = page.locator('[data-view="Daily cost by service"]:not([data-widget]) figure');
      expect(await micros(daily)).toBe(Number(spend!.micros));
      expect(await daily.locator('[data-series="workflow"][data-value]').count()).toBeGreaterThan(0);
      const widget = page.locator('[data-view="Daily cost by service"][data-widget] figure');
      expect(await micros(widget)).toBe(Number(spend!.micros));

      await page.goto(`${demo.sandboxUrl}/`);
      await page.locator('[data-database-link]', { hasText: 'Budget Limits' }).first().click();
      const [workflow] = await sql<{ use: number }>(
        `select s.monthly_utilisation::float8 as use from budget_limits b join tokensync.budget_spend s on s.budget_limit_id = b.id
          where b.entity_type = 'service' and b.entity_id = 'workflow'`,
      );
      const bar = page.locator('[data-view="Monthly utilisation"] [data-x="workflow"][data-value]').first();
      expect(Number(await bar.getAttribute('data-value'))).toBeCloseTo(workflow!.use, 4);
    } finally {
      await browser.close();
    }
  });

  it('prints the usage API, its reference and a curl line that works as printed', async () => {
    const printed = summaryLines(demo, { days: DAYS, keepsRunning: true, envFile: '.env.demo' });
    const api = /^ {2}Usage API +(http:\/\/127\.0\.0\.1:\d+) /.exec(printed.find((l) => l.includes('Usage API')) ?? '')?.[1];
    expect(api).toBeDefined();
    expect(printed.find((l) => l.includes('API reference'))).toContain(`${api}/docs`);
    const docs = await fetch(`${api}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(printed.join('\n')).toMatch(/throwaway JWT secret the demo made for this run/);

    // The curl line, run as printed: its URL, its headers, its body.
    const curl = printed.filter((l) => l.trim().startsWith('curl '));
    expect(curl).toHaveLength(1);
    const request = parseCurl(curl[0]!.trim());
    expect(request.url).toBe(`${api}/v1/budget/check`);
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    expect(response.status).toBe(200);
    const verdict = (await response.json()) as { allowed: boolean; reason: string; source: string };
    expect(verdict.source).toBe('database');
    expect(typeof verdict.allowed).toBe('boolean');
    // What the API answered is what the budget function says for that user.
    const [expected] = await sql<{ allowed: boolean }>(
      `select (public.check_user_budget('${demo.api.user}', null, 'workflow', 0.05)).allowed as allowed`,
    );
    expect(verdict.allowed).toBe(expected!.allowed);
  });

  it('passes npm run verify; a property deleted in the sandbox fails it, naming the database, the property and the fix', async () => {
    const env = readEnvironment(dir, { REDIS_URL }, '.env.demo');
    const before = await runChecks({ groups: ['supabase', 'redis', 'notion'], env });
    expect(before.filter((r) => !r.ok)).toEqual([]);

    const notion = createNotionClient({ token: demo.fake.token, baseUrl: demo.fake.url, maxRetries: 0 });
    const [database] = demo.fake.state.databases().filter((d) => JSON.stringify(d.title).includes('Cost Alerts'));
    const dataSourceId = (database!.data_sources as { id: string }[])[0]!.id;
    const severity = (demo.fake.state.dataSource(dataSourceId) as { properties: Record<string, { id: string }> }).properties.Severity!.id;
    await notion.dataSources.update({ data_source_id: dataSourceId, properties: { [severity]: null } as never });

    const after = await runChecks({ groups: ['notion'], env });
    const failed = after.filter((r) => !r.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'Cost Alerts properties', fix: expect.stringContaining('npm run setup:notion') });
    expect(failed[0]!.detail).toContain('Severity');
  });
});

/** The words of a shell line: single-quoted parts kept whole (the summary quotes every argument that needs it). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** What `curl URL -H … -d …` sends: -d makes it a POST, as curl does. */
function parseCurl(line: string): { url: string; method: string; headers: Record<string, string>; body: string | undefined } {
  const words = shellWords(line);
  expect(words[0]).toBe('curl');
  const headers: Record<string, string> = {};
  let url = '';
  let body: string | undefined;
  let method: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      headers[name!.trim()] = value.join(':').trim();
    } else if (word === '-d') body = words[++i];
    else if (word === '-X') method = words[++i];
    else if (word === '-s') continue;
    else url = word;
  }
  return { url, method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body };
}
