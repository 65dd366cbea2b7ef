/** Valid rows with overridable fields, and bulk inserts that keep one round trip per batch. */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { UsageEvent } from '../../src/sdk/usage-event.js';

export type Row = Record<string, unknown>;

export function usageLog(overrides: Row = {}): Row {
  return {
    request_id: randomUUID(),
    created_at: new Date().toISOString(),
    organization_id: 'mvp',
    user_id: 'user-1',
    session_id: 'session-1',
    tier: 'tier_1',
    service_type: 'workflow',
    agent_id: null,
    workflow_id: null,
    workflow_step: null,
    provider: 'openai',
    model: 'gpt-4o',
    prompt_tokens: 1000,
    completion_tokens: 200,
    input_cost: 0.0025,
    output_cost: 0.002,
    latency_ms: 850,
    success: true,
    ...overrides,
  };
}

export function budgetLimit(overrides: Row = {}): Row {
  return {
    entity_type: 'organization',
    entity_id: 'mvp',
    daily_limit: null,
    monthly_limit: null,
    session_limit: null,
    breach_action: 'block',
    alert_thresholds: [50, 75, 90, 100],
    is_active: true,
    ...overrides,
  };
}

/** Inserts rows (all with the same keys) in one statement; returns them as stored. */
export async function insertRows(db: pg.Pool | pg.PoolClient, table: string, rows: Row[]): Promise<Row[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const mismatch = rows.find((row) => Object.keys(row).join() !== columns.join());
  if (mismatch) throw new Error(`insertRows: every row needs the keys ${columns.join(', ')}; got ${Object.keys(mismatch).join(', ')}`);
  const list = columns.map((c) => `"${c}"`).join(', ');
  const { rows: inserted } = await db.query(
    `insert into public.${table} (${list})
     select ${list} from jsonb_populate_recordset(null::public.${table}, $1::jsonb)
     returning *`,
    [JSON.stringify(rows)],
  );
  return inserted;
}

export const insertLogs = (db: pg.Pool | pg.PoolClient, overrides: Row[]) =>
  insertRows(db, 'token_usage_logs', overrides.map(usageLog));

export const insertLimits = (db: pg.Pool | pg.PoolClient, overrides: Row[]) =>
  insertRows(db, 'budget_limits', overrides.map(budgetLimit));

/** A valid call (gpt-4o, 1000 in / 200 out: 4,500 µ$ from the catalogue) with overridable fields. */
export function usageCall(requestId: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    requestId,
    userId: 'user-1',
    sessionId: 'session-1',
    serviceType: 'workflow',
    provider: 'openai',
    model: 'gpt-4o',
    promptTokens: 1000,
    completionTokens: 200,
    createdAt: '2026-11-20T12:00:00Z',
    ...overrides,
  };
}
