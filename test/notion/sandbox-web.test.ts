import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/notion/catalogue/index.js';
import { renderReport } from '../../src/report/render.js';
import { PARENT_PAGE_ID, text } from './sandbox-web-helpers.js';
import { addCall, addDay, attributes, databaseHtml, get, provisioned, tagsWith, viewSection, type Workspace } from './sandbox-web-helpers.js';

let ws: Workspace;
beforeEach(async () => {
  ws = await provisioned();
});
afterEach(() => ws.fake.close());

const FIGURES = {
  generated_at: '2026-11-20T11:00:00+00:00',
  timezone: 'UTC',
  today: { start: '', spent: 4.12, yesterday_same_time: 3.4, yesterday_total: 6.9 },
  week: { start: '', spent: 31.5, last_week_same_span: 24.2, last_week_total: 40.1 },
  month: { start: '', spent: 370.2, days_elapsed: 19.5, days_in_month: 30, projected: 555.3 },
  organization_budgets: [],
  top_services: [{ name: 'workflow', spent: 14.2, previous: 8.1, change: 6.1, change_pct: 75 }],
  top_models: [],
  top_users: [],
  drivers: [],
  budgets: [],
  open_critical_alerts: [],
};

/** The report page as the worker first publishes it. */
async function publishReportPage(): Promise<string> {
  const page = await ws.notion.pages.create({
    parent: { type: 'page_id', page_id: PARENT_PAGE_ID },
    icon: { type: 'emoji', emoji: '📊' },
    properties: { title: { title: text('LLM Cost Report') } },
    children: renderReport(FIGURES) as never,
  });
  return page.id;
}

const links = (html: string, attribute: string) => Object.fromEntries(tagsWith(html, attribute).map((t) => [t[attribute]!, t.href!]));

