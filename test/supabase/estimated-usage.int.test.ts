/**
 * cost_estimated has two reasons (20261205000600): an unpriced model priced at a
 * fallback, or tokens estimated from the text. Only the first is an unpriced
 * model for the report, verify and the alerts' "estimated for unpriced models".
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await insertLogs(db.pool, [
    // Priced at a fallback: its model has no price.
    { model: 'house-model-7', user_id: 'u', total_cost: 0.25, cost_estimated: true, metadata: { pricing: { source: 'estimated', priced_as: 'openai/o1-pro' } }, created_at: '2026-11-20T09:00:00Z' },
    // Priced from the catalogue, tokens estimated from the text.
    { model: 'gpt-4.1', user_id: 'u', total_cost: 0.5, cost_estimated: true, metadata: { pricing: { source: 'catalogue' }, usage_estimated: { method: 'tokenizer' } }, created_at: '2026-11-20T09:30:00Z' },
  ]);
});
afterAll(() => db.drop());

it('lists only fallback-priced calls as unpriced models', async () => {
  const { rows } = await db.pool.query(`select tokensync_unpriced_models() as m`);
  expect(rows[0].m.map((m: { model: string; calls: number }) => [m.model, m.calls])).toEqual([['house-model-7', 1]]);
});

it("counts only fallback-priced spend as an alert's estimated part", async () => {
  const { rows } = await db.pool.query(
    `select tokensync_entity_estimated_spend('user', 'u', '2026-11-20T00:00:00Z', '2026-11-20T23:59:59Z')::text as s`,
  );
  expect(rows[0].s).toBe('0.25');
});

it('tells recost which rows had their tokens estimated', async () => {
  const { rows } = await db.pool.query(`select tokensync_usage_to_recost('2026-11-01T00:00:00Z') -> 'rows' as r`);
  expect(rows[0].r.map((r: { model: string; usage_estimated: boolean }) => [r.model, r.usage_estimated])).toEqual([
    ['house-model-7', false],
    ['gpt-4.1', true],
  ]);
});
