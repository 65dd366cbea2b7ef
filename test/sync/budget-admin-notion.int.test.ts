/**
 * Budget administration as stakeholders see it in Notion: an agent's pause
 * reaches its Budget Limits page and leaves it when lifted, and Grace, Fail Mode
 * and Paused Until edited there come back to Supabase, audited as notion:<editor>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollNotionEdits } from '../../src/inbound/notion-edits.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { createBudgetAdmin, type BudgetAdmin } from '../../src/supabase/budget-admin.js';
import { pagesByKey, plainOf, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
let admin: BudgetAdmin;
let limitId: string;
let editor: string;

const notion = () => createNotionClient({ token: h.fake.token, baseUrl: h.fake.url });
const logger = createLogger({ level: 'silent' });
const AGENT = { type: 'agent', id: 'support-bot' } as const;

/** What the agent's Budget Limits page shows of the limit's policy and pause. */
async function page() {
  const [found] = pagesByKey(h.fake, h.dataSources.budget_limits).get(limitId) ?? [];
  if (!found) throw new Error(`no Budget Limits page for ${limitId}`);
  const shown = (name: string) => plainOf(found.properties[name]);
  return {
    id: String(found.id),
    grace: shown('Grace'),
    failMode: shown('Fail Mode'),
    pausedUntil: shown('Paused Until'),
    pauseReason: shown('Pause Reason'),
    entityType: shown('Entity Type'),
  };
}

const sync = () => h.engine().runPass('budget_limits');
const poll = () =>
  pollNotionEdits(h.source, { client: notion(), dataSources: { cost_alerts: h.dataSources.cost_alerts, budget_limits: h.dataSources.budget_limits }, logger });
const lastAudit = async () =>
  (await h.db.pool.query(`select actor, action, details from budget_audit order by id desc limit 1`)).rows[0] as { actor: string; action: string; details: Record<string, unknown> };
const openPause = async () => (await h.db.pool.query(`select reason from agent_pauses where agent_id = $1 and lifted_at is null`, [AGENT.id])).rows[0];

beforeAll(async () => {
  // Edit times to the millisecond, so "newer" is decided by the data, not by Notion's minute rounding.
  h = await startSyncHarness({ timestampPrecision: 'millisecond' });
  admin = createBudgetAdmin(h.transport);
  limitId = (await admin.setLimit(AGENT, { dailyLimit: 5, breachAction: 'block' }, 'cli:alice')).id;
  editor = String((await notion().users.me({})).name);
});
afterAll(() => h.close());

describe('an agent\'s pause in Notion', () => {
  it('shows on the Budget Limits page after a sync, with Grace and Fail Mode', async () => {
    const until = new Date(Date.now() + 3_600_000);
    await admin.pauseAgent(AGENT.id, until.toISOString(), 'runaway loop', 'cli:alice');
    await sync();
    const shown = await page();
    expect(shown).toMatchObject({ grace: 10, failMode: 'open', pauseReason: 'runaway loop', entityType: 'agent' });
    expect(new Date(String(shown.pausedUntil)).getTime()).toBe(until.getTime());
  });

  it('leaves the page after unpause: lifting a pause moves the row forward, so the sync sees it', async () => {
    await admin.unpauseAgent(AGENT.id, 'cli:alice');
    expect((await sync()).updated).toBe(1);
    expect(await page()).toMatchObject({ pausedUntil: null, pauseReason: '' });
  });
});

describe('edits of budget administration made in Notion', () => {
  it('a new Grace is applied and audited with a notion actor naming the editor', async () => {
    await notion().pages.update({ page_id: (await page()).id, properties: { Grace: { number: 5 } } as never });
    expect((await poll()).budget_limits.applied).toBe(1);
    expect(Number((await h.db.pool.query(`select grace_pct from budget_limits where id = $1`, [limitId])).rows[0].grace_pct)).toBe(5);
    expect(await lastAudit()).toMatchObject({ actor: `notion:${editor}`, action: 'update_limit', details: { grace_pct: { from: 10, to: 5 } } });
  });

  it('an unknown Fail Mode is rejected and put back', async () => {
    await notion().pages.update({ page_id: (await page()).id, properties: { 'Fail Mode': { select: { name: 'sometimes' } } } as never });
    expect((await poll()).budget_limits.rejected).toBe(1);
    expect((await page()).failMode).toBe('open');
  });

  it('clearing Paused Until unpauses the agent, audited with a notion actor', async () => {
    await admin.pauseAgent(AGENT.id, new Date(Date.now() + 3_600_000).toISOString(), 'over budget', 'tokensync:budget');
    await sync();
    await notion().pages.update({ page_id: (await page()).id, properties: { 'Paused Until': { date: null } } as never });
    expect((await poll()).budget_limits.applied).toBe(1);
    expect(await openPause()).toBeUndefined();
    expect(await lastAudit()).toMatchObject({ actor: `notion:${editor}`, action: 'unpause_agent', details: { lifted: 1 } });
    await sync();
    expect(await page()).toMatchObject({ pausedUntil: null, pauseReason: '' });
  });

  it('a page that never showed the pause cannot lift it: an edit there changes only what it edits', async () => {
    await admin.pauseAgent(AGENT.id, new Date(Date.now() + 3_600_000).toISOString(), 'over budget again', 'tokensync:budget');
    // No sync: the page still shows no pause when the stakeholder edits it.
    await notion().pages.update({ page_id: (await page()).id, properties: { Grace: { number: 7 } } as never });
    expect((await poll()).budget_limits.applied).toBe(1);
    expect(await openPause()).toEqual({ reason: 'over budget again' });
    expect(Number((await h.db.pool.query(`select grace_pct from budget_limits where id = $1`, [limitId])).rows[0].grace_pct)).toBe(7);
  });
});
