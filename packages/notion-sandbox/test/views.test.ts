import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { apiError, clientFor, createUsageDatabase, startFake } from './helpers.js';

let fake: NotionFake;
let notion: Client;
let databaseId: string;
let dataSourceId: string;
let id: Record<string, string>;

beforeAll(async () => {
  fake = await startFake();
  notion = clientFor(fake);
  ({ databaseId, dataSourceId } = await createUsageDatabase(notion));
  const source = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Record<string, { id: string }> };
  id = Object.fromEntries(Object.entries(source.properties).map(([name, p]) => [name, p.id]));
});
afterAll(() => fake.close());

type View = { id: string; name: string; type: string; configuration: Record<string, any> | null; data_source_id: string | null; dashboard_view_id?: string; filter: unknown; sorts: unknown };

const chartBody = () => ({
  database_id: databaseId,
  data_source_id: dataSourceId,
  name: 'Daily cost by provider',
  type: 'chart' as const,
  configuration: {
    type: 'chart' as const,
    chart_type: 'column' as const,
    x_axis: { type: 'date' as const, property_id: id.Timestamp!, group_by: 'day' as const, sort: { type: 'ascending' as const } },
    y_axis: { aggregator: 'sum' as const, property_id: id['Total Cost']! },
    stack_by: { type: 'select' as const, property_id: id.Provider!, sort: { type: 'ascending' as const } },
  },
  filter: { property: id.Timestamp!, date: { on_or_after: '2026-11-01' } } as never,
});

