import { afterAll, beforeAll, expect, it } from 'vitest';
import { runReportJob } from '../../src/jobs/reporting.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { LINES_PER_BLOCK } from '../../src/report/layout.js';
import { publishReport } from '../../src/report/publish.js';
import { MAX_SECTION_LINES, REPORT_TITLE } from '../../src/report/render.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createCreationGate, readCreationStatus } from '../../src/sync/creation.js';
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
const figures = () => source.reportFigures({ at: AT, timezone: 'UTC' });
const writes = () => fake.stats().entries.filter((e) => e.method !== 'GET' && !e.route.endsWith('/query')).reduce((n, e) => n + e.count, 0);
const blocksCreated = () => fake.state.blockUsage().created;
type Block = Record<string, any>;
const plain = (block: Block) => (block[block.type]?.rich_text ?? []).map((t: { plain_text: string }) => t.plain_text).join('');

/** Every line of the report as plain text (bullets dropped), from the fake's stored blocks. */
function reportLines(pageId: string): string[] {
  return (fake.state.blocks(pageId) as Block[]).flatMap((b) => plain(b).split('\n')).map((l: string) => l.replace(/^• /, ''));
}

/** The paragraph under a section's heading, in order. */
function sectionBodies(pageId: string, title: string): Block[] {
  const blocks = fake.state.blocks(pageId) as Block[];
  const start = blocks.findIndex((b) => b.type === 'heading_3' && plain(b) === title);
  const bodies: Block[] = [];
  for (const b of blocks.slice(start + 1)) {
    if (b.type !== 'paragraph') break;
    bodies.push(b);
  }
  return bodies;
}

async function removeReportPage(): Promise<void> {
  for (const b of fake.state.blocks(PARENT) as Block[]) if (b.child_page?.title === REPORT_TITLE) await client().blocks.delete({ block_id: b.id });
}

it('creates the report page with every figure equal to SQL’s, to the cent', async () => {
  const f = await figures();
  const first = await publishReport({ client: client(), parentPageId: PARENT, figures: f });
  expect(first).toMatchObject({ created: true, written: true, blocksCreated: 1 + 1 + 7 * 2 + 1 });

  const page = fake.state.page(first.pageId!) as Block;
  expect(page.parent).toMatchObject({ page_id: PARENT });
  const lines = reportLines(first.pageId!);
  const cents = (usd: number) => `$${(Math.round(usd * 100) / 100).toFixed(2)}`;
  // Month to date = 41.255 + 10.1 + 30.333333 + 5.004999 = 86.693332 → $86.69.
  expect(f.month.spent).toBe(86.693332);
  expect(lines).toContain(`Month to date: ${cents(f.month.spent)}`);
  expect(lines).toContain('Month to date: $86.69');
  expect(lines).toContain(`Projected month end: ${cents(f.month.projected!)}`);
  expect(lines.some((l) => l.startsWith(`This week: ${cents(f.week.spent)} (last week over the same days ${cents(f.week.last_week_same_span)}`))).toBe(true);
  expect(lines).toContain('workflow: $5.00 (−50% vs last week, same days)');
  expect(lines).toContain(`organization mvp · monthly: ${cents(86.693332)} of $200.00 (43.35%)`);
  expect(lines[0]).toBe('LLM costs at a glance · updated 2026-11-19 11:00 (UTC)');
  expect(lines).toContain('What changed');
  expect((fake.state.blocks(first.pageId!) as Block[]).map((b) => b.type)).toEqual([
    'callout', ...Array.from({ length: 7 }, () => ['heading_3', 'paragraph']).flat(), 'divider',
  ]);
});

