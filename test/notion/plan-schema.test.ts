import { describe, expect, it } from 'vitest';
import { CATALOGUE, markerOf, specOf } from '../../src/notion/catalogue/index.js';
import { planSchema, schemaUpdateRequest } from '../../src/notion/provision/plan-schema.js';
import { propertyConfig, type LiveProperty } from '../../src/notion/schema.js';

const spec = specOf('cost_alerts');

/** The live schema Notion would report right after creating the database from the spec. */
function freshSchema(): LiveProperty[] {
  return spec.properties.map((p, i) => ({
    id: p.type === 'title' ? 'title' : `p${i}`,
    name: p.name,
    type: p.type,
    description: p.description,
    ...(p.type === 'number' ? { numberFormat: p.format } : {}),
    ...(p.type === 'select' ? { selectOptions: p.options.map((o, j) => ({ id: `o${j}`, name: o.name, color: o.color })) } : {}),
  }));
}

describe('the catalogue', () => {
  it('has six databases, each with a title and a Supabase ID, unique names and keys', () => {
    expect(CATALOGUE.map((s) => s.title)).toEqual([
      'Token Usage Logs', 'Budget Limits', 'Cost Alerts', 'Service Performance Metrics', 'Workflow Analytics', 'Daily Costs',
    ]);
    for (const database of CATALOGUE) {
      expect(database.properties.filter((p) => p.type === 'title')).toHaveLength(1);
      expect(database.properties.find((p) => p.name === 'Supabase ID')).toMatchObject({ key: 'id', type: 'rich_text' });
      expect(new Set(database.properties.map((p) => p.name)).size).toBe(database.properties.length);
      expect(new Set(database.properties.map((p) => p.key)).size).toBe(database.properties.length);
      for (const p of database.properties) expect(p.description.endsWith(markerOf(p.key))).toBe(true);
    }
  });

  it('mirrors token_usage_logs with 30+ properties, money in dollars', () => {
    const logs = specOf('token_usage_logs');
    expect(logs.properties.length).toBeGreaterThanOrEqual(30);
    for (const key of ['input_cost', 'output_cost', 'total_cost']) {
      expect(logs.properties.find((p) => p.key === key)).toMatchObject({ type: 'number', format: 'dollar' });
    }
    for (const key of ['service_type', 'model', 'provider', 'tier']) expect(logs.properties.find((p) => p.key === key)?.type).toBe('select');
  });

  it('draws every cost chart from Daily Costs, never from the raw-log pages', () => {
    const costs = specOf('daily_cost_breakdown');
    for (const key of ['input_cost', 'output_cost', 'total_cost']) {
      expect(costs.properties.find((p) => p.key === key)).toMatchObject({ type: 'number', format: 'dollar' });
    }
    for (const key of ['service_type', 'provider', 'model']) expect(costs.properties.find((p) => p.key === key)?.type).toBe('select');
    expect(costs.views.filter((v) => v.type === 'chart').map((v) => v.name)).toEqual(['Daily cost by service', 'Cost by model', 'Month-to-date cost']);
    expect(costs.dashboard?.widgets).toEqual(['Daily cost by service', 'Cost by model', 'Month-to-date cost']);
    const logs = specOf('token_usage_logs');
    expect(logs.views.every((v) => v.type === 'table')).toBe(true);
    expect(logs.dashboard).toBeUndefined();
    expect(logs.retired?.movedTo).toBe(costs.title);
  });

  it('keeps select option names within Notion’s rules: no commas, unique ignoring case', () => {
    for (const database of CATALOGUE) {
      for (const p of database.properties) {
        if (p.type !== 'select') continue;
        expect(p.options.every((o) => !o.name.includes(','))).toBe(true);
        expect(new Set(p.options.map((o) => o.name.toLowerCase())).size).toBe(p.options.length);
      }
    }
  });
});

