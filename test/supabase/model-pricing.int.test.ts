import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertRows, type Row } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs, model_pricing');
});

async function rejection(statement: Promise<unknown>): Promise<{ code: string; constraint?: string; message: string }> {
  try {
    await statement;
  } catch (error) {
    return error as { code: string; constraint?: string; message: string };
  }
  throw new Error('the database accepted what it should have rejected');
}

const price = (overrides: Row = {}): Row => ({
  provider: 'openai', model: 'gpt-4o', effective_from: '2026-12-01T00:00:00Z', input_per_mtok: 2, output_per_mtok: 8, ...overrides,
});

describe('model_pricing rejects bad prices with a named constraint', () => {
  it.each([
    ['a negative rate', { input_per_mtok: -1 }, 'model_pricing_rates_non_negative'],
    ['a NaN rate', { cache_read_per_mtok: 'NaN' }, 'model_pricing_rates_non_negative'],
    ['a NaN long-context rate', { long_context_threshold_tokens: 200000, long_context_input_per_mtok: 4, long_context_output_per_mtok: 'NaN' }, 'model_pricing_rates_non_negative'],
    ['a mixed-case provider', { provider: 'OpenAI' }, 'model_pricing_provider_lowercase'],
    ['an empty model', { model: '' }, 'model_pricing_model_lowercase'],
    ['a threshold without its rates', { long_context_threshold_tokens: 200000 }, 'model_pricing_long_context_complete'],
    ['long-context rates without a threshold', { long_context_input_per_mtok: 4, long_context_output_per_mtok: 12 }, 'model_pricing_long_context_complete'],
    ['a zero threshold', { long_context_threshold_tokens: 0, long_context_input_per_mtok: 4, long_context_output_per_mtok: 12 }, 'model_pricing_long_context_complete'],
    ['an infinite start', { effective_from: 'infinity' }, 'model_pricing_effective_from_finite'],
  ])('%s', async (_name, overrides, constraint) => {
    expect(await rejection(insertRows(db.pool, 'model_pricing', [price(overrides)]))).toMatchObject({ code: '23514', constraint });
  });

  it('one price per model and instant; an infinite rate overflows the column', async () => {
    await insertRows(db.pool, 'model_pricing', [price()]);
    expect(await rejection(insertRows(db.pool, 'model_pricing', [price({ input_per_mtok: 3 })]))).toMatchObject({ code: '23505', constraint: 'model_pricing_model_from_key' });
    expect(await rejection(insertRows(db.pool, 'model_pricing', [price({ effective_from: '2027-01-01', output_per_mtok: 'Infinity' })]))).toMatchObject({ code: '22003' });
  });

  it('tokensync_model_pricing returns rates as exact text and keeps updated_at by trigger', async () => {
    await insertRows(db.pool, 'model_pricing', [price({ cache_read_per_mtok: '0.000000001', updated_at: '2001-01-01T00:00:00Z' })]);
    const { rows } = await db.pool.query('select tokensync_model_pricing() as p, (select updated_at from model_pricing) as u');
    expect(rows[0].p).toEqual([expect.objectContaining({ provider: 'openai', input_per_mtok: '2.000000000', cache_read_per_mtok: '0.000000001', long_context_threshold_tokens: null })]);
    expect((rows[0].u as Date).getFullYear()).toBeGreaterThan(2020);
  });
});

describe('tokensync_record_usage', () => {
  const row = (requestId: string, overrides: Row = {}) => ({ request_id: requestId, service_type: 'workflow', provider: 'openai', model: 'gpt-4o', prompt_tokens: 10, ...overrides });
  const record = (rows: unknown) => db.pool.query('select tokensync_record_usage($1::jsonb) as r', [JSON.stringify(rows)]).then((r) => r.rows[0].r);

  it('counts inserted rows and duplicates, also within one batch, and fills defaults', async () => {
    expect(await record([row('a'), row('b'), row('a')])).toEqual({ inserted: 2, duplicates: 1 });
    expect(await record([row('b'), row('c')])).toEqual({ inserted: 1, duplicates: 1 });
    const { rows } = await db.pool.query(`select completion_tokens, success, metadata, total_tokens from token_usage_logs where request_id = 'c'`);
    expect(rows).toEqual([{ completion_tokens: 0, success: true, metadata: {}, total_tokens: 10 }]);
  });

  it('refuses what is not a batch, and a batch with a bad row writes nothing', async () => {
    expect(await rejection(record({ request_id: 'x' }))).toMatchObject({ code: '22023', message: expect.stringContaining('JSON array') });
    expect(await rejection(record(Array.from({ length: 10_001 }, (_, i) => row(`r${i}`))))).toMatchObject({ code: '22023', message: expect.stringContaining('at most 10000') });
    expect(await rejection(record([row('ok'), row('bad', { prompt_tokens: -1 })]))).toMatchObject({ code: '23514', constraint: 'token_usage_logs_tokens_non_negative' });
    expect((await db.pool.query('select count(*)::int as n from token_usage_logs')).rows[0].n).toBe(0);
  });
});

describe('tokensync_apply_costs', () => {
  it('writes only rows whose costs differ, so the others keep their updated_at', async () => {
    const [same, moved] = await insertRows(db.pool, 'token_usage_logs', [
      { request_id: 'same', service_type: 'w', provider: 'openai', model: 'gpt-4o', input_cost: 1, output_cost: 2, total_cost: 3, metadata: { pricing: { source: 'catalogue' } } },
      { request_id: 'moved', service_type: 'w', provider: 'openai', model: 'gpt-4o', input_cost: 1, output_cost: 2, total_cost: 3, metadata: { pricing: { source: 'catalogue' }, keep: 'me' } },
    ]);
    const { rows } = await db.pool.query('select tokensync_apply_costs($1::jsonb) as r', [
      JSON.stringify([
        { id: same!.id, input_cost: '1.000000', output_cost: '2.000000', total_cost: '3.000000', pricing: { source: 'catalogue' } },
        { id: moved!.id, input_cost: null, output_cost: null, total_cost: null, pricing: { source: 'unknown', reason: 'gone' } },
      ]),
    ]);
    expect(rows[0].r).toEqual({ updated: 1 });
    const after = await db.pool.query(`select request_id, total_cost, metadata, updated_at from token_usage_logs order by request_id`);
    expect(after.rows[0]).toMatchObject({ request_id: 'moved', total_cost: null, metadata: { keep: 'me', pricing: { source: 'unknown', reason: 'gone' } } });
    expect(after.rows[1]).toMatchObject({ request_id: 'same', updated_at: same!.updated_at });
  });
});