it('refreshes in place: changed blocks are updated, none created or deleted, unchanged content costs nothing, notes below stay', async () => {
  const notion = client();
  const before = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures() });
  await notion.blocks.children.append({ block_id: before.pageId!, children: [{ type: 'paragraph', paragraph: { rich_text: [{ type: 'text', text: { content: 'Notes from finance' } }] } }] as never });

  fake.resetStats();
  const same = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), previousHash: before.hash });
  expect(same).toMatchObject({ written: false, pageId: before.pageId });
  expect(writes()).toBe(0);

  const created = blocksCreated();
  await insertLogs(db.pool, [{ created_at: '2026-11-19T10:00:00Z', total_cost: 12 }]);
  const changed = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), previousHash: before.hash });
  expect(changed).toMatchObject({ written: true, created: false, pageId: before.pageId, blocksCreated: 0 });
  expect(changed.blocksUpdated).toBeGreaterThan(0);
  expect(writes()).toBe(changed.blocksUpdated);
  expect(fake.count({ method: 'PATCH', route: '/v1/blocks/:block_id' })).toBe(changed.blocksUpdated);
  expect(blocksCreated()).toBe(created);

  const top = fake.state.blocks(before.pageId!) as Block[];
  expect(top.at(-1)).toMatchObject({ type: 'paragraph' });
  expect(plain(top.at(-1)!)).toBe('Notes from finance');
  expect(reportLines(before.pageId!)).toContain('Month to date: $98.69');
  expect(fake.state.databases(PARENT)).toEqual([]);
  expect((fake.state.blocks(PARENT) as Block[]).filter((b) => b.child_page?.title === REPORT_TITLE)).toHaveLength(1);
});

it('creates blocks only when a section outgrows its paragraphs, and none over many refreshes after', async () => {
  const notion = client();
  const first = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures() });
  const pageId = first.pageId!;
  const start = blocksCreated();

  // More budgets than one block holds (> 100 lines): the section gets a second paragraph, once.
  await insertLimits(db.pool, Array.from({ length: LINES_PER_BLOCK + 30 }, (_, i) => ({ entity_type: 'user', entity_id: `user-${i}`, monthly_limit: 10 + i })));
  const many = await figures();
  expect(many.budgets.length).toBeGreaterThan(LINES_PER_BLOCK);
  const grown = await publishReport({ client: notion, parentPageId: PARENT, figures: many, previousHash: first.hash });
  expect(grown.blocksCreated).toBe(1);
  expect(sectionBodies(pageId, 'Budget utilisation').map((b) => b.paragraph.rich_text.length)).toEqual([LINES_PER_BLOCK, many.budgets.length - LINES_PER_BLOCK]);
  expect(reportLines(pageId)).toContain('user user-129 · monthly: $0.00 of $139.00 (0%)');

  // Many refreshes with changing figures, budgets coming and going: the footprint stays.
  let hash = grown.hash;
  for (let i = 0; i < 6; i += 1) {
    await insertLogs(db.pool, [{ created_at: '2026-11-19T10:30:00Z', total_cost: 1 + i, user_id: `user-${i}` }]);
    if (i === 2) await db.pool.query(`update budget_limits set is_active = false where entity_type = 'user'`);
    if (i === 4) await db.pool.query(`update budget_limits set is_active = true where entity_type = 'user'`);
    const refreshed = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), previousHash: hash });
    expect(refreshed).toMatchObject({ written: true, blocksCreated: 0, pageId });
    hash = refreshed.hash;
    if (i === 2) {
      // The surplus paragraph is blanked, not deleted: it is there for the next time.
      expect(sectionBodies(pageId, 'Budget utilisation').map((b) => b.paragraph.rich_text.length)).toEqual([many.budgets.length - (LINES_PER_BLOCK + 30), 0]);
    }
  }
  expect(blocksCreated()).toBe(start + 1);
  expect(sectionBodies(pageId, 'Budget utilisation')).toHaveLength(2);
  await db.pool.query(`delete from budget_limits where entity_type = 'user'`);
});

it('while no block can be created, fits into the blocks it has and says what it left out', async () => {
  const notion = client();
  // A new page: one paragraph per section, so the budgets below need a second one.
  await removeReportPage();
  const first = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures() });
  const pageId = first.pageId!;
  const bodies = sectionBodies(pageId, 'Budget utilisation').length;
  await insertLimits(db.pool, Array.from({ length: bodies * LINES_PER_BLOCK + 5 }, (_, i) => ({ entity_type: 'session', entity_id: `s-${i}`, monthly_limit: 1 })));
  fake.setBlockLimit({ lifetime: 0, graceMs: 0 });
  try {
    const fitted = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), previousHash: first.hash, canCreate: false, notices: ['Notion can create no more blocks'] });
    expect(fitted).toMatchObject({ written: true, blocksCreated: 0, truncated: true });
    expect(fake.count({ status: 403 })).toBe(0);
    const lines = reportLines(pageId);
    expect(lines[1]).toBe('⚠ Notion can create no more blocks');
    expect(lines.some((l) => /^… and \d+ more lines not shown: this Notion workspace can create no more blocks\.$/.test(l))).toBe(true);
    expect(sectionBodies(pageId, 'Budget utilisation')).toHaveLength(bodies);

    // Without a report page, nothing can be done until blocks can be created again.
    await removeReportPage();
    expect(await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), canCreate: false })).toMatchObject({ pageId: undefined, written: false });
  } finally {
    fake.setBlockLimit(false);
    await db.pool.query(`delete from budget_limits where entity_type = 'session'`);
  }
});

