/**
 * Every cost chart in Notion is drawn from Daily Costs, so its total equals
 * sum(total_cost) in Postgres for the period its filter selects, to the
 * micro-dollar, whatever happened to the raw-log pages: here all of them are
 * moved to trash, and a changed, a deleted and a late row (dated in a closed
 * day) follow. Totals are read as the fake's web page computes them
 * (packages/notion-sandbox/src/web/chart-data.ts over the view's filter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../src/local-time.js';
import { createNotionClient } from '../../src/notion/client.js';
import { monthStartIn } from '../../src/notion/provision/provision.js';
import { insertLogs, type Row } from '../support/fixtures.js';
import { chartAttributes, tagsWith, viewSection } from '../notion/sandbox-web-helpers.js';
import { startSyncHarness, type SyncHarness } from './harness.js';

const DAY_MS = 86_400_000;
const HISTORY_DAYS = 45;
const SERVICES = ['1:1_conversation', 'virtual_panel', 'workflow', 'solution_builder'];
const MODELS = [['openai', 'gpt-4o'], ['openai', 'gpt-4o-mini'], ['anthropic', 'claude-sonnet-4'], ['google', 'gemini-2.5-pro']] as const;

let h: SyncHarness;
const now = new Date();
// Fixed by setup (the harness provisions "now"), as the month-to-date view's filter is.
const monthStart = monthStartIn(now, 'UTC');

/** A small deterministic generator: the same calls every run. */
function generator(seed: number) {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** Calls over the last 45 days: costs in whole micro-dollars, a few unpriced, several per day and key. */
function history(count: number): Row[] {
  const random = generator(42);
  return Array.from({ length: count }, (_, i) => {
    const [provider, model] = MODELS[Math.floor(random() * MODELS.length)]!;
    const priced = i % 17 !== 0;
    const input = Math.floor(random() * 2_000_000) / 1e6;
    const output = Math.floor(random() * 3_000_000) / 1e6;
    return {
      created_at: new Date(now.getTime() - 60_000 - Math.floor(random() * HISTORY_DAYS * DAY_MS)).toISOString(),
      service_type: SERVICES[Math.floor(random() * SERVICES.length)],
      provider,
      model,
      success: random() > 0.1,
      input_cost: priced ? input : null,
      output_cost: priced ? output : null,
      total_cost: priced ? Number((input + output).toFixed(6)) : null,
    };
  });
}

async function rollUpAndSync(options: { logs: boolean }) {
  await h.source.rollupDailyCosts({ from: localDate(new Date(now.getTime() - (HISTORY_DAYS + 2) * DAY_MS), 'UTC'), to: localDate(now, 'UTC'), timezone: 'UTC' });
  const engine = h.engine();
  if (options.logs) expect((await engine.runPass('token_usage_logs')).failed).toEqual([]);
  expect((await engine.runPass('daily_cost_breakdown')).failed).toEqual([]);
}

async function trashEveryLogPage(): Promise<number> {
  const notion = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url, maxRetries: 0 });
  const pages = h.fake.state.pages(h.dataSources.token_usage_logs) as { id: string }[];
  for (const page of pages) await notion.pages.update({ page_id: page.id, in_trash: true });
  return pages.length;
}

