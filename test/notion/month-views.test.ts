/**
 * The month-to-date chart names the month's first day (Notion has no relative
 * "this month"): the worker moves it, in the view and in its dashboard widget,
 * when the month turns, and sends nothing otherwise.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { specOf } from '../../src/notion/catalogue/index.js';
import { createNotionClient } from '../../src/notion/client.js';
import { moveMonthViews } from '../../src/notion/month-views.js';
import { readLiveSchema, readLiveViews } from '../../src/notion/provision/live.js';
import { planSchema } from '../../src/notion/provision/plan-schema.js';
import { planViews } from '../../src/notion/provision/plan-views.js';
import { provisionNotion, type NotionIdsOf, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];

let fake: NotionFake;
let costs: NotionIdsOf;
const client = () => createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 });

beforeEach(async () => {
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }] });
  const result = await provisionNotion({ client: client(), parentPageId: PARENT, recorded: NO_IDS, envFile: undefined, timezone: 'UTC', now: new Date('2026-11-20T12:00:00Z') });
  costs = result.databases.daily_cost_breakdown!;
  fake.resetStats();
});
afterEach(() => fake.close());

const updates = () => fake.count({ method: 'PATCH', route: '/v1/views/:view_id' });
const filtersOf = (name: string) =>
  (fake.state.views(costs.databaseId) as { name: string; filter?: { date?: { on_or_after?: string } } | null }[])
    .filter((v) => v.name === name)
    .map((v) => v.filter?.date?.on_or_after);
const move = (now: string, timezone = 'UTC') =>
  moveMonthViews({ client: client(), recorded: { daily_cost_breakdown: { dataSourceId: costs.dataSourceId } }, timezone, now: new Date(now) });

describe('moveMonthViews', () => {
  it('moves the view and its dashboard widget to the new month, and leaves the other views alone', async () => {
    expect(filtersOf('Month-to-date cost')).toEqual(['2026-11-01', '2026-11-01']);
    const result = await move('2026-12-01T00:30:00Z');
    expect(result).toEqual({
      monthStart: '2026-12-01',
      moved: ['Daily Costs: Month-to-date cost', 'Daily Costs: Month-to-date cost (dashboard widget)'],
      skipped: [],
    });
    expect(filtersOf('Month-to-date cost')).toEqual(['2026-12-01', '2026-12-01']);
    expect(updates()).toBe(2);
    // No block was created: views are edited in place.
    expect(fake.count({ method: 'POST' })).toBe(0);

    // setup:notion and verify agree that the workspace matches December.
    const spec = specOf('daily_cost_breakdown');
    const ids = planSchema(spec, await readLiveSchema(client(), costs.dataSourceId, spec.title)).ids;
    expect(planViews(spec, await readLiveViews(client(), costs.databaseId, spec.title), (k) => ids.get(k)!, { monthStart: '2026-12-01' })).toEqual([]);
  });

  it('sends no update within the same month, and follows the report time zone', async () => {
    expect((await move('2026-11-30T23:30:00Z')).moved).toEqual([]);
    // Still November in New York.
    expect((await move('2026-12-01T03:00:00Z', 'America/New_York')).moved).toEqual([]);
    expect(updates()).toBe(0);
  });

  it('finds a renamed view by its configuration and moves only its filter', async () => {
    const notion = client();
    const view = (fake.state.views(costs.databaseId) as { id: string; name: string; dashboard_view_id?: string | null }[]).find(
      (v) => v.name === 'Month-to-date cost' && !v.dashboard_view_id,
    )!;
    await notion.views.update({ view_id: view.id, name: 'This month' });
    await move('2027-01-05T10:00:00Z');
    expect(filtersOf('This month')).toEqual(['2027-01-01']);
  });

  it('says why when Daily Costs is not provisioned', async () => {
    const result = await moveMonthViews({ client: client(), recorded: {}, timezone: 'UTC', now: new Date('2026-12-02T00:00:00Z') });
    expect(result.skipped).toEqual(['Daily Costs: not provisioned; run npm run setup:notion']);
    expect(fake.count()).toBe(0);
  });
});