it('replaces the one-callout report of earlier versions once, keeping what people added', async () => {
  const notion = client();
  await removeReportPage();
  const text = (content: string) => [{ type: 'text', text: { content } }];
  const page = await notion.pages.create({
    parent: { type: 'page_id', page_id: PARENT },
    properties: { title: { title: text(REPORT_TITLE) } } as never,
    children: [
      { type: 'callout', callout: { rich_text: text('LLM costs at a glance · updated 2026-11-18 09:00 (UTC)'), children: [{ type: 'paragraph', paragraph: { rich_text: text('old') } }] } },
      { type: 'paragraph', paragraph: { rich_text: text('Notes from finance') } },
    ] as never,
  });
  const migrated = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures(), previousHash: 'from an earlier version' });
  expect(migrated).toMatchObject({ pageId: page.id, written: true, blocksCreated: 1 + 7 * 2 + 1 });
  const top = fake.state.blocks(page.id) as Block[];
  expect(top[0]).toMatchObject({ type: 'callout', has_children: false });
  expect(top.filter((b) => b.type === 'callout')).toHaveLength(1);
  expect(plain(top.at(-1)!)).toBe('Notes from finance');

  const again = await publishReport({ client: notion, parentPageId: PARENT, figures: await figures() });
  expect(again).toMatchObject({ blocksCreated: 0 });
});

it('the report job: a block-limit refusal stops creation everywhere, and the report says so in place', async () => {
  const notion = client();
  const transport = createPostgresTransport({ databaseUrl: db.url });
  const creation = createCreationGate({ transport, logger: createLogger({ level: 'silent' }) });
  try {
    const first = await runReportJob(source, { client: notion, parentPageId: PARENT, timezone: 'UTC', now: new Date(AT), creation });
    expect(first).toMatchObject({ written: true, truncated: false });
    const pageId = first.pageId!;
    const bodies = sectionBodies(pageId, 'Budget utilisation').length;

    // The workspace runs out of blocks; the next report needs one more paragraph than the page has.
    fake.setBlockLimit({ lifetime: 0, graceMs: 0 });
    await insertLimits(db.pool, Array.from({ length: bodies * LINES_PER_BLOCK }, (_, i) => ({ entity_type: 'agent', entity_id: `agent-${i}`, monthly_limit: 1 })));
    const refused = await runReportJob(source, { client: notion, parentPageId: PARENT, timezone: 'UTC', now: new Date(AT), creation, previousHash: first.hash });
    expect(refused).toMatchObject({ pageId, written: true, blocksCreated: 0, truncated: true });
    expect(await readCreationStatus(transport)).toMatchObject({ stopped: true, refused: 1 });
    const lines = reportLines(pageId);
    expect(lines[1]).toMatch(/^⚠ Notion can create no more blocks in this workspace \(its block limit\) since .+ UTC: .* Fix: upgrade the Notion plan/);
    expect(sectionBodies(pageId, 'Budget utilisation')).toHaveLength(bodies);

    // Known from Postgres now: the next refresh sends no create at all.
    fake.resetStats();
    await runReportJob(source, { client: notion, parentPageId: PARENT, timezone: 'UTC', now: new Date(AT), creation, previousHash: refused.hash });
    expect(fake.count({ status: 403 })).toBe(0);
  } finally {
    fake.setBlockLimit(false);
    await transport.call('tokensync_notion_creation_resume', {});
    await db.pool.query(`delete from budget_limits where entity_type = 'agent'`);
    await transport.close();
  }
});

