import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs, insertRows, usageLog, type Row } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SERVICES = ['workflow', 'virtual_panel', '1:1_conversation'];
const STEPS = ['draft', 'review', null];

function generateLogs(count: number): Row[] {
  const next = random(42);
  const pick = <T,>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, () => {
    const day = 18 + Math.floor(next() * 3);
    const workflow = next() < 0.5 ? pick(['wf-a', 'wf-b']) : null;
    return usageLog({
      created_at: new Date(Date.UTC(2026, 10, day, Math.floor(next() * 24), Math.floor(next() * 60))).toISOString(),
      user_id: pick(['u1', 'u2', 'u3', 'u4', null]),
      session_id: pick(['s1', 's2', 's3']),
      service_type: pick(SERVICES),
      workflow_id: workflow,
      workflow_step: workflow ? pick(STEPS) : null,
      prompt_tokens: Math.floor(next() * 5000),
      completion_tokens: Math.floor(next() * 1000),
      // Whole micro-dollars, so expected sums are exact integers; null is an unknown price.
      input_cost: null,
      output_cost: null,
      total_cost: next() < 0.1 ? null : Math.floor(next() * 50_000_000) / 1e6,
      latency_ms: next() < 0.1 ? null : Math.floor(next() * 4000),
      success: next() < 0.85,
    });
  });
}

const micros = (value: unknown) => Math.round(Number(value) * 1e6);

/** percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

function localDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/** The same aggregates, computed here from the raw rows, in units that compare exactly. */
function summarise(rows: Row[]) {
  const latencies = rows.map((r) => r.latency_ms).filter((v): v is number => v !== null);
  const successes = rows.filter((r) => r.success).length;
  const costMicros = rows.reduce((sum, r) => sum + (r.total_cost === null ? 0 : micros(r.total_cost)), 0);
  const p95 = percentileCont(latencies, 0.95);
  return {
    count: rows.length,
    successes,
    failures: rows.length - successes,
    successRateMicros: Math.round((successes * 1e6) / rows.length),
    tokens: rows.reduce((sum, r) => sum + (r.prompt_tokens as number) + (r.completion_tokens as number), 0),
    costMicros,
    avgCostMicros: Math.round(costMicros / rows.length),
    avgLatencyCents: latencies.length ? Math.round((latencies.reduce((a, b) => a + b, 0) * 100) / latencies.length) : null,
    p95: p95,
    sessions: new Set(rows.map((r) => r.session_id)).size,
    users: new Set(rows.map((r) => r.user_id).filter((u) => u !== null)).size,
  };
}

function expectP95(actual: unknown, expected: number | null) {
  if (expected === null) return expect(actual).toBeNull();
  // Stored rounded to cents.
  expect(Math.abs(Number(actual) - expected)).toBeLessThanOrEqual(0.005 + 1e-9);
}

let db: TestDatabase;
let source: SupabaseSource;
let logs: Row[];
beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
  logs = generateLogs(900);
  await insertRows(db.pool, 'token_usage_logs', logs);
});
afterAll(async () => {
  await source.close();
  await db.drop();
});

async function serviceRows() {
  const { rows } = await db.pool.query(
    `select m.*, m.metric_date::text as metric_date from service_performance_metrics m order by m.metric_date, m.service_type`,
  );
  return rows;
}

function checkServiceRollup(actual: Row[], timeZone: string, from: string, to: string) {
  const inRange = logs.filter((l) => {
    const day = localDate(l.created_at as string, timeZone);
    return day >= from && day <= to;
  });
  const expected = groupBy(inRange, (l) => `${localDate(l.created_at as string, timeZone)}|${l.service_type}`);
  expect(actual.map((r) => `${r.metric_date}|${r.service_type}`).sort()).toEqual([...expected.keys()].sort());
  for (const row of actual) {
    const e = summarise(expected.get(`${row.metric_date}|${row.service_type}`)!);
    expect(row).toMatchObject({
      total_requests: e.count,
      successful_requests: e.successes,
      failed_requests: e.failures,
      total_tokens: String(e.tokens),
      unique_users: e.users,
      unique_sessions: e.sessions,
    });
    expect(micros(row.success_rate)).toBe(e.successRateMicros);
    expect(micros(row.total_cost)).toBe(e.costMicros);
    expect(micros(row.avg_cost_per_request)).toBe(e.avgCostMicros);
    expect(row.avg_latency_ms === null ? null : Math.round(Number(row.avg_latency_ms) * 100)).toBe(e.avgLatencyCents);
    expectP95(row.p95_latency_ms, e.p95);
  }
}