describe('the index', () => {
  it('links the six databases and the report, each one click away', async () => {
    const reportId = await publishReportPage();
    const home = await get(ws, '/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const databases = links(home.body, 'data-database-link');
    expect(Object.keys(databases).sort()).toEqual(CATALOGUE.map((s) => s.title).sort());
    expect(links(home.body, 'data-page-link')).toEqual({ 'LLM Cost Report': `/pages/${reportId}` });
    for (const [title, href] of Object.entries(databases)) {
      const page = await get(ws, href);
      expect(page.status, title).toBe(200);
      expect(tagsWith(page.body, 'data-database')[0]?.['data-database']).toBe(title);
    }
  });

  it('leaves out trashed databases and pages, and pages not shared with the integration', async () => {
    const reportId = await publishReportPage();
    await ws.notion.databases.update({ database_id: ws.ids.cost_alerts.databaseId, in_trash: true } as never);
    await ws.notion.pages.update({ page_id: reportId, in_trash: true });
    const home = await get(ws, '/');
    expect(Object.keys(links(home.body, 'data-database-link'))).not.toContain('Cost Alerts');
    expect(home.body).not.toContain('LLM Cost Report');
    expect(home.body).not.toContain('Not shared');
    expect((await get(ws, `/databases/${ws.ids.cost_alerts.databaseId}`)).status).toBe(404);
    expect((await get(ws, `/pages/${reportId}`)).status).toBe(404);
    expect((await get(ws, '/databases/not-an-id')).status).toBe(404);
  });
});

describe('a page', () => {
  it('shows the report: a header callout, then each section’s heading and its lines, then a divider', async () => {
    const reportId = await publishReportPage();
    await ws.notion.blocks.children.append({
      block_id: reportId,
      children: [{ bulleted_list_item: { rich_text: text('one') } }, { bulleted_list_item: { rich_text: text('two') } }],
    });
    const { status, body } = await get(ws, `/pages/${reportId}`);
    expect(status).toBe(200);
    expect(tagsWith(body, 'data-page')[0]?.['data-page']).toBe('LLM Cost Report');
    const report = body.slice(body.indexOf('data-block="callout"'));
    expect(report).toContain('LLM costs at a glance');
    const blocks = tagsWith(report, 'data-block').map((t) => t['data-block']);
    expect(blocks.slice(0, 5)).toEqual(['heading_3', 'paragraph', 'heading_3', 'paragraph', 'heading_3']);
    expect(blocks.slice(-3)).toEqual(['divider', 'bulleted_list_item', 'bulleted_list_item']);
    // A section's lines share one paragraph, one line each (white-space: pre-wrap keeps the breaks).
    expect(report).toContain('<p class="block" data-block="paragraph">• Spend is up 30% week over week');
    expect(report).toMatch(/• Month to date: \$[\d.,]+\n• /);
    // Consecutive items share one list.
    expect(report.match(/<ul class="block-list">/g)).toHaveLength(1);
  });

  it('shows dividers, numbered lists, tables and links to child databases', async () => {
    await ws.notion.blocks.children.append({
      block_id: PARENT_PAGE_ID,
      children: [
        { type: 'divider', divider: {} },
        { type: 'numbered_list_item', numbered_list_item: { rich_text: text('first') } },
        { type: 'numbered_list_item', numbered_list_item: { rich_text: text('second') } },
        { type: 'table', table: { table_width: 2, has_column_header: true, children: [
          { type: 'table_row', table_row: { cells: [text('Service'), text('Cost')] } },
          { type: 'table_row', table_row: { cells: [text('workflow'), text('$1.00')] } },
        ] } },
      ] as never,
    });
    const { body } = await get(ws, `/pages/${PARENT_PAGE_ID}`);
    expect(body).toContain('<hr class="divider" data-block="divider">');
    expect(body).toMatch(/<ol class="block-list"><li[^>]*>first<\/li><li[^>]*>second<\/li><\/ol>/);
    expect(body).toContain('<tr><th>Service</th><th>Cost</th></tr><tr><td>workflow</td><td>$1.00</td></tr>');
    expect(Object.keys(links(body, 'data-database-link'))).toHaveLength(CATALOGUE.length);
  });
});

describe('safety', () => {
  it('escapes page content everywhere it is shown', async () => {
    const evil = '<script>alert("x")</script>';
    await addCall(ws, { id: evil, at: '2026-11-02T10:00:00Z', service: '<img src=x onerror=alert(1)>', cost: 1 });
    await addDay(ws, { id: evil, day: '2026-11-02', service: '<img src=x onerror=alert(1)>', cost: 1 });
    await ws.notion.databases.update({ database_id: ws.ids.token_usage_logs.databaseId, title: text(`Logs ${evil}`) } as never);
    const page = await ws.notion.pages.create({
      parent: { type: 'page_id', page_id: PARENT_PAGE_ID },
      properties: { title: { title: text(evil) } },
      children: [{ type: 'paragraph', paragraph: { rich_text: [{ type: 'text', text: { content: 'click', link: { url: 'javascript:alert(1)' } } }] } }] as never,
    });
    for (const path of ['/', `/databases/${ws.ids.token_usage_logs.databaseId}`, `/pages/${page.id}`]) {
      const { body } = await get(ws, path);
      expect(body, path).not.toContain('<script');
      expect(body, path).not.toContain('<img');
      expect(body, path).not.toContain('javascript:');
      expect(body, path).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
    const database = await databaseHtml(ws, 'daily_cost_breakdown');
    expect(database).not.toContain('<img');
    expect(attributes(/<rect class="bar"[^>]*>/.exec(viewSection(database, 'Daily cost by service'))![0])['data-series']).toBe('<img src=x onerror=alert(1)>');
  });

  it('answers only GET and HEAD, needs no token, and leaves the API as it was', async () => {
    const before = ws.fake.count();
    const post = await get(ws, '/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await get(ws, `/pages/${PARENT_PAGE_ID}`, { method: 'DELETE' })).status).toBe(405);
    const head = await get(ws, `/databases/${ws.ids.cost_alerts.databaseId}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.get('content-security-policy')).toContain("default-src 'none'");
    // The web page is not an API request: the fake's statistics do not count it.
    expect(ws.fake.count()).toBe(before);

    const api = await get(ws, '/v1/users/me', { headers: { 'Notion-Version': '2025-09-03' } });
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ object: 'error', code: 'unauthorized' });
    expect((await get(ws, '/v1', {})).status).toBe(401);
  });
});
