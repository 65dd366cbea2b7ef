import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { budgetLimit, insertLimits, insertLogs, insertRows, usageLog, type Row } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
});

async function rejection(insert: Promise<unknown>): Promise<{ constraint?: string; column?: string; code: string; message: string }> {
  try {
    await insert;
  } catch (error) {
    return error as { constraint?: string; column?: string; code: string; message: string };
  }
  throw new Error('the database accepted a row it should have rejected');
}

const alert = (overrides: Row = {}): Row => ({
  entity_type: 'service',
  entity_id: 'workflow',
  period: 'daily',
  period_start: '2026-11-20T00:00:00Z',
  threshold_pct: 75,
  amount_spent: 11.5,
  limit_amount: 15,
  severity: 'warning',
  message: 'service workflow reached 75% of its daily limit',
  ...overrides,
});

describe('token_usage_logs rejects bad input with a named constraint', () => {
  it.each([
    ['negative prompt tokens', { prompt_tokens: -1 }, 'token_usage_logs_tokens_non_negative'],
    ['negative cached tokens', { cached_tokens: -5 }, 'token_usage_logs_tokens_non_negative'],
    ['negative input cost', { input_cost: -0.01 }, 'token_usage_logs_input_cost_non_negative'],
    ['NaN output cost', { output_cost: 'NaN' }, 'token_usage_logs_output_cost_non_negative'],
    ['negative total cost', { total_cost: -1 }, 'token_usage_logs_total_cost_non_negative'],
    ['negative latency', { latency_ms: -3 }, 'token_usage_logs_latency_non_negative'],
    ['empty service_type', { service_type: '' }, 'token_usage_logs_service_type_not_blank'],
    ['blank service_type', { service_type: '   ' }, 'token_usage_logs_service_type_not_blank'],
    ['10k-char service_type', { service_type: 'x'.repeat(10_000) }, 'token_usage_logs_service_type_not_blank'],
    ['empty model', { model: '' }, 'token_usage_logs_model_not_blank'],
    ['empty request_id', { request_id: '' }, 'token_usage_logs_request_id_not_blank'],
    ['10k-char user id', { user_id: 'u'.repeat(10_000) }, 'token_usage_logs_ids_bounded'],
  ])('%s', async (_name, overrides, constraint) => {
    const error = await rejection(insertLogs(db.pool, [overrides]));
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe(constraint);
    expect(error.message).toContain(constraint);
  });

  it.each(['Infinity', '100000000'])('a cost of %s is refused by a named constraint (a unit mistake, not a call)', async (cost) => {
    const error = await rejection(insertLogs(db.pool, [{ total_cost: cost }]));
    expect(error).toMatchObject({ code: '23514', constraint: 'token_usage_logs_costs_finite' });
  });

  it('keeps a cost below the micro-dollar exactly, as written', async () => {
    const [row] = await insertLogs(db.pool, [{ input_cost: '0.0000000375', output_cost: '0.0000015', total_cost: '0.0000015375' }]);
    expect(row).toMatchObject({ input_cost: '0.0000000375', total_cost: '0.0000015375' });
  });

  it('null keys are rejected by column', async () => {
    for (const column of ['request_id', 'service_type', 'model', 'provider']) {
      const error = await rejection(insertLogs(db.pool, [{ [column]: null }]));
      expect(error).toMatchObject({ code: '23502', column });
    }
  });

  it('a duplicate request_id is rejected by the unique key', async () => {
    await insertLogs(db.pool, [{ request_id: 'req-1' }]);
    const error = await rejection(insertLogs(db.pool, [{ request_id: 'req-1' }]));
    expect(error).toMatchObject({ code: '23505', constraint: 'token_usage_logs_request_id_key' });
  });

  it('a batch with one bad row writes nothing', async () => {
    await rejection(insertLogs(db.pool, [{}, {}, { completion_tokens: -1 }]));
    const { rows } = await db.pool.query('select count(*)::int as n from token_usage_logs');
    expect(rows[0].n).toBe(0);
  });

  it('derives total_tokens and total_cost when they are left out, and keeps given ones', async () => {
    const [derived] = await insertLogs(db.pool, [
      { prompt_tokens: 1200, completion_tokens: 345, input_cost: 0.003, output_cost: 0.0034505 },
    ]);
    const [given] = await insertLogs(db.pool, [
      { prompt_tokens: 10, completion_tokens: 5, total_tokens: 20, input_cost: 1, output_cost: 1, total_cost: 3 },
    ]);
    // Derived exactly: 0.003 + 0.0034505, not rounded to the micro-dollar.
    expect(derived).toMatchObject({ total_tokens: 1545, total_cost: '0.0064505' });
    expect(given).toMatchObject({ total_tokens: 20, total_cost: '3' });
  });

  it('sets updated_at itself, whatever the writer sends', async () => {
    const [row] = await insertLogs(db.pool, [{ updated_at: '2001-01-01T00:00:00Z' }].map((r) => r as Row));
    expect((row!.updated_at as Date).getFullYear()).toBeGreaterThan(2020);
  });
});

