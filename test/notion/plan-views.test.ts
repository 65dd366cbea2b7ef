import { describe, expect, it } from 'vitest';
import { specOf } from '../../src/notion/catalogue/index.js';
import { containsSubset, planViews, viewBody, type LiveView } from '../../src/notion/provision/plan-views.js';

const spec = specOf('token_usage_logs');
const id = (key: string) => `id-${key}`;
const context = { monthStart: '2026-11-01' };

/** Live views as Notion would report them after we created them, plus fields Notion adds. */
function createdViews(): LiveView[] {
  const views: LiveView[] = spec.views.map((v, i) => {
    const body = viewBody(v, id, context);
    return { id: `v${i}`, name: body.name, type: body.type, configuration: { ...body.configuration, height: 'medium' }, filter: body.filter ?? null, sorts: body.sorts ?? null };
  });
  views.push({ id: 'dash', name: 'Cost dashboard', type: 'dashboard', configuration: { type: 'dashboard', rows: [] } });
  for (const name of spec.dashboard!.widgets) {
    const body = viewBody(spec.views.find((v) => v.name === name)!, id, context);
    views.push({ id: `w-${name}`, name, type: body.type, configuration: body.configuration ?? null, filter: body.filter ?? null, dashboard_view_id: 'dash' });
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
          x_axis: { property_id: 'id-created_at', group_by: 'day' },
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
    expect(changes[0]).toMatchObject({ kind: 'update', viewId: 'default', renamedFrom: 'Default view', body: { name: 'All calls', sorts: [expect.anything()] } });
    expect(changes.filter((c) => c.kind === 'create').map((c) => c.kind === 'create' && c.body.name)).not.toContain('All calls');
    // Without the hint, a stranger's table view is left alone.
    expect(planViews(spec, fresh, id, context)[0]).toMatchObject({ kind: 'create', body: { name: 'All calls' } });
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
