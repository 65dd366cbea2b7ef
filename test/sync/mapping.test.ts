import { describe, expect, it } from 'vitest';
import { specOf } from '../../src/notion/catalogue/index.js';
import { z } from 'zod';
import { DATASET_DEFINITIONS } from '../../src/sync/datasets/index.js';
import { defineDataset } from '../../src/sync/datasets/types.js';
import { ELLIPSIS, mapProperties, MAX_SELECT_CHARS, MAX_TEXT_CHARS, truncate } from '../../src/sync/mapping.js';
import { prepareRow } from '../../src/sync/prepare.js';

const spec = specOf('token_usage_logs');
/** Property ids as a live data source would have them: here simply "id-<key>". */
const ids = new Map(spec.properties.map((p) => [p.key, p.type === 'title' ? 'title' : `id-${p.key}`]));

const log = (overrides: Record<string, unknown> = {}) => ({
  id: '5b1f4a52-8e8f-4a0c-9b65-0d1c2e3f4a5b',
  created_at: '2026-11-20T12:00:00.123456+00:00',
  updated_at: '2026-11-20T12:00:00.123456+00:00',
  request_id: 'req-1',
  organization_id: 'mvp',
  user_id: 'user-1',
  session_id: null,
  tier: 'tier_1',
  service_type: 'workflow',
  agent_id: null,
  agent_name: null,
  workflow_id: null,
  workflow_step: null,
  provider: 'openai',
  model: 'gpt-4o',
  prompt_tokens: 1000,
  completion_tokens: 200,
  cached_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 1200,
  input_cost: 0.0025,
  output_cost: 0.002,
  total_cost: 0.0045,
  latency_ms: 1000,
  success: true,
  error_type: null,
  metadata: { a: 1 },
  ...overrides,
});

const prepare = (row: Record<string, unknown>) => prepareRow(DATASET_DEFINITIONS.token_usage_logs, row, ids);

describe('truncate', () => {
  it('keeps short text and cuts long text with a visible ellipsis', () => {
    expect(truncate('abc', 5)).toBe('abc');
    expect(truncate('abcdefgh', 5)).toBe(`abcd${ELLIPSIS}`);
  });

  it('never splits an emoji in half', () => {
    const cut = truncate('ab😀cd', 4);
    expect(cut).toBe(`ab${ELLIPSIS}`);
    expect(cut.length).toBeLessThanOrEqual(4);
  });
});