describe('views', () => {
  it('creates, lists, retrieves and deletes a chart view', async () => {
    const chart = (await notion.views.create(chartBody())) as View;
    expect(chart).toMatchObject({ object: 'view', type: 'chart', name: 'Daily cost by provider', data_source_id: dataSourceId, parent: { type: 'database_id', database_id: databaseId } });
    expect(chart.configuration).toMatchObject({ type: 'chart', chart_type: 'column', x_axis: { property_id: id.Timestamp, property_name: 'Timestamp', group_by: 'day' } });
    expect(chart.filter).toEqual({ property: id.Timestamp, date: { on_or_after: '2026-11-01' } });

    const listed = await notion.views.list({ database_id: databaseId });
    expect(listed.results.map((v) => v.id)).toContain(chart.id);
    expect((await notion.views.list({ data_source_id: dataSourceId })).results.map((v) => v.id)).toContain(chart.id);
    expect(await notion.views.retrieve({ view_id: chart.id })).toMatchObject({ id: chart.id, type: 'chart' });

    const deleted = await notion.views.delete({ view_id: chart.id });
    expect(deleted).toMatchObject({ object: 'view', id: chart.id, type: 'chart' });
    expect((await apiError(() => notion.views.retrieve({ view_id: chart.id }))).code).toBe('object_not_found');
    expect((await notion.views.list({ database_id: databaseId })).results.map((v) => v.id)).not.toContain(chart.id);
  });

  it('creates, updates and deletes a board view grouped by a select', async () => {
    const board = (await notion.views.create({
      database_id: databaseId,
      data_source_id: dataSourceId,
      name: 'By provider',
      type: 'board',
      configuration: { type: 'board', group_by: { type: 'select', property_id: id.Provider!, sort: { type: 'manual' } } },
      sorts: [{ property: id['Total Cost']!, direction: 'descending' }] as never,
    })) as View;
    expect(board.configuration).toMatchObject({ type: 'board', group_by: { type: 'select', property_id: id.Provider, property_name: 'Provider' } });
    const renamed = (await notion.views.update({ view_id: board.id, name: 'Providers', configuration: { type: 'board', group_by: { type: 'select', property_id: id.Provider!, sort: { type: 'ascending' } }, card_layout: 'compact' } })) as View;
    expect(renamed).toMatchObject({ name: 'Providers', configuration: { card_layout: 'compact', group_by: { sort: { type: 'ascending' } } } });
    await notion.views.delete({ view_id: board.id });
    expect((await apiError(() => notion.views.retrieve({ view_id: board.id }))).code).toBe('object_not_found');
  });

  it('builds a dashboard of widget views in rows', async () => {
    const dashboard = (await notion.views.create({ database_id: databaseId, data_source_id: dataSourceId, name: 'Cost dashboard', type: 'dashboard' })) as View;
    expect(dashboard).toMatchObject({ type: 'dashboard', data_source_id: null, configuration: { type: 'dashboard', rows: [] } });
    const { database_id: _, ...widget } = chartBody();
    const first = (await notion.views.create({ ...widget, view_id: dashboard.id, placement: { type: 'new_row' } })) as View;
    const second = (await notion.views.create({ ...widget, name: 'Cost table', type: 'table', configuration: { type: 'table' }, view_id: dashboard.id, placement: { type: 'existing_row', row_index: 0 } })) as View;
    expect(first.dashboard_view_id).toBe(dashboard.id);
    const again = (await notion.views.retrieve({ view_id: dashboard.id })) as View;
    expect(again.configuration!.rows).toHaveLength(1);
    expect(again.configuration!.rows[0].widgets.map((w: { view_id: string }) => w.view_id)).toEqual([first.id, second.id]);
    const listed = (await notion.views.list({ database_id: databaseId })).results.map((v) => v.id);
    expect(listed).toEqual(expect.arrayContaining([dashboard.id, first.id, second.id]));

    await notion.views.delete({ view_id: second.id });
    expect(((await notion.views.retrieve({ view_id: dashboard.id })) as View).configuration!.rows[0].widgets).toHaveLength(1);
    await notion.views.delete({ view_id: dashboard.id });
    expect((await apiError(() => notion.views.retrieve({ view_id: first.id }))).code).toBe('object_not_found');
  });

  it('validates what the docs require', async () => {
    const base = { data_source_id: dataSourceId, name: 'x' };
    const both = await apiError(() => notion.views.create({ ...base, type: 'table', database_id: databaseId, view_id: databaseId }));
    expect(both.code).toBe('validation_error');
    const neither = await apiError(() => notion.views.create({ ...base, type: 'table' }));
    expect(neither.code).toBe('validation_error');
    const noChartType = await apiError(() => notion.views.create({ ...base, type: 'chart', database_id: databaseId, configuration: { type: 'chart' } as never }));
    expect(noChartType.code).toBe('validation_error');
    const noGroup = await apiError(() => notion.views.create({ ...base, type: 'board', database_id: databaseId, configuration: { type: 'board' } as never }));
    expect(noGroup.code).toBe('validation_error');
    const badProperty = await apiError(() => notion.views.create({ ...base, type: 'board', database_id: databaseId, configuration: { type: 'board', group_by: { type: 'select', property_id: 'nope', sort: { type: 'manual' } } } }));
    expect(badProperty.message).toContain('nope');
    const mismatch = await apiError(() => notion.views.create({ ...base, type: 'table', database_id: databaseId, configuration: { type: 'board', group_by: { type: 'select', property_id: id.Provider!, sort: { type: 'manual' } } } }));
    expect(mismatch.code).toBe('validation_error');
    const sumOfText = await apiError(() => notion.views.create({ ...base, type: 'chart', database_id: databaseId, configuration: { type: 'chart', chart_type: 'number', value: { aggregator: 'sum', property_id: id['Supabase ID']! } } }));
    expect(sumOfText.code).toBe('validation_error');
    const badFilter = await apiError(() => notion.views.create({ ...base, type: 'table', database_id: databaseId, filter: { property: 'Nope', checkbox: { equals: true } } as never }));
    expect(badFilter.code).toBe('validation_error');
    const notDashboard = (await notion.views.list({ database_id: databaseId })).results[0]!.id;
    const widgetOfTable = await apiError(() => notion.views.create({ ...base, type: 'table', view_id: notDashboard }));
    expect(widgetOfTable.code).toBe('validation_error');
  });
});
