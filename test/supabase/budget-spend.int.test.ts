import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const AT = '2026-11-20T12:00:00Z';
/** Berlin is UTC+1 in November: its 20th starts at 2026-11-19T23:00Z. */
const TIMEZONE = 'Europe/Berlin';

async function spendRows() {
  const { rows } = await db.pool.query(
    `select b.entity_type, b.entity_id, s.daily_spend::float8 as daily, s.monthly_spend::float8 as monthly,
            s.daily_utilisation::float8 as daily_use, s.monthly_utilisation::float8 as monthly_use
       from budget_limits b join tokensync.budget_spend s on s.budget_limit_id = b.id order by 1, 2`,
  );
  return rows;
}

describe.each(TRANSPORTS)('budget spend through %s', (transport) => {
  let source: SupabaseSource;
  beforeAll(() => {
    source = openSource(db, transport);
  });
  afterAll(() => source.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, tokensync.budget_spend');
  });

  it('is what each limit spent today and this month, in local days, to the cent, with utilisation', async () => {
    await insertLimits(db.pool, [
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 10, monthly_limit: 200 },
      { entity_type: 'organization', entity_id: 'mvp', daily_limit: null, monthly_limit: 50 },
    ]);
    await insertLogs(db.pool, [
      { service_type: 'workflow', organization_id: 'mvp', total_cost: 2.004, created_at: '2026-11-20T08:00:00Z' },
      // 23:30 UTC on the 19th is already the 20th in Berlin.
      { service_type: 'workflow', organization_id: 'mvp', total_cost: 1, created_at: '2026-11-19T23:30:00Z' },
      { service_type: 'workflow', organization_id: 'mvp', total_cost: 4, created_at: '2026-11-03T10:00:00Z' },
      { service_type: 'virtual_panel', organization_id: 'mvp', total_cost: 0.5, created_at: '2026-11-20T09:00:00Z' },
      // Last month, and after `at`: neither counts.
      { service_type: 'workflow', organization_id: 'mvp', total_cost: 100, created_at: '2026-10-31T12:00:00Z' },
      { service_type: 'workflow', organization_id: 'mvp', total_cost: 100, created_at: '2026-11-20T13:00:00Z' },
    ]);

    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 2 });
    expect(await spendRows()).toEqual([
      { entity_type: 'organization', entity_id: 'mvp', daily: 3.5, monthly: 7.5, daily_use: null, monthly_use: 0.15 },
      { entity_type: 'service', entity_id: 'workflow', daily: 3, monthly: 7, daily_use: 0.3, monthly_use: 0.035 },
    ]);
  });

  it('with a window, moves at most once per window, unless the limit changed or a threshold was crossed', async () => {
    const window = { at: AT, timezone: TIMEZONE, minAgeMs: 60_000 };
    const daily = async () => (await spendRows())[0]!.daily;
    await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'workflow', daily_limit: 10, alert_thresholds: [50, 90] }]);
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: '2026-11-20T08:00:00Z' }]);
    // No figures yet: written at once.
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 1 });

    // A dollar more inside the window: what Notion shows waits.
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: '2026-11-20T08:10:00Z' }]);
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 0 });
    expect(await daily()).toBe(1);

    // Crossing 50 % moves it at once: an alert never sits beside the spend from before it.
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 3.5, created_at: '2026-11-20T08:20:00Z' }]);
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 1 });
    expect(await daily()).toBe(5.5);

    // A changed limit shows its utilisation at once.
    await db.pool.query(`update budget_limits set daily_limit = 20`);
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 0.5, created_at: '2026-11-20T08:30:00Z' }]);
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 1 });
    expect((await spendRows())[0]).toMatchObject({ daily: 6, daily_use: 0.3 });

    // Once the figures are older than the window, the next change is written.
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: '2026-11-20T08:40:00Z' }]);
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 0 });
    await db.pool.query(`update tokensync.budget_spend set updated_at = updated_at - interval '61 seconds'`);
    expect(await source.refreshBudgetSpend(window)).toEqual({ changed: 1 });
    expect(await daily()).toBe(7);
    // Without a window, every change is written.
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: '2026-11-20T08:50:00Z' }]);
    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 1 });
  });

  it('rewrites only what changed, and never touches budget_limits.updated_at (edits in Notion are judged by it)', async () => {
    const [workflow, panel] = await insertLimits(db.pool, [
      { entity_type: 'service', entity_id: 'workflow', daily_limit: 10 },
      { entity_type: 'service', entity_id: 'virtual_panel', daily_limit: 10 },
    ]);
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: '2026-11-20T08:00:00Z' }]);
    await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE });
    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 0 });

    // Less than a cent more shows the same in Notion: no rewrite. A cent more does.
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 0.001, created_at: '2026-11-20T09:00:00Z' }]);
    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 0 });
    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 0.01, created_at: '2026-11-20T09:30:00Z' }]);
    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 1 });

    const { rows } = await db.pool.query('select id, updated_at from budget_limits order by entity_id');
    expect(rows.map((r) => r.updated_at.getTime())).toEqual([panel!.updated_at, workflow!.updated_at].map((d) => (d as Date).getTime()));

    // A deleted limit's spend goes with it.
    await db.pool.query('delete from budget_limits where id = $1', [panel!.id]);
    expect(await source.refreshBudgetSpend({ at: AT, timezone: TIMEZONE })).toEqual({ changed: 1 });
    expect((await spendRows()).map((r) => r.entity_id)).toEqual(['workflow']);
  });

  it('shows in the rows the sync reads, whose updated_at moves with the spend', async () => {
    const [limit] = await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'workflow', daily_limit: 4 }]);
    const before = await source.syncChanges('budget_limits', null, { settleMs: 0 });
    expect(before.changes[0]!.row).toMatchObject({ id: limit!.id, daily_spend: null, daily_utilisation: null });

    await insertLogs(db.pool, [{ service_type: 'workflow', total_cost: 1, created_at: new Date().toISOString() }]);
    await source.refreshBudgetSpend({ timezone: 'UTC' });
    const after = await source.syncChanges('budget_limits', before.nextCursor, { settleMs: 0 });
    expect(after.changes.map((c) => c.row)).toEqual([expect.objectContaining({ id: limit!.id, daily_spend: 1, daily_utilisation: 0.25 })]);
  });
});