describe('planSchema', () => {
  it('finds nothing to change in a schema created from the spec', () => {
    const plan = planSchema(spec, freshSchema());
    expect(plan.changes).toEqual([]);
    expect(plan.notes).toEqual([]);
    expect(plan.ids.get('severity')).toBe('p2');
  });

  it('adds a deleted property, restores a select’s options next to theirs, keeps a property of theirs', () => {
    const live = freshSchema()
      .filter((p) => p.name !== 'Message')
      .map((p) => (p.name === 'Severity' ? { ...p, selectOptions: [{ id: 'x', name: 'Urgent', color: 'red' }, { id: 'o1', name: 'WARNING', color: 'yellow' }] } : p));
    live.push({ id: 'mine', name: 'Owner', type: 'rich_text', description: null });

    const plan = planSchema(spec, live);
    expect(plan.changes.map((c) => [c.kind, c.spec.key])).toEqual([['add-options', 'severity'], ['add', 'message']]);
    expect(plan.changes[0]).toMatchObject({ options: ['critical', 'info'] });
    expect(plan.notes).toEqual([{ kind: 'kept-theirs', live: expect.objectContaining({ name: 'Owner' }) }]);

    const request = schemaUpdateRequest(plan.changes);
    expect(request).toEqual({
      p2: { select: { options: [{ id: 'x' }, { id: 'o1' }, { name: 'critical', color: 'red' }, { name: 'info', color: 'blue' }] } },
      Message: propertyConfig(spec.properties.find((p) => p.key === 'message')!),
    });
    expect(request).not.toHaveProperty('mine');
  });

  it('adds the overflow option to a select only while Notion’s 100 options leave room, and says when they do not', () => {
    const logs = specOf('token_usage_logs');
    const model = logs.properties.find((p) => p.key === 'model')!;
    const filled = (count: number): LiveProperty[] =>
      logs.properties.map((p, i) => ({
        id: p.type === 'title' ? 'title' : `p${i}`,
        name: p.name,
        type: p.type,
        description: p.description,
        ...(p.type === 'number' ? { numberFormat: p.format } : {}),
        ...(p.type === 'select' ? { selectOptions: p === model ? Array.from({ length: count }, (_, j) => ({ id: `m${j}`, name: `model-${j}` })) : [...p.options] } : {}),
      }));
    const roomy = planSchema(logs, filled(99));
    expect(roomy.changes).toEqual([expect.objectContaining({ kind: 'add-options', options: ['Other'] })]);
    const full = planSchema(logs, filled(100));
    expect(full.changes).toEqual([]);
    expect(full.notes).toEqual([expect.objectContaining({ kind: 'options-full', options: ['Other'] })]);
  });

  it('recognises a renamed property by its marker and names it back', () => {
    const live = freshSchema().map((p) => (p.name === 'Amount Spent' ? { ...p, name: 'Spend (USD)' } : p));
    const plan = planSchema(spec, live);
    expect(plan.changes).toMatchObject([{ kind: 'rename', spec: { key: 'amount_spent' }, live: { name: 'Spend (USD)' } }]);
    expect(schemaUpdateRequest(plan.changes)).toEqual({ [live.find((p) => p.name === 'Spend (USD)')!.id]: { name: 'Amount Spent' } });
  });

  it('renames the title back by its id', () => {
    const live = freshSchema().map((p) => (p.type === 'title' ? { ...p, name: 'Name' } : p));
    expect(schemaUpdateRequest(planSchema(spec, live).changes)).toEqual({ title: { name: 'Alert' } });
  });

  it('sets a wrong type and a wrong number format back, and leaves a rename alone when the name is taken', () => {
    const live = freshSchema().map((p) => {
      if (p.name === 'Limit') return { ...p, numberFormat: 'number' };
      if (p.name === 'Entity ID') return { ...p, type: 'select', selectOptions: [] };
      if (p.name === 'Threshold') return { ...p, name: 'Threshold %' };
      return p;
    });
    live.push({ id: 'theirs', name: 'Threshold', type: 'number', description: 'someone else’s', numberFormat: 'number' });
    const plan = planSchema(spec, live);
    expect(plan.changes.map((c) => [c.kind, c.spec.key])).toEqual([['retype', 'entity_id'], ['reformat', 'limit_amount']]);
    expect(plan.notes.map((n) => n.kind).sort()).toEqual(['kept-theirs', 'rename-blocked']);
  });

  it('restores a description that lost its marker (a property matched by name only)', () => {
    const live = freshSchema().map((p) => (p.name === 'Period' ? { ...p, description: null } : p));
    expect(planSchema(spec, live).changes).toMatchObject([{ kind: 'mark', spec: { key: 'period' } }]);
  });
});
