/**
 * Every Notion page is a block, and some workspaces have a lifetime cap on
 * blocks: pages are written over rather than created whenever one can be.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runReportJob } from '../../src/jobs/reporting.js';
import { createNotionClient } from '../../src/notion/client.js';
import { insertRows, type Row } from '../support/fixtures.js';
import { PARENT, pagesByKey, plainOf, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(() => h.close());

const DATASET = 'service_performance_metrics';
const day = (offset: number) => new Date(Date.UTC(2026, 10, 15) + offset * 86_400_000).toISOString().slice(0, 10);

/** One rollup row per day (a service of its own per test, so tests do not meet). */
async function metrics(service: string, offsets: number[], cost = 1.5): Promise<Row[]> {
  return insertRows(
    h.db.pool,
    DATASET,
    offsets.map((offset) => ({
      metric_date: day(offset), service_type: service, total_requests: 10, successful_requests: 9, failed_requests: 1,
      success_rate: 0.9, prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200, total_cost: cost,
      avg_cost_per_request: cost / 10, avg_latency_ms: 850, p95_latency_ms: 1200, unique_users: 3, unique_sessions: 4,
    })),
  );
}

const creates = () => h.fake.count({ method: 'POST', route: '/v1/pages' });
const updates = () => h.fake.count({ method: 'PATCH', route: '/v1/pages/:page_id' });

/** Live pages of the dataset, as Supabase ID → the day they show. */
function liveDays(): Map<string, string> {
  const pages = pagesByKey(h.fake, h.dataSources[DATASET]);
  return new Map([...pages].map(([key, [page]]) => [key, String(plainOf(page!.properties.Date))]));
}

