import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addCall, addDay, addPage, chartAttributes, databaseHtml, provisioned, sectionAttributes, tagsWith, viewSection, type Workspace } from './sandbox-web-helpers.js';
import { text } from './sandbox-web-helpers.js';

let ws: Workspace;
beforeEach(async () => {
  ws = await provisioned();
});
afterEach(() => ws.fake.close());

const legend = (section: string) => Object.fromEntries(tagsWith(section, 'data-series').filter((t) => t.class === 'legend-item').map((t) => [t['data-series']!, t['data-value']!]));
const rowIds = (section: string) => tagsWith(section, 'data-page-id').map((t) => t['data-page-id']);

describe('chart views', () => {
  it('draw the sum of what was inserted, and follow trashing and updates', async () => {
    await addDay(ws, { id: 'a', day: '2026-11-02', service: 'workflow', model: 'gpt-4o', cost: 0.1 });
    const trashed = await addDay(ws, { id: 'b', day: '2026-11-02', service: 'virtual_panel', model: 'gpt-4o', cost: 0.2 });
    const updated = await addDay(ws, { id: 'c', day: '2026-11-05', service: 'workflow', model: 'claude-sonnet-4', cost: 1.234567 });

    let daily = viewSection(await databaseHtml(ws, 'daily_cost_breakdown'), 'Daily cost by service');
    expect(sectionAttributes(daily)['data-view-type']).toBe('chart');
    expect(chartAttributes(daily)).toMatchObject({ 'data-chart-type': 'column', 'data-total': '1.534567' });
    expect(legend(daily)).toEqual({ virtual_panel: '0.2', workflow: '1.334567' });
    // One column per day from the first to the last, the empty ones included.
    expect(chartAttributes(daily)['data-groups']).toBe('4');

    await ws.notion.pages.update({ page_id: trashed, in_trash: true });
    await ws.notion.pages.update({ page_id: updated, properties: { 'Total Cost': { number: 2 } } as never });
    const html = await databaseHtml(ws, 'daily_cost_breakdown');
    daily = viewSection(html, 'Daily cost by service');
    expect(chartAttributes(daily)['data-total']).toBe('2.1');
    expect(legend(daily)).toEqual({ workflow: '2.1' });
    // The dashboard's widget is the same chart, drawn from the same rows.
    expect(chartAttributes(viewSection(html, 'Daily cost by service', { widget: true }))['data-total']).toBe('2.1');
  });

  it('draw a donut by model and a running total only of the rows the view’s filter selects', async () => {
    await addDay(ws, { id: 'october', day: '2026-10-31', model: 'gpt-4o', cost: 5 });
    await addDay(ws, { id: 'n1', day: '2026-11-01', model: 'gpt-4o', cost: 1.5 });
    await addDay(ws, { id: 'n2', day: '2026-11-03', model: 'claude-sonnet-4', cost: 2.25 });
    const html = await databaseHtml(ws, 'daily_cost_breakdown');

    const donut = viewSection(html, 'Cost by model');
    expect(chartAttributes(donut)).toMatchObject({ 'data-chart-type': 'donut', 'data-total': '8.75' });
    expect(legend(donut)).toEqual({ 'gpt-4o': '6.5', 'claude-sonnet-4': '2.25' });

    const month = viewSection(html, 'Month-to-date cost');
    expect(sectionAttributes(month)['data-rows']).toBe('2');
    expect(chartAttributes(month)).toMatchObject({ 'data-chart-type': 'line', 'data-total': '3.75' });
    // Cumulative: each day's point is the running total, ending at the total.
    expect(tagsWith(month, 'data-value').filter((t) => t.class === 'point').map((t) => t['data-value'])).toEqual(['1.5', '1.5', '3.75']);
  });

  it('are not drawn from the raw-log pages any more: Token Usage Logs shows tables only', async () => {
    await addCall(ws, { id: 'x', at: '2026-11-02T10:00:00Z', cost: 3 });
    const html = await databaseHtml(ws, 'token_usage_logs');
    expect(html).not.toContain('<figure class="chart"');
    expect(sectionAttributes(viewSection(html, 'Most expensive calls'))).toMatchObject({ 'data-view-type': 'table', 'data-rows': '1' });
  });

  it('draw bars of the maximum per entity with the reference line', async () => {
    const limit = (entity: string, utilisation: number) => addPage(ws, 'budget_limits', { Name: { title: text(`service · ${entity}`) }, 'Entity ID': { rich_text: text(entity) }, 'Monthly Utilisation': { number: utilisation } });
    await limit('workflow', 0.5);
    await limit('workflow', 0.8);
    await limit('virtual_panel', 1.25);
    const chart = viewSection(await databaseHtml(ws, 'budget_limits'), 'Monthly utilisation');
    expect(chartAttributes(chart)).toMatchObject({ 'data-chart-type': 'bar', 'data-total': '2.05' });
    expect(tagsWith(chart, 'data-x').map((t) => [t['data-x'], t['data-value']])).toEqual([['virtual_panel', '1.25'], ['workflow', '0.8']]);
    expect(tagsWith(chart, 'data-reference').map((t) => t['data-reference'])).toEqual(['1']);
    expect(chart).toContain('>Limit</text>');
  });
});