describe('mapping a row onto Notion properties', () => {
  it('addresses properties by id and maps each type', () => {
    const row = prepare(log());
    if (!row.ok) throw new Error(row.reason);
    expect(row.properties.title).toEqual({ title: [{ type: 'text', text: { content: 'req-1' } }] });
    expect(row.properties['id-id']).toEqual({ rich_text: [{ type: 'text', text: { content: log().id } }] });
    expect(row.properties['id-total_cost']).toEqual({ number: 0.0045 });
    expect(row.properties['id-model']).toEqual({ select: { name: 'gpt-4o' } });
    expect(row.properties['id-created_at']).toEqual({ date: { start: log().created_at } });
    expect(row.properties['id-success']).toEqual({ checkbox: true });
    expect(row.properties['id-session_id']).toEqual({ rich_text: [] });
    expect(row.properties['id-metadata']).toEqual({ rich_text: [{ type: 'text', text: { content: '{"a":1}' } }] });
    expect(row.properties['id-tokens_per_second']).toEqual({ number: 200 });
    expect(row.properties['id-cost_per_1k_tokens']).toBeUndefined();
    expect(row.warnings).toEqual([]);
  });

  it('sanitises what Notion would refuse, with a warning for each', () => {
    const row = prepare(log({ metadata: { text: 'y'.repeat(10_000) }, model: 'gpt, 4o 🚀', tier: 't'.repeat(150), input_cost: 'NaN' }));
    if (!row.ok) throw new Error(row.reason);
    const metadata = (row.properties['id-metadata'] as { rich_text: { text: { content: string } }[] }).rich_text[0]!.text.content;
    expect(metadata).toHaveLength(MAX_TEXT_CHARS);
    expect(metadata.endsWith(ELLIPSIS)).toBe(true);
    expect(row.properties['id-model']).toEqual({ select: { name: 'gpt; 4o 🚀' } });
    expect((row.properties['id-tier'] as { select: { name: string } }).select.name).toHaveLength(MAX_SELECT_CHARS);
    expect(row.properties['id-input_cost']).toEqual({ number: null });
    expect(row.warnings).toHaveLength(4);
  });

  it('drops control characters from text and makes them spaces in select names, keeping tab and newline in text', () => {
    const row = prepare(log({ agent_name: 'bell\u0007 \u001b[31mred\u007f\tand\nlines\r', model: 'gpt\n4o\u0007' }));
    if (!row.ok) throw new Error(row.reason);
    expect(row.properties['id-agent_name']).toEqual({ rich_text: [{ type: 'text', text: { content: 'bell [31mred\tand\nlines' } }] });
    expect(row.properties['id-model']).toEqual({ select: { name: 'gpt 4o' } });
    expect(row.properties['id-model_exact']).toEqual({ rich_text: [{ type: 'text', text: { content: 'gpt\n4o' } }] });
    expect(row.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^agent_name: 4 control characters dropped/), expect.stringMatching(/^model: control characters replaced/)]));
  });

  describe('an open select', () => {
    /** As the ledger would decide: gpt-4o and o3; mini have options, other models overflow; other selects show their values. */
    const choose = (key: string, name: string) =>
      key !== 'model' ? name : ({ 'gpt-4o': 'gpt-4o', 'GPT-4o': 'gpt-4o', 'o3; mini': 'o3; mini' } as Record<string, string>)[name] ?? 'Other';
    const mapped = (model: string) => prepareRow(DATASET_DEFINITIONS.token_usage_logs, log({ model }), ids, choose);
    const shown = (model: string) => {
      const row = mapped(model);
      if (!row.ok) throw new Error(row.reason);
      return [row.properties['id-model'], row.properties['id-model_exact'], row.warnings] as const;
    };

    it('shows a value that is an option as it is, its exact property empty', () => {
      expect(shown('gpt-4o')).toEqual([{ select: { name: 'gpt-4o' } }, { rich_text: [] }, []]);
    });

    it('shows a value past the options as Other, the exact value beside it', () => {
      const [select, exact, warnings] = shown('router/model-101');
      expect(select).toEqual({ select: { name: 'Other' } });
      expect(exact).toEqual({ rich_text: [{ type: 'text', text: { content: 'router/model-101' } }] });
      expect(warnings).toEqual([expect.stringMatching(/^model: the select has no room for another option; shown as “Other”/)]);
    });

    it('shows a case variant as the option Notion matches, and a cleaned name, each with the exact value', () => {
      expect(shown('GPT-4o')[0]).toEqual({ select: { name: 'gpt-4o' } });
      expect(shown('GPT-4o')[1]).toEqual({ rich_text: [{ type: 'text', text: { content: 'GPT-4o' } }] });
      expect(shown('o3, mini')[0]).toEqual({ select: { name: 'o3; mini' } });
      expect(shown('o3, mini')[1]).toEqual({ rich_text: [{ type: 'text', text: { content: 'o3, mini' } }] });
    });

    it('leaves the select empty when even the overflow option has no room', () => {
      const row = prepareRow(DATASET_DEFINITIONS.token_usage_logs, log({ model: 'late' }), ids, () => null);
      if (!row.ok) throw new Error(row.reason);
      expect(row.properties['id-model']).toEqual({ select: null });
      expect(row.properties['id-model_exact']).toEqual({ rich_text: [{ type: 'text', text: { content: 'late' } }] });
    });
  });

  it.each(['infinity', '-infinity', '294276-01-01T00:00:00+00:00', 'yesterday', '2026-13-45T99:00:00Z'])('leaves empty a date Notion does not take: %s', (value) => {
    const { properties, warnings } = mapProperties(spec, { updated_at: value }, ids);
    expect(properties['id-updated_at']).toEqual({ date: null });
    expect(warnings).toEqual([expect.stringMatching(/^updated_at: .* is not a date Notion takes/)]);
  });

  it.each(['2026-11-20', '2026-11-20T12:00:00.123456+00:00', '2026-11-20T12:00:00Z', '0001-01-01T00:00:00+00:00'])('keeps a date Notion takes: %s', (value) => {
    const { properties, warnings } = mapProperties(spec, { updated_at: value }, ids);
    expect(properties['id-updated_at']).toEqual({ date: { start: value } });
    expect(warnings).toEqual([]);
  });

  it('maps Infinity to an empty number', () => {
    const { properties, warnings } = mapProperties(spec, { total_cost: Infinity }, ids);
    expect(properties['id-total_cost']).toEqual({ number: null });
    expect(warnings[0]).toMatch(/total_cost: Infinity is not a finite number/);
  });

  it.each([
    ['a null key', { id: null }, /id/],
    ['a negative cost', { total_cost: -1 }, /total_cost: must not be negative/],
    ['negative tokens', { prompt_tokens: -5 }, /prompt_tokens/],
    ['a missing model', { model: undefined }, /model/],
  ])('rejects %s with the reason', (_what, overrides, reason) => {
    const row = prepare(log(overrides));
    expect(row.ok).toBe(false);
    if (!row.ok) expect(row.reason).toMatch(reason);
  });

  it.each(['12345678-1234-1234-1234-123456789abc', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'])(
    'keeps a key Postgres stores as a uuid, whatever its version bits: %s',
    (id) => {
      const row = prepare(log({ id }));
      expect(row.ok && row.key).toBe(id);
    },
  );

  it.each([['not-a-uuid'], [''], [42]])('rejects a key that is no uuid, naming it: %s', (id) => {
    const row = prepare(log({ id }));
    expect(row).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid row: id: id \(the key\) must be a uuid|^invalid row: id:/) });
  });

  it.each([
    ['5874897-12-31', 'infinity'],
    ['294276-12-31', '294276-12-31'],
    ['2026-11-20', '2026-11-20'],
    ['infinity', 'infinity'],
  ])('dates a rollup of %s as the timestamp %s, never past the last one Postgres holds', (metricDate, age) => {
    const metrics = DATASET_DEFINITIONS.service_performance_metrics;
    const metricIds = new Map(metrics.spec.properties.map((p) => [p.key, `id-${p.key}`]));
    const row = prepareRow(metrics, {
      id: log().id, created_at: log().created_at, updated_at: log().updated_at, metric_date: metricDate, service_type: 'workflow',
      total_requests: 1, successful_requests: 1, failed_requests: 0, success_rate: 1, prompt_tokens: 1, completion_tokens: 1,
      total_tokens: 2, total_cost: 0, avg_cost_per_request: 0, avg_latency_ms: null, p95_latency_ms: null, unique_users: 1, unique_sessions: 1,
    }, metricIds);
    expect(row.ok && row.createdAt).toBe(age);
  });

  it('hashes the columns a page shows: updated_at only where a property shows it', () => {
    const logs = DATASET_DEFINITIONS.token_usage_logs;
    const alerts = DATASET_DEFINITIONS.cost_alerts;
    expect(logs.columns).toEqual(expect.arrayContaining(['id', 'model', 'total_cost', 'metadata', 'updated_at']));
    expect(alerts.columns).toEqual(expect.arrayContaining(['id', 'severity', 'acknowledged']));
    expect(alerts.columns).not.toContain('updated_at');
    // Each dataset's mapping salts its hashes differently, and the salt is stable.
    const salts = Object.values(DATASET_DEFINITIONS).map((d) => d.salt);
    expect(new Set(salts).size).toBe(salts.length);
    expect(DATASET_DEFINITIONS.token_usage_logs.salt).toBe(logs.salt);
  });

  it('leaves the salt as it was before the "(exact)" properties: adding them rewrites no page', () => {
    for (const definition of Object.values(DATASET_DEFINITIONS)) {
      const before = { ...definition.spec, properties: definition.spec.properties.filter((p) => p.exactOf === undefined) };
      const schema = z.object(Object.fromEntries(definition.columns.map((c) => [c, z.unknown()])));
      expect(defineDataset({ spec: before, schema }).salt, definition.dataset).toBe(definition.salt);
    }
  });

  it('derives titles and percentages for the other datasets', () => {
    const alerts = DATASET_DEFINITIONS.cost_alerts;
    const values = alerts.values(
      alerts.schema.parse({
        id: log().id, created_at: 'x', updated_at: 'x', entity_type: 'service', entity_id: 'workflow', period: 'daily',
        period_start: '2026-11-20T00:00:00Z', threshold_pct: 90, amount_spent: 9, limit_amount: 10, severity: 'critical',
        message: 'm', late: true, acknowledged: false, acknowledged_by: null, acknowledged_at: null,
      }),
    );
    expect(values.threshold_pct).toBe(0.9);
    expect(values.late).toBe(true);
    expect(values.title).toBe('critical: service workflow reached 90% of its daily limit');
  });
});