describe('page recycling', () => {
  beforeEach(async () => {
    await h.db.pool.query('delete from public.service_performance_metrics');
    await h.engine().runPass(DATASET);
    h.fake.resetStats();
  });

  it("writes a new row over the page of a deleted one instead of creating a page", async () => {
    const [first, second] = await metrics(`svc-${randomUUID().slice(0, 6)}`, [-1, -2]);
    await h.engine().runPass(DATASET);
    const pagesBefore = h.fake.state.pageCount(h.dataSources[DATASET], { includeTrashed: true });

    await h.db.pool.query('delete from public.service_performance_metrics where id = $1', [first!.id]);
    expect((await h.engine().runPass(DATASET)).trashed).toBe(1);
    h.fake.resetStats();
    const [third] = await metrics(`svc-${randomUUID().slice(0, 6)}`, [-3]);
    const summary = await h.engine().runPass(DATASET);

    expect(summary.failed).toEqual([]);
    expect(creates()).toBe(0);
    expect(updates()).toBe(1);
    expect(h.fake.state.pageCount(h.dataSources[DATASET], { includeTrashed: true })).toBe(pagesBefore);
    expect(liveDays()).toEqual(new Map([[second!.id as string, day(-2)], [third!.id as string, day(-3)]]));
  });

  it('keeps the newest rows under a page budget, writing them over the oldest rows’ pages', async () => {
    const engine = () => h.engine({ pageBudgets: { [DATASET]: 3 } });
    const service = `svc-${randomUUID().slice(0, 6)}`;
    const rows = await metrics(service, [-5, -4, -3, -2, -1]);
    const first = await engine().runPass(DATASET);
    expect(first.failed).toEqual([]);
    expect(first.skipped).toBe(2);
    // Three writes (pages trashed by earlier tests are reused before any is created).
    expect(creates() + updates()).toBe(3);
    expect([...liveDays().values()].sort()).toEqual([day(-3), day(-2), day(-1)]);

    h.fake.resetStats();
    const [today] = await metrics(service, [0]);
    await engine().runPass(DATASET);
    expect(creates()).toBe(0);
    expect(updates()).toBe(1);
    expect([...liveDays().values()].sort()).toEqual([day(-2), day(-1), day(0)]);
    expect(liveDays().get(today!.id as string)).toBe(day(0));

    // Rows left out stay out: a pass over unchanged rows writes nothing, and a change
    // to a row older than every kept one is recorded, not written.
    h.fake.resetStats();
    await h.db.pool.query('update public.service_performance_metrics set total_cost = 2 where id = $1', [rows[0]!.id]);
    await h.db.pool.query('update tokensync.sync_checkpoints set after_updated_at = null, after_id = null where dataset = $1', [DATASET]);
    const again = await engine().runPass(DATASET);
    expect(again.failed).toEqual([]);
    expect(creates() + updates()).toBe(0);
    expect(liveDays().size).toBe(3);

    // A change to a kept row is written in place.
    await h.db.pool.query('update public.service_performance_metrics set total_cost = 3 where id = $1', [today!.id]);
    await engine().runPass(DATASET);
    expect(creates()).toBe(0);
    expect(updates()).toBe(1);
    const page = pagesByKey(h.fake, h.dataSources[DATASET]).get(today!.id as string)![0]!;
    expect(plainOf(page.properties['Total Cost'])).toBe(3);
  });

  it('keeps whole days under a page budget, so no chart in Notion sums part of a day', async () => {
    const engine = () => h.engine({ pageBudgets: { [DATASET]: 5 } });
    const [a, b, c] = ['a', 'b', 'c'].map((s) => `svc-${s}-${randomUUID().slice(0, 6)}`) as [string, string, string];
    const daysShown = () => [...liveDays().values()].sort();
    const old = await metrics(a, [-4, -3, -2, -1]);
    await metrics(b, [-4, -3, -2, -1]);

    // Five pages hold two days of two services, not two and a half.
    const first = await engine().runPass(DATASET);
    expect(first).toMatchObject({ skipped: 4, failed: [] });
    expect(daysShown()).toEqual([day(-2), day(-2), day(-1), day(-1)]);

    // A new day takes the oldest day's pages, both of them, in place.
    h.fake.resetStats();
    await metrics(a, [0]);
    await metrics(b, [0]);
    expect(await engine().runPass(DATASET)).toMatchObject({ skipped: 0, failed: [] });
    expect(creates()).toBe(0);
    expect(updates()).toBe(2);
    expect(daysShown()).toEqual([day(-1), day(-1), day(0), day(0)]);

    // A day that gave its pages up stays out, even where a page would fit: a row
    // that appears for it, or one of its rows that changes, is left out.
    h.fake.resetStats();
    await metrics(c, [-2]);
    await h.db.pool.query('update public.service_performance_metrics set total_cost = 9 where id = $1', [old[2]!.id]);
    expect(await engine().runPass(DATASET)).toMatchObject({ skipped: 2, failed: [] });
    expect(creates() + updates()).toBe(0);
    expect(daysShown()).toEqual([day(-1), day(-1), day(0), day(0)]);

    // A newer day with room to spare is written in full.
    await metrics(c, [0]);
    expect(await engine().runPass(DATASET)).toMatchObject({ skipped: 0, failed: [] });
    expect(daysShown()).toEqual([day(-1), day(-1), day(0), day(0), day(0)]);
  });

  it('says on the report page when Daily Costs gave up days of this month, which month-to-date then leaves out', async () => {
    const costs = (metricDate: string, model: string) => ({
      metric_date: metricDate, service_type: 'workflow', provider: 'openai', model, requests: 1, failed_requests: 0, unpriced_requests: 0,
      prompt_tokens: 10, completion_tokens: 2, cached_tokens: 0, total_tokens: 12, input_cost: 0.5, output_cost: 0.25, total_cost: 0.75,
    });
    const days = ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14'];
    await insertRows(h.db.pool, 'daily_cost_breakdown', days.flatMap((d) => [costs(d, 'gpt-4o'), costs(d, 'o3')]));
    // Six pages: the three newest days, whole; the 10th and 11th gave theirs up.
    expect(await h.engine({ pageBudgets: { daily_cost_breakdown: 6 } }).runPass('daily_cost_breakdown')).toMatchObject({ skipped: 4, failed: [] });
    expect(await h.source.evictedThrough('daily_cost_breakdown')).toBe('2026-11-11');

    const client = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url });
    const textOf = (pageId: string) => (h.fake.state.blocks(pageId) as Record<string, any>[])
      .map((b) => ((b[b.type]?.rich_text ?? []) as { plain_text: string }[]).map((t) => t.plain_text).join('')).join('\n');
    const during = await runReportJob(h.source, { client, parentPageId: PARENT, timezone: 'UTC', now: new Date('2026-11-15T12:00:00Z') });
    expect(textOf(during.pageId!)).toContain('the month-to-date chart and the Cost dashboard leave out 2026-11-01 – 2026-11-11 (11 days)');
    // Next month, those days are no longer the month's: nothing to say.
    const after = await runReportJob(h.source, { client, parentPageId: PARENT, timezone: 'UTC', now: new Date('2026-12-02T12:00:00Z') });
    expect(textOf(after.pageId!)).not.toContain('month-to-date chart');
  });

  it('finds the page again when the one on record is gone for good', async () => {
    const [row] = await metrics(`svc-${randomUUID().slice(0, 6)}`, [-1]);
    await h.engine().runPass(DATASET);
    const [live] = pagesByKey(h.fake, h.dataSources[DATASET]).get(row!.id as string)!;
    // The recorded page no longer exists in Notion (its trash was emptied), and the row changed.
    await h.db.pool.query('update tokensync.notion_sync_state set page_id = $2 where key = $1', [row!.id, randomUUID()]);
    await h.db.pool.query('update public.service_performance_metrics set total_cost = 4 where id = $1', [row!.id]);
    h.fake.resetStats();

    const summary = await h.engine().runPass(DATASET);
    expect(summary.failed).toEqual([]);
    expect(creates()).toBe(0);
    const pages = pagesByKey(h.fake, h.dataSources[DATASET]).get(row!.id as string)!;
    expect(pages.map((p) => p.id)).toEqual([live!.id]);
    expect(plainOf(pages[0]!.properties['Total Cost'])).toBe(4);
  });
});