describe('table views', () => {
  it('count only the rows the filter selects, in the view’s sort order', async () => {
    const ok = await addCall(ws, { id: 'ok', at: '2026-11-02T10:00:00Z', success: true });
    const early = await addCall(ws, { id: 'early', at: '2026-11-01T10:00:00Z', success: false });
    const late = await addCall(ws, { id: 'late', at: '2026-11-09T10:00:00Z', success: false });
    const middle = await addCall(ws, { id: 'middle', at: '2026-11-04T10:00:00Z', success: false });
    const html = await databaseHtml(ws, 'token_usage_logs');

    const failed = viewSection(html, 'Failed calls');
    expect(sectionAttributes(failed)).toMatchObject({ 'data-view-type': 'table', 'data-rows': '3' });
    expect(rowIds(failed)).toEqual([late, middle, early]);
    expect(rowIds(viewSection(html, 'All calls'))).toEqual([late, middle, ok, early]);
  });

  it('show 50 rows and say how many more there are, counting all of them', async () => {
    for (let i = 0; i < 53; i += 1) await addCall(ws, { id: `r${i}`, at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z` });
    const all = viewSection(await databaseHtml(ws, 'token_usage_logs'), 'All calls');
    expect(sectionAttributes(all)['data-rows']).toBe('53');
    expect(tagsWith(all, 'data-rows')[1]?.['data-rows']).toBe('53');
    expect(rowIds(all)).toHaveLength(50);
    expect(all).toContain('and 3 more');
  });

  it('format values by type: dollars, percent, commas, dates, ticks and coloured chips', async () => {
    await addPage(ws, 'cost_alerts', {
      Alert: { title: text('workflow at 90%') }, Severity: { select: { name: 'critical' } }, Threshold: { number: 0.9 },
      'Amount Spent': { number: 1234.5 }, 'Period Start': { date: { start: '2026-11-01' } }, Acknowledged: { checkbox: true },
    });
    await addCall(ws, { id: 'x', at: '2026-11-02T10:04:00Z', cost: 0.0042 });
    const alerts = viewSection(await databaseHtml(ws, 'cost_alerts'), 'All alerts');
    expect(alerts).toContain('<span class="chip c-red">critical</span>');
    expect(alerts).toContain('>90%<');
    expect(alerts).toContain('>$1,234.50<');
    expect(alerts).toContain('>Nov 1, 2026</time>');
    expect(alerts).toContain('data-checked="true"');
    const calls = viewSection(await databaseHtml(ws, 'token_usage_logs'), 'All calls');
    expect(calls).toContain('>$0.0042<');
    expect(calls).toContain('>Nov 2, 2026 10:04</time>');
  });
});

describe('board views', () => {
  it('group cards by severity in option order, with a count per column', async () => {
    const alert = (title: string, severity?: string) =>
      addPage(ws, 'cost_alerts', { Alert: { title: text(title) }, ...(severity ? { Severity: { select: { name: severity } } } : {}) });
    const info = await alert('info one', 'info');
    const critical = await alert('critical one', 'critical');
    await alert('critical two', 'critical');
    const none = await alert('no severity');
    const board = viewSection(await databaseHtml(ws, 'cost_alerts'), 'Open alerts by severity');
    expect(sectionAttributes(board)).toMatchObject({ 'data-view-type': 'board', 'data-rows': '4' });
    const columns = tagsWith(board, 'data-group').map((t) => [t['data-group'], t['data-count']]);
    expect(columns).toEqual([['critical', '2'], ['warning', '0'], ['info', '1'], ['', '1']]);
    const columnOf = (pageId: string) => {
      const at = board.indexOf(`data-page-id="${pageId}"`);
      return tagsWith(board.slice(0, at), 'data-group').at(-1)?.['data-group'];
    };
    expect(columnOf(critical)).toBe('critical');
    expect(columnOf(info)).toBe('info');
    expect(columnOf(none)).toBe('');
    expect(board).toContain('No Severity');
  });
});