describe('budget_limits and cost_alerts reject bad input with a named constraint', () => {
  it.each([
    ['unknown entity_type', { entity_type: 'team', daily_limit: 5 }, 'budget_limits_entity_type_check'],
    ['empty entity_id', { entity_id: '', daily_limit: 5 }, 'budget_limits_entity_id_not_blank'],
    ['negative daily limit', { daily_limit: -5 }, 'budget_limits_daily_limit_non_negative'],
    ['NaN monthly limit', { monthly_limit: 'NaN' }, 'budget_limits_monthly_limit_non_negative'],
    ['no limit at all', {}, 'budget_limits_has_a_limit'],
    ['unknown breach_action', { daily_limit: 5, breach_action: 'shout' }, 'budget_limits_breach_action_check'],
    ['a NaN threshold', { daily_limit: 5, alert_thresholds: [50, 'NaN'] }, 'budget_limits_alert_thresholds_valid'],
    ['a null threshold', { daily_limit: 5, alert_thresholds: [50, null] }, 'budget_limits_alert_thresholds_valid'],
    ['a zero threshold', { daily_limit: 5, alert_thresholds: [0] }, 'budget_limits_alert_thresholds_valid'],
    ['a threshold past 1000%', { daily_limit: 5, alert_thresholds: [50, 1001] }, 'budget_limits_alert_thresholds_valid'],
    ['21 thresholds', { daily_limit: 5, alert_thresholds: Array.from({ length: 21 }, (_, i) => i + 1) }, 'budget_limits_alert_thresholds_valid'],
    ['a 10k-character entity_id', { entity_id: 'e'.repeat(10_000), daily_limit: 5 }, 'budget_limits_entity_id_not_blank'],
    ['a 10k-character description', { daily_limit: 5, description: 'd'.repeat(10_000) }, 'budget_limits_description_bounded'],
  ])('%s', async (_name, overrides, constraint) => {
    const error = await rejection(insertRows(db.pool, 'budget_limits', [{ ...budgetLimit(), ...overrides }]));
    expect(error).toMatchObject({ code: '23514', constraint });
  });

  it.each(['Infinity', '-Infinity', '100000000'])('a limit of %s overflows the column', async (limit) => {
    const error = await rejection(insertRows(db.pool, 'budget_limits', [{ ...budgetLimit(), monthly_limit: limit }]));
    expect(error.code).toBe('22003');
  });

  it('one limit per entity', async () => {
    await insertLimits(db.pool, [{ daily_limit: 5 }]);
    const error = await rejection(insertLimits(db.pool, [{ daily_limit: 6 }]));
    expect(error).toMatchObject({ code: '23505', constraint: 'budget_limits_entity_key' });
  });

  it.each([
    ['unknown severity', { severity: 'urgent' }, 'cost_alerts_severity_check'],
    ['unknown period', { period: 'weekly' }, 'cost_alerts_period_check'],
    ['unknown entity_type', { entity_type: 'team' }, 'cost_alerts_entity_type_check'],
    ['negative amount', { amount_spent: -1 }, 'cost_alerts_amount_spent_non_negative'],
    ['acknowledged_by without acknowledged', { acknowledged_by: 'ana' }, 'cost_alerts_acknowledgement_consistent'],
  ])('cost alert with %s', async (_name, overrides, constraint) => {
    const error = await rejection(insertRows(db.pool, 'cost_alerts', [alert(overrides)]));
    expect(error).toMatchObject({ code: '23514', constraint });
  });

  it('one alert per entity, period and threshold', async () => {
    await insertRows(db.pool, 'cost_alerts', [alert()]);
    const error = await rejection(insertRows(db.pool, 'cost_alerts', [alert({ amount_spent: 12 })]));
    expect(error).toMatchObject({ code: '23505', constraint: 'cost_alerts_once_per_period' });
  });
});

it('fixtures are valid as they are (so each rejection above is caused by its override)', async () => {
  await insertRows(db.pool, 'token_usage_logs', [usageLog()]);
  await insertRows(db.pool, 'budget_limits', [{ ...budgetLimit(), daily_limit: 1 }]);
  await insertRows(db.pool, 'cost_alerts', [alert()]);
});
