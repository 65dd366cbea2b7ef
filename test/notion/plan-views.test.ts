import { describe, expect, it } from 'vitest';
import { specOf, type DatabaseSpec, type ViewSpec } from '../../src/notion/catalogue/index.js';
import { containsSubset, describeViewChange, planViews, viewBody, type LiveView } from '../../src/notion/provision/plan-views.js';

const spec = specOf('daily_cost_breakdown');
const id = (key: string) => `id-${key}`;
const context = { monthStart: '2026-11-01' };

/** Live views as Notion would report them after we created them, plus fields Notion adds. */
function createdViews(of: { views: readonly ViewSpec[]; dashboard?: DatabaseSpec['dashboard'] } = spec, prefix = ''): LiveView[] {
  const views: LiveView[] = of.views.map((v, i) => {
    const body = viewBody(v, id, context);
    return { id: `${prefix}v${i}`, name: body.name, type: body.type, configuration: { ...body.configuration, height: 'medium' }, filter: body.filter ?? null, sorts: body.sorts ?? null };
  });
  if (!of.dashboard) return views;
  views.push({ id: `${prefix}dash`, name: of.dashboard.name, type: 'dashboard', configuration: { type: 'dashboard', rows: [] } });
  for (const name of of.dashboard.widgets) {
    const body = viewBody(of.views.find((v) => v.name === name)!, id, context);
    views.push({ id: `${prefix}w-${name}`, name, type: body.type, configuration: body.configuration ?? null, filter: body.filter ?? null, dashboard_view_id: `${prefix}dash` });
  }
  return views;
}

describe('planViews', () => {
  it('creates every view, the dashboard and its widgets on an empty database', () => {
    const changes = planViews(spec, [], id, context);
    expect(changes.map((c) => c.kind)).toEqual([
      ...spec.views.map(() => 'create'),
      'create-dashboard',
      ...spec.dashboard!.widgets.map(() => 'create-widget'),
    ]);
    const column = changes.find((c) => c.kind === 'create' && c.body.name === 'Daily cost by service');
    expect(column).toMatchObject({
      body: {
        type: 'chart',
        configuration: {
          chart_type: 'column',
          x_axis: { property_id: 'id-metric_date', group_by: 'day' },
          y_axis: { aggregator: 'sum', property_id: 'id-total_cost' },
          stack_by: { property_id: 'id-service_type' },
        },
      },
    });
  });

  it('finds nothing to change when the views are ours, whatever fields Notion added', () => {
    expect(planViews(spec, createdViews(), id, context)).toEqual([]);
  });

  it('names a renamed view back, recognising it by its configuration', () => {
    const live = createdViews().map((v) => (v.id === 'v2' ? { ...v, name: 'Model spend' } : v));
    expect(planViews(spec, live, id, context)).toMatchObject([
      { kind: 'update', viewId: 'v2', renamedFrom: 'Model spend', body: { name: 'Cost by model' } },
    ]);
    // Only the name is sent back: its settings were still ours.
    expect(planViews(spec, live, id, context)[0]).not.toHaveProperty('body.configuration');
  });

  it('adopts the default view Notion creates with a new database as our first table view', () => {
    const fresh: LiveView[] = [{ id: 'default', name: 'Default view', type: 'table', configuration: null }];
    const changes = planViews(spec, fresh, id, context, { adoptDefaultView: true });
    expect(changes[0]).toMatchObject({ kind: 'update', viewId: 'default', renamedFrom: 'Default view', body: { name: 'Latest days', sorts: [expect.anything()] } });
    expect(changes.filter((c) => c.kind === 'create').map((c) => c.kind === 'create' && c.body.name)).not.toContain('Latest days');
    // Without the hint, a stranger's table view is left alone.
    expect(planViews(spec, fresh, id, context)[0]).toMatchObject({ kind: 'create', body: { name: 'Latest days' } });
  });

  it('moves the month-to-date filter when the month changes', () => {
    const changes = planViews(spec, createdViews(), id, { monthStart: '2026-12-01' });
    const names = changes.map((c) => (c.kind === 'update' ? c.body.name : c.kind));
    expect(names).toEqual(['Month-to-date cost', 'Month-to-date cost']);
  });

  it('re-creates a deleted widget inside the existing dashboard', () => {
    const live = createdViews().filter((v) => v.id !== 'w-Cost by model');
    expect(planViews(spec, live, id, context)).toMatchObject([{ kind: 'create-widget', body: { name: 'Cost by model' } }]);
  });
});