/** Micro-dollars, exactly, as Postgres sums them; by a dimension when given. */
async function sqlMicros(where: string, by?: string): Promise<Record<string, number>> {
  const key = by ?? `'total'`;
  const { rows } = await h.db.pool.query<{ key: string; micros: string }>(
    `select ${key} as key, (sum(total_cost) * 1000000)::bigint::text as micros from token_usage_logs
      where total_cost is not null and ${where} group by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.micros)]));
}

const micros = (value: string | undefined) => Math.round(Number(value) * 1e6);

/** What each cost chart (and its dashboard widget) shows, in micro-dollars. */
async function chartFigures() {
  const response = await fetch(`${h.fake.url}/databases/${h.databases.daily_cost_breakdown}`);
  expect(response.status).toBe(200);
  const html = await response.text();
  const legend = (section: string) =>
    Object.fromEntries(tagsWith(section, 'data-series').filter((t) => t.class === 'legend-item').map((t) => [t['data-series']!, micros(t['data-value'])]));
  const figures = (widget: boolean) => {
    const daily = viewSection(html, 'Daily cost by service', { widget });
    const donut = viewSection(html, 'Cost by model', { widget });
    const month = viewSection(html, 'Month-to-date cost', { widget });
    return {
      daily: micros(chartAttributes(daily)['data-total']),
      byService: legend(daily),
      byModel: legend(donut),
      donut: micros(chartAttributes(donut)['data-total']),
      monthToDate: micros(chartAttributes(month)['data-total']),
    };
  };
  // The dashboard lives in Daily Costs, and Token Usage Logs draws no chart at all.
  const logs = await (await fetch(`${h.fake.url}/databases/${h.databases.token_usage_logs}`)).text();
  expect(logs).not.toContain('<figure class="chart"');
  expect(tagsWith(html, 'data-view').map((t) => t['data-view'])).toContain('Cost dashboard');
  return { views: figures(false), widgets: figures(true) };
}

async function expectChartsEqualSql() {
  const all = await sqlMicros('true');
  const byService = await sqlMicros('true', 'service_type');
  const byModel = await sqlMicros('true', 'model');
  const month = await sqlMicros(`created_at >= '${monthStart}T00:00:00Z'`);
  const shown = await chartFigures();
  for (const figures of [shown.views, shown.widgets]) {
    expect(figures.daily).toBe(all.total);
    expect(figures.donut).toBe(all.total);
    expect(figures.byService).toEqual(byService);
    expect(figures.byModel).toEqual(byModel);
    expect(figures.monthToDate).toBe(month.total ?? 0);
  }
  return all.total!;
}

beforeAll(async () => {
  h = await startSyncHarness();
  await insertLogs(h.db.pool, history(400));
  await rollUpAndSync({ logs: true });
}, 120_000);
afterAll(() => h?.close());

describe('the cost charts', () => {
  it('equal SQL to the micro-dollar with every raw-log page in the trash', async () => {
    const before = await expectChartsEqualSql();
    expect(await trashEveryLogPage()).toBeGreaterThan(100);
    expect(h.fake.state.pages(h.dataSources.token_usage_logs)).toHaveLength(0);
    expect(await expectChartsEqualSql()).toBe(before);
    // The month-to-date chart covers only this month's days, and there are earlier ones.
    const shown = await chartFigures();
    expect(shown.views.monthToDate).toBeLessThan(shown.views.daily);
  });

  it('stay equal after a changed, a deleted and a late row in a closed day, with the raw-log pages still gone', async () => {
    const { rows } = await h.db.pool.query<{ id: string }>(`select id from token_usage_logs where total_cost is not null order by created_at limit 2`);
    await h.db.pool.query(`update token_usage_logs set total_cost = total_cost + 0.000001, input_cost = input_cost + 0.000001 where id = $1`, [rows[0]!.id]);
    await h.db.pool.query(`delete from token_usage_logs where id = $1`, [rows[1]!.id]);
    await insertLogs(h.db.pool, [
      { created_at: new Date(now.getTime() - 20 * DAY_MS).toISOString(), service_type: 'workflow', provider: 'openai', model: 'o3', input_cost: 1.234567, output_cost: 0.000001, total_cost: 1.234568 },
    ]);
    await rollUpAndSync({ logs: false });
    await expectChartsEqualSql();
    expect((await chartFigures()).views.byModel.o3).toBe(1_234_568);

    // The only call of its day × service × model deleted: the row goes, and its page with it (a tombstone).
    await h.db.pool.query(`delete from token_usage_logs where model = 'o3'`);
    await rollUpAndSync({ logs: false });
    await expectChartsEqualSql();
    expect((await chartFigures()).views.byModel).not.toHaveProperty('o3');
  });
});