describe('service performance rollup', () => {
  it('equals the aggregates computed from the raw rows', async () => {
    const result = await source.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20' });
    const rows = await serviceRows();
    expect(result).toEqual({ changed: rows.length, deleted: 0 });
    checkServiceRollup(rows, 'UTC', '2026-11-18', '2026-11-20');
  });

  it('changes nothing when run again, not even updated_at', async () => {
    const before = await serviceRows();
    expect(await source.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20' })).toEqual({ changed: 0, deleted: 0 });
    expect(await serviceRows()).toEqual(before);
  });

  it('follows late changes: updates the affected day and deletes a day that lost its rows', async () => {
    const [victim] = logs.filter((l) => (l.created_at as string).startsWith('2026-11-19') && l.service_type === 'workflow');
    await db.pool.query(`update token_usage_logs set total_cost = 123.456789 where request_id = $1`, [victim!.request_id]);
    victim!.total_cost = 123.456789;
    const gone = logs.filter((l) => (l.created_at as string).startsWith('2026-11-20') && l.service_type === 'virtual_panel');
    await db.pool.query(`delete from token_usage_logs where request_id = any($1)`, [gone.map((l) => l.request_id)]);
    logs = logs.filter((l) => !gone.includes(l));

    expect(await source.rollupServicePerformance({ from: '2026-11-18', to: '2026-11-20' })).toEqual({ changed: 1, deleted: 1 });
    const rows = await serviceRows();
    checkServiceRollup(rows, 'UTC', '2026-11-18', '2026-11-20');
  });

  it('groups by local day in the given time zone', async () => {
    await db.pool.query('truncate service_performance_metrics');
    await source.rollupServicePerformance({ from: '2026-11-19', to: '2026-11-19', timezone: 'Asia/Tokyo' });
    checkServiceRollup(await serviceRows(), 'Asia/Tokyo', '2026-11-19', '2026-11-19');
  });

  it('rejects a reversed range', async () => {
    await expect(source.rollupServicePerformance({ from: '2026-11-20', to: '2026-11-18' })).rejects.toMatchObject({
      sqlState: '22023',
      message: expect.stringContaining('p_from <= p_to'),
    });
  });
});

describe('workflow analytics rollup', () => {
  it('equals the aggregates per day and step (a missing step counted under null), and is idempotent', async () => {
    expect((await source.rollupWorkflowAnalytics({ from: '2026-11-18', to: '2026-11-20' })).deleted).toBe(0);
    const { rows } = await db.pool.query(`select *, metric_date::text as day from workflow_analytics order by 1`);
    const withWorkflow = logs.filter((l) => l.workflow_id !== null);
    const expected = groupBy(withWorkflow, (l) => `${localDate(l.created_at as string, 'UTC')}|${l.workflow_id}|${l.workflow_step}`);
    expect(rows.map((r) => `${r.day}|${r.workflow_id}|${r.workflow_step}`).sort()).toEqual([...expected.keys()].sort());
    expect(rows.some((r) => r.workflow_step === null)).toBe(true);
    for (const row of rows) {
      const e = summarise(expected.get(`${row.day}|${row.workflow_id}|${row.workflow_step}`)!);
      expect(row).toMatchObject({ executions: e.count, successful_executions: e.successes, failed_executions: e.failures, unique_sessions: e.sessions, total_tokens: String(e.tokens) });
      expect(micros(row.total_cost)).toBe(e.costMicros);
      expect(micros(row.avg_cost_per_execution)).toBe(e.avgCostMicros);
      expect(micros(row.success_rate)).toBe(e.successRateMicros);
      expect(row.avg_duration_ms === null ? null : Math.round(Number(row.avg_duration_ms) * 100)).toBe(e.avgLatencyCents);
      expectP95(row.p95_duration_ms, e.p95);
    }
    expect(await source.rollupWorkflowAnalytics({ from: '2026-11-18', to: '2026-11-20' })).toEqual({ changed: 0, deleted: 0 });
  });
});

describe('reporting views', () => {
  it('mv_daily_cost_breakdown follows the daily cost rollup; the other three refresh concurrently', async () => {
    const timings = await source.refreshReportingViews();
    expect(Object.keys(timings).sort()).toEqual(['mv_service_performance', 'mv_user_spending_summary', 'mv_workflow_efficiency']);
    await source.rollupChanged();
    const total = async (view: string) => (await db.pool.query(`select sum(requests)::int as n from ${view}`)).rows[0].n;
    const before = await total('mv_daily_cost_breakdown');
    expect(before).toBe(logs.length);
    await insertLogs(db.pool, [{}, {}]);
    await source.rollupChanged();
    expect(await total('mv_daily_cost_breakdown')).toBe(before + 2);
    await source.refreshReportingViews();
    expect(await total('mv_service_performance')).toBe(before + 2);
  });
});