describe('planViews on Token Usage Logs as an earlier version provisioned it', () => {
  const logs = specOf('token_usage_logs');
  const retired = logs.retired!;
  /** Its table views of today, plus the cost charts and the dashboard it used to carry. */
  const earlier = () => [
    ...createdViews({ views: logs.views.filter((v) => v.name !== 'Most expensive calls') }, 't'),
    ...createdViews({ views: retired.views, dashboard: { name: 'Cost dashboard', widgets: retired.views.map((v) => v.name) } }, 'old-'),
  ];

  it('keeps the tables, adds the new one, and removes the old charts and dashboard last', () => {
    const changes = planViews(logs, earlier(), id, context);
    expect(changes).toMatchObject([
      { kind: 'create', body: { name: 'Most expensive calls', type: 'table' } },
      { kind: 'delete', viewId: 'old-v0', name: 'Daily cost by service', type: 'chart', movedTo: 'Daily Costs' },
      { kind: 'delete', viewId: 'old-v1', name: 'Cost by model' },
      { kind: 'delete', viewId: 'old-v2', name: 'Month-to-date cost' },
      { kind: 'delete', viewId: 'old-dash', name: 'Cost dashboard', type: 'dashboard' },
    ]);
    // The widgets go with their dashboard; nothing is renamed or re-created from the old charts.
    expect(changes).toHaveLength(5);
    expect(changes.map(describeViewChange)).toContain('remove dashboard “Cost dashboard” (now in Daily Costs)');
    expect(changes.map(describeViewChange)).toContain('remove chart view “Cost by model” (now in Daily Costs)');
  });

  it('recognises an old chart someone renamed, and a renamed dashboard holding only old charts', () => {
    const live = earlier().map((v) => (v.id === 'old-v1' ? { ...v, name: 'Model spend' } : v.id === 'old-dash' ? { ...v, name: 'Spend' } : v));
    const removed = planViews(logs, live, id, context).filter((c) => c.kind === 'delete');
    expect(removed.map((c) => c.kind === 'delete' && c.viewId)).toEqual(['old-v0', 'old-v1', 'old-v2', 'old-dash']);
  });

  it('never takes an old chart for one of today’s views, and leaves a person’s own views alone', () => {
    const theirs: LiveView[] = [
      { id: 'mine', name: 'Calls by agent', type: 'chart', configuration: { type: 'chart', chart_type: 'bar', x_axis: { type: 'text', property_id: id('agent_id') } } },
      { id: 'board', name: 'My board', type: 'dashboard', configuration: null },
      { id: 'mine-w', name: 'Calls by agent', type: 'chart', configuration: null, dashboard_view_id: 'board' },
    ];
    const changes = planViews(logs, [...earlier(), ...theirs], id, context);
    expect(changes.some((c) => c.kind === 'update')).toBe(false);
    expect(changes.filter((c) => c.kind === 'delete').map((c) => c.kind === 'delete' && c.viewId)).not.toEqual(expect.arrayContaining(['mine', 'board']));
    // Once the old charts are gone, the plan is empty.
    const after = [...createdViews(logs, 't'), ...theirs];
    expect(planViews(logs, after, id, context)).toEqual([]);
  });
});

describe('containsSubset', () => {
  it.each([
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: [1, 2] }, { a: [1] }, false],
    [{ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] }, true],
    [null, {}, false],
  ])('%j ⊇ %j is %s', (actual, wanted, expected) => {
    expect(containsSubset(actual, wanted)).toBe(expected);
  });
});