it.each([0, 1, 99, 100, 101, 1000])('writes a report of %i budget limits with 10,000-character names: no request refused, long lists cut with how many more and where', async (n) => {
  await removeReportPage();
  fake.resetStats();
  const base = await figures();
  const template = base.budgets[0]!;
  const name = (i: number) => `${'n'.repeat(10_000)}-${i}`;
  const many = {
    ...base,
    budgets: Array.from({ length: n }, (_, i) => ({ ...template, entityId: name(i), utilisationPct: i % 97 })),
    open_critical_alerts: Array.from({ length: Math.min(n, 300) }, (_, i) => ({ ...base.open_critical_alerts[0], message: `${'m'.repeat(10_000)} ${i}` })) as typeof base.open_critical_alerts,
  };
  const links = { budgetLimits: 'https://www.notion.so/0b6c3f3a9d1e4c478e2f1a2b3c4d5e6f' };
  const published = await publishReport({ client: client(), parentPageId: PARENT, figures: many, links });
  expect(published).toMatchObject({ written: true, created: true, truncated: false });
  expect(fake.count({ status: 400 })).toBe(0);
  expect(fake.count({ status: 413 })).toBe(0);

  const pageId = published.pageId!;
  const items = (fake.state.blocks(pageId) as Block[]).flatMap((b) => b[b.type]?.rich_text ?? []) as { plain_text: string; href: string | null }[];
  expect(Math.max(...items.map((t) => t.plain_text.length))).toBeLessThanOrEqual(2000);
  const budgetLines = sectionBodies(pageId, 'Budget utilisation').flatMap((b) => plain(b).split('\n')).filter((l) => l !== '');
  if (n === 0) expect(budgetLines).toEqual(['No active budget limits.']);
  else expect(budgetLines).toHaveLength(Math.min(n, MAX_SECTION_LINES) + (n > MAX_SECTION_LINES ? 1 : 0));
  // The most used first, so a list cut short keeps the ones that matter.
  if (n > 0) expect(budgetLines[0]).toContain(`(${Math.min(n - 1, 96)}%)`);
  if (n > MAX_SECTION_LINES) {
    expect(budgetLines.at(-1)).toBe(`… and ${n - MAX_SECTION_LINES} more, less used: every limit is in the Budget Limits database`);
    expect(items.find((t) => t.plain_text.includes(' more, less used'))?.href).toBe(links.budgetLimits);
  }
  expect(sectionBodies(pageId, 'Budget utilisation').length).toBeLessThanOrEqual(2);

  // The same report again, as a refresh: in place, nothing created, nothing refused.
  const again = await publishReport({ client: client(), parentPageId: PARENT, figures: many, links });
  expect(again).toMatchObject({ pageId, blocksCreated: 0 });
  // Read back as written, links included: at most the header's "updated" time changes.
  expect(again.blocksUpdated).toBeLessThanOrEqual(1);
  expect(fake.count({ status: 400 })).toBe(0);
}, 60_000);

it.each([
  ['one request', 1],
  ['several requests', 1000],
])('a create whose answer is lost (%s): the retry finds the page and completes it, never a second page', async (_, n) => {
  await removeReportPage();
  const base = await figures();
  const many = {
    ...base,
    budgets: Array.from({ length: n }, (_, i) => ({ ...base.budgets[0]!, entityId: `${'n'.repeat(10_000)}-${i}`, utilisationPct: i % 97 })),
  };
  // What a report written in one go shows, to compare the retried one with.
  const expected = await publishReport({ client: client(), parentPageId: PARENT, figures: many });
  const expectedLines = reportLines(expected.pageId!);
  await removeReportPage();

  fake.faults.loseResponses(1, { method: 'POST', route: '/v1/pages' });
  const lost = await publishReport({ client: client(), parentPageId: PARENT, figures: many }).then(() => undefined, (error: unknown) => error);
  expect(lost).toMatchObject({ retryable: true });
  const retried = await publishReport({ client: client(), parentPageId: PARENT, figures: many });

  const pages = (fake.state.blocks(PARENT) as Block[]).filter((b) => b.child_page?.title === REPORT_TITLE);
  expect(pages.map((p) => p.id)).toEqual([retried.pageId]);
  expect(reportLines(retried.pageId!)).toEqual(expectedLines);
}, 60_000);
