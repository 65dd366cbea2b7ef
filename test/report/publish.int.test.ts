import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNotionClient } from '../../src/notion/client.js';
import { publishReport } from '../../src/report/publish.js';
import { REPORT_TITLE } from '../../src/report/render.js';
import { startNotionFake, type NotionFake } from '../../src/sandbox/notion/index.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const AT = '2026-11-19T11:00:00Z';

let db: TestDatabase;
let source: SupabaseSource;
let fake: NotionFake;

beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }] });
  await insertLimits(db.pool, [{ daily_limit: 20, monthly_limit: 200, breach_action: 'alert' }]);
  await insertLogs(db.pool, [
    { created_at: '2026-11-03T10:00:00Z', total_cost: 41.255 },
    { created_at: '2026-11-10T10:00:00Z', total_cost: 10.1, model: 'gpt-4o-mini' },
    { created_at: '2026-11-17T10:00:00Z', total_cost: 30.333333, service_type: 'virtual_panel' },
    { created_at: '2026-11-19T09:00:00Z', total_cost: 5.004999, user_id: 'user-2' },
  ]);
});
afterAll(async () => {
  await source.close();
  await fake.close();
  await db.drop();
});

const client = () => createNotionClient({ token: fake.token, baseUrl: fake.url });
const writes = () => fake.stats().entries.filter((e) => e.method !== 'GET' && !e.route.endsWith('/query')).reduce((n, e) => n + e.count, 0);

/** Every line of the report as plain text, from the fake's stored blocks. */
function reportLines(pageId: string): string[] {
  const plain = (block: Record<string, any>) => (block[block.type]?.rich_text ?? []).map((t: { plain_text: string }) => t.plain_text).join('');
  const lines: string[] = [];
  for (const block of fake.state.blocks(pageId) as Record<string, any>[]) {
    lines.push(plain(block));
    for (const child of fake.state.blocks(block.id) as Record<string, any>[]) lines.push(plain(child));
  }
  return lines;
}

it('creates the report page with every figure equal to SQL’s, to the cent', async () => {
  const figures = await source.reportFigures({ at: AT, timezone: 'UTC' });
  const first = await publishReport({ client: client(), parentPageId: PARENT, figures });
  expect(first).toMatchObject({ created: true, written: true });

  const page = fake.state.page(first.pageId) as Record<string, any>;
  expect(page.parent).toMatchObject({ page_id: PARENT });
  const lines = reportLines(first.pageId);
  const cents = (usd: number) => `$${(Math.round(usd * 100) / 100).toFixed(2)}`;
  // Month to date = 41.255 + 10.1 + 30.333333 + 5.004999 = 86.693332 → $86.69.
  expect(figures.month.spent).toBe(86.693332);
  expect(lines).toContain(`Month to date: ${cents(figures.month.spent)}`);
  expect(lines).toContain('Month to date: $86.69');
  expect(lines).toContain(`Projected month end: ${cents(figures.month.projected!)}`);
  expect(lines.some((l) => l.startsWith(`This week: ${cents(figures.week.spent)} (last week over the same days ${cents(figures.week.last_week_same_span)}`))).toBe(true);
  expect(lines).toContain('workflow: $5.00 (−50% vs last week, same days)');
  expect(lines).toContain(`organization mvp · monthly: ${cents(86.693332)} of $200.00 (43.35%)`);
  expect(lines[0]).toBe('LLM costs at a glance · updated 2026-11-19 11:00 (UTC)');
  expect(lines).toContain('What changed');
});

it('refreshes in place: two writes when the figures changed, none when they did not, and keeps what people added', async () => {
  const notion = client();
  const figures = await source.reportFigures({ at: AT, timezone: 'UTC' });
  const before = await publishReport({ client: notion, parentPageId: PARENT, figures });
  await notion.blocks.children.append({ block_id: before.pageId, children: [{ type: 'paragraph', paragraph: { rich_text: [{ type: 'text', text: { content: 'Notes from finance' } }] } }] as never });

  fake.resetStats();
  const same = await publishReport({ client: notion, parentPageId: PARENT, figures, previousHash: before.hash });
  expect(same).toMatchObject({ written: false, pageId: before.pageId });
  expect(writes()).toBe(0);

  await insertLogs(db.pool, [{ created_at: '2026-11-19T10:00:00Z', total_cost: 12 }]);
  const changed = await publishReport({ client: notion, parentPageId: PARENT, figures: await source.reportFigures({ at: AT, timezone: 'UTC' }), previousHash: before.hash });
  expect(changed).toMatchObject({ written: true, created: false, pageId: before.pageId });
  expect(writes()).toBe(2);

  const top = fake.state.blocks(before.pageId) as Record<string, any>[];
  expect(top.map((b) => b.type)).toEqual(['callout', 'paragraph']);
  expect(reportLines(before.pageId)).toContain('Month to date: $98.69');
  expect(fake.state.databases(PARENT)).toEqual([]);
  expect((fake.state.blocks(PARENT) as Record<string, any>[]).filter((b) => b.child_page?.title === REPORT_TITLE)).toHaveLength(1);
});
