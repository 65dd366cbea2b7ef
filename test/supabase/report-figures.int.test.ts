import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReportFigures, SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertRows, usageLog, type Row } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

/** Thursday 2026-11-19, 12:00 in Berlin (11:00 UTC). The week began Monday the 16th. */
const AT = '2026-11-19T11:00:00Z';
const TZ = 'Europe/Berlin';

let db: TestDatabase;
let logs: Row[];
beforeAll(async () => {
  db = await createTestDatabase();
  let state = 3;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T,>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  const start = Date.parse('2026-10-28T00:00:00Z');
  logs = Array.from({ length: 600 }, () =>
    usageLog({
      created_at: new Date(start + Math.floor(next() * (Date.parse(AT) + 86_400_000 - start))).toISOString(),
      service_type: pick(['workflow', 'virtual_panel', '1:1_conversation']),
      model: pick(['gpt-4o', 'gpt-4o-mini', 'o3']),
      user_id: pick(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']),
      input_cost: null,
      output_cost: null,
      total_cost: next() < 0.05 ? null : Math.floor(next() * 3_000_000) / 1e6,
    }),
  );
  await insertRows(db.pool, 'token_usage_logs', logs);
  await insertLimits(db.pool, [{ daily_limit: 40, monthly_limit: 400, breach_action: 'alert' }]);
});
afterAll(() => db.drop());

const micros = (usd: number | null) => (usd === null ? null : Math.round(usd * 1e6));
/** Raw sum over [from, to), in micro-dollars: the independent figure. */
function spent(from: string, to: string, where: (row: Row) => boolean = () => true): number {
  const lo = Date.parse(from);
  const hi = Date.parse(to);
  return logs
    .filter((l) => Date.parse(l.created_at as string) >= lo && Date.parse(l.created_at as string) < hi && where(l))
    .reduce((sum, l) => sum + (l.total_cost === null ? 0 : micros(l.total_cost as number)!), 0);
}

it.each(TRANSPORTS)('every figure equals the raw sum for its period, to the micro-dollar (%s)', async (transport) => {
  const source: SupabaseSource = openSource(db, transport);
  let figures: ReportFigures;
  try {
    figures = await source.reportFigures({ at: AT, timezone: TZ, top: 3 });
  } finally {
    await source.close();
  }
  // Berlin is UTC+1 in November: local midnight is 23:00 UTC the day before.
  expect([figures.today.start, figures.week.start, figures.month.start]).toEqual([
    '2026-11-18T23:00:00+00:00', '2026-11-15T23:00:00+00:00', '2026-10-31T23:00:00+00:00',
  ]);
  expect(micros(figures.today.spent)).toBe(spent('2026-11-18T23:00:00Z', AT));
  expect(micros(figures.today.yesterday_same_time)).toBe(spent('2026-11-17T23:00:00Z', '2026-11-18T11:00:00Z'));
  expect(micros(figures.today.yesterday_total)).toBe(spent('2026-11-17T23:00:00Z', '2026-11-18T23:00:00Z'));
  expect(micros(figures.week.spent)).toBe(spent('2026-11-15T23:00:00Z', AT));
  expect(micros(figures.week.last_week_same_span)).toBe(spent('2026-11-08T23:00:00Z', '2026-11-12T11:00:00Z'));
  expect(micros(figures.month.spent)).toBe(spent('2026-10-31T23:00:00Z', AT));
  // Month-end projection: spent × 30 days / 18.5 days elapsed.
  expect(figures.month.days_elapsed).toBe(18.5);
  expect(micros(figures.month.projected)).toBe(Math.round((spent('2026-10-31T23:00:00Z', AT) * 30) / 18.5));
  expect(micros(figures.organization_budgets[0]!.spent)).toBe(spent('2026-10-31T23:00:00Z', AT));

  const week = (dimension: string, name: string, from: string, to: string) => spent(from, to, (l) => l[dimension] === name);
  for (const [list, column] of [[figures.top_services, 'service_type'], [figures.top_models, 'model'], [figures.top_users, 'user_id']] as const) {
    expect(list.length).toBe(3);
    for (const leader of list) {
      expect(micros(leader.spent)).toBe(week(column, leader.name, '2026-11-15T23:00:00Z', AT));
      expect(micros(leader.previous)).toBe(week(column, leader.name, '2026-11-08T23:00:00Z', '2026-11-12T11:00:00Z'));
    }
    expect([...list].sort((a, b) => b.spent - a.spent)).toEqual(list);
  }
  expect(figures.budgets.map((b) => b.period)).toEqual(['daily', 'monthly']);
});

it('keeps the month boundary in the report time zone: 23:30 UTC on November 30 is December in Berlin', async () => {
  await insertRows(db.pool, 'token_usage_logs', [
    usageLog({ created_at: '2026-11-30T22:30:00Z', input_cost: null, output_cost: null, total_cost: 7 }), // 23:30 in Berlin: November
    usageLog({ created_at: '2026-11-30T23:30:00Z', input_cost: null, output_cost: null, total_cost: 2.5 }), // 00:30 in Berlin: December
  ]);
  const source = openSource(db, 'postgres');
  try {
    const figures = await source.reportFigures({ at: '2026-12-01T08:00:00Z', timezone: TZ });
    expect(figures.month.start).toBe('2026-11-30T23:00:00+00:00');
    expect(figures.month.spent).toBe(2.5);
    expect(figures.month.projected).toBeNull(); // less than a day of December has passed
    expect(figures.today.yesterday_total).toBe(7); // all of November 30, local
    expect(figures.month.days_in_month).toBe(31);
  } finally {
    await source.close();
  }
});
