import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBudgetAdmin, type BudgetAdmin } from '../../src/supabase/budget-admin.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLogs } from '../support/fixtures.js';
import { openSource, openTransportFor, TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const audit = async () =>
  (await db.pool.query(`select actor, action, entity_type, entity_id from budget_audit order by id`)).rows;

/** Three calls of an agent at 0.0045 each, created at `at`. */
const agentCalls = (agent: string, at: string, n = 3) =>
  insertLogs(db.pool, Array.from({ length: n }, () => ({ agent_id: agent, created_at: at })));

describe.each(TRANSPORTS)('budget administration through %s', (transport) => {
  let sql: SqlFunctionTransport;
  let admin: BudgetAdmin;
  beforeAll(() => {
    sql = openTransportFor(db, transport);
    admin = createBudgetAdmin(sql);
  });
  afterAll(() => sql.close());
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, budget_limits, budget_audit, agent_pauses, tokensync.budget_spend cascade');
  });

  it('sets a limit, then changes only what is given, each change audited with its actor', async () => {
    const created = await admin.setLimit({ type: 'feature', id: 'summarise' }, { monthlyLimit: 40, failMode: 'closed' }, 'cli:alice');
    expect(created).toMatchObject({ entity_type: 'feature', monthly_limit: 40, fail_mode: 'closed', grace_pct: 10, breach_action: 'alert' });
    const changed = await admin.setLimit({ type: 'feature', id: 'summarise' }, { gracePct: 5, breachAction: 'block' }, 'ops:bob');
    expect(changed).toMatchObject({ monthly_limit: 40, fail_mode: 'closed', grace_pct: 5, breach_action: 'block' });
    expect(await audit()).toEqual([
      { actor: 'cli:alice', action: 'create_limit', entity_type: 'feature', entity_id: 'summarise' },
      { actor: 'ops:bob', action: 'update_limit', entity_type: 'feature', entity_id: 'summarise' },
    ]);
  });

  it('resets, pauses and unpauses, each audited; show and audit read them back', async () => {
    await admin.setLimit({ type: 'agent', id: 'bot' }, { dailyLimit: 1, breachAction: 'block' }, 'cli:alice');
    await agentCalls('bot', new Date(Date.now() - 60_000).toISOString());
    const before = await admin.overview({ type: 'agent', id: 'bot' });
    expect(before.limits[0]).toMatchObject({ daily_spend: 0.0135, daily_utilisation: 0.0135 });

    const reset = await admin.resetSpend({ type: 'agent', id: 'bot' }, 'daily', 'cli:alice');
    expect(reset.daily_reset_at).not.toBeNull();
    expect(reset.monthly_reset_at).toBeNull();
    const after = await admin.overview({ type: 'agent', id: 'bot' });
    expect(after.limits[0]).toMatchObject({ daily_spend: 0, monthly_spend: 0.0135 });

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const pause = await admin.pauseAgent('bot', until, 'runaway loop', 'cli:alice');
    expect(pause).toMatchObject({ agent_id: 'bot', reason: 'runaway loop', paused_by: 'cli:alice' });
    expect((await admin.overview(null)).pauses).toEqual([
      expect.objectContaining({ agent_id: 'bot', reason: 'runaway loop', in_effect: true }),
    ]);
    expect(await admin.unpauseAgent('bot', 'ops:bob')).toEqual({ unpaused: true });
    expect(await admin.unpauseAgent('bot', 'ops:bob')).toEqual({ unpaused: false });
    expect((await admin.overview(null)).pauses).toEqual([]);

    const rows = await admin.audit({ type: 'agent', id: 'bot' }, 10);
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['ops:bob', 'unpause_agent'],
      ['ops:bob', 'unpause_agent'],
      ['cli:alice', 'pause_agent'],
      ['cli:alice', 'reset_spend'],
      ['cli:alice', 'create_limit'],
    ]);
    expect(await admin.audit(null, 2)).toHaveLength(2);
  });

  it('refuses to reset a limit that does not exist, with P0002', async () => {
    await expect(admin.resetSpend({ type: 'agent', id: 'nobody' }, 'both', 'cli:alice')).rejects.toMatchObject({ sqlState: 'P0002' });
  });
});

describe.each(TRANSPORTS)('the budgets job\'s SQL through %s', (transport) => {
  let source: SupabaseSource;
  let admin: BudgetAdmin;
  let sql: SqlFunctionTransport;
  beforeAll(() => {
    source = openSource(db, transport);
    sql = openTransportFor(db, transport);
    admin = createBudgetAdmin(sql);
  });
  afterAll(async () => {
    await source.close();
    await sql.close();
  });
  beforeEach(async () => {
    await db.pool.query('truncate token_usage_logs, budget_limits, budget_audit, agent_pauses, tokensync.budget_spend cascade');
  });

  const spend = async () =>
    (await db.pool.query(`select daily_spend::float8 as daily, monthly_spend::float8 as monthly from tokensync.budget_spend`)).rows;

  it('refreshes spend from the reset when it is later than the start of the day or month', async () => {
    await admin.setLimit({ type: 'agent', id: 'bot' }, { dailyLimit: 1, monthlyLimit: 10 }, 'test');
    await agentCalls('bot', new Date(Date.now() - 60_000).toISOString());
    await source.refreshBudgetSpend();
    expect(await spend()).toEqual([{ daily: 0.01, monthly: 0.01 }]);

    await admin.resetSpend({ type: 'agent', id: 'bot' }, 'daily', 'test');
    // A reset counts as a change of the limit: the figures move at once, even inside the spend window.
    await source.refreshBudgetSpend({ minAgeMs: 3_600_000 });
    expect(await spend()).toEqual([{ daily: 0, monthly: 0.01 }]);

    // Spend after the reset counts again.
    await agentCalls('bot', new Date(Date.now() + 1_000).toISOString(), 4);
    await source.refreshBudgetSpend({ at: new Date(Date.now() + 2_000) });
    expect(await spend()).toEqual([{ daily: 0.02, monthly: 0.03 }]);
  });

  it('housekeeping lifts pauses whose period ended, audited, and reports what it did', async () => {
    await admin.pauseAgent('bot', new Date(Date.now() + 3_600_000).toISOString(), 'over budget', 'test');
    expect(await source.budgetHousekeeping()).toEqual({ expiredHolds: 0, liftedPauses: 0, pausedAgents: 0 });
    expect(await source.budgetHousekeeping({ at: new Date(Date.now() + 7_200_000) })).toEqual({ expiredHolds: 0, liftedPauses: 1, pausedAgents: 0 });
    expect(await audit()).toEqual([
      { actor: 'test', action: 'pause_agent', entity_type: 'agent', entity_id: 'bot' },
      { actor: 'tokensync:period ended', action: 'pause_expired', entity_type: 'agent', entity_id: 'bot' },
    ]);
  });
});
