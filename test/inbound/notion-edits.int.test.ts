import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { createPollMemory, pollNotionEdits } from '../../src/inbound/notion-edits.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { provisionNotion, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertRows } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];
const text = (content: string) => ({ rich_text: [{ type: 'text', text: { content } }] });

let db: TestDatabase;
let source: SupabaseSource;
let fake: NotionFake;
let dataSources: { cost_alerts: string; budget_limits: string };
let alertPage: string;
let limitPage: string;
let limitId: string;
let alertId: string;
const logLines: string[] = [];
const logger = createLogger({ format: 'json', destination: new Writable({ write: (c, _e, done) => (logLines.push(c.toString()), done()) }) });

const notion = () => createNotionClient({ token: fake.token, baseUrl: fake.url });
const poll = () => pollNotionEdits(source, { client: notion(), dataSources, logger });
const writes = () => fake.stats().entries.filter((e) => e.method !== 'GET' && !e.route.endsWith('/query')).reduce((n, e) => n + e.count, 0);

beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
  // Edit times to the millisecond, so "newer" is decided by the data, not by Notion's minute rounding.
  fake = await startNotionFake({ rateLimit: false, timestampPrecision: 'millisecond', pages: [{ id: PARENT, title: 'LLM costs' }] });
  const provisioned = await provisionNotion({ client: notion(), parentPageId: PARENT, recorded: NO_IDS, envFile: undefined, timezone: 'UTC' });
  dataSources = { cost_alerts: provisioned.databases.cost_alerts!.dataSourceId, budget_limits: provisioned.databases.budget_limits!.dataSourceId };

  [limitId] = (await insertLimits(db.pool, [{ daily_limit: 10, monthly_limit: 100 }])).map((r) => r.id as string) as [string];
  [alertId] = (
    await insertRows(db.pool, 'cost_alerts', [{
      entity_type: 'organization', entity_id: 'mvp', period: 'daily', period_start: '2026-11-20T00:00:00Z', threshold_pct: 90,
      amount_spent: 9.5, limit_amount: 10, severity: 'critical', message: "organization 'mvp' reached 90% of its daily limit",
    }])
  ).map((r) => r.id as string) as [string];

  // The pages as the sync writes them: values equal to the rows.
  alertPage = ((await notion().pages.create({
    parent: { type: 'data_source_id', data_source_id: dataSources.cost_alerts },
    properties: { Alert: { title: [{ type: 'text', text: { content: 'mvp daily 90%' } }] }, 'Supabase ID': text(alertId!), Acknowledged: { checkbox: false } } as never,
  })) as { id: string }).id;
  limitPage = ((await notion().pages.create({
    parent: { type: 'data_source_id', data_source_id: dataSources.budget_limits },
    properties: {
      Name: { title: [{ type: 'text', text: { content: 'organization · mvp' } }] }, 'Supabase ID': text(limitId!),
      'Daily Limit': { number: 10 }, 'Monthly Limit': { number: 100 }, Active: { checkbox: true },
    } as never,
  })) as { id: string }).id;
});
afterAll(async () => {
  await source.close();
  await fake.close();
  await db.drop();
});

const row = async (table: string, id: string) => (await db.pool.query(`select * from ${table} where id = $1`, [id])).rows[0];

describe('edits made in Notion', () => {
  it('pages equal to their rows are no edits: nothing changes, nothing is written', async () => {
    fake.resetStats();
    expect(await poll()).toEqual({
      cost_alerts: { unchanged: 1, applied: 0, superseded: 0, rejected: 0, gone: 0 },
      budget_limits: { unchanged: 1, applied: 0, superseded: 0, rejected: 0, gone: 0 },
    });
    expect(writes()).toBe(0);
  });

  it('ticking Acknowledged acknowledges the alert in Supabase, by whom and when', async () => {
    const edited = (await notion().pages.update({ page_id: alertPage, properties: { Acknowledged: { checkbox: true } } as never })) as { last_edited_time: string };
    expect((await poll()).cost_alerts.applied).toBe(1);
    const alert = await row('cost_alerts', alertId);
    const editor = (await notion().users.me({})).name;
    expect(editor).toBeTruthy();
    expect(alert).toMatchObject({ acknowledged: true, acknowledged_by: editor });
    expect((alert.acknowledged_at as Date).toISOString()).toBe(new Date(edited.last_edited_time).toISOString());
    // Polling again changes nothing (the cursor re-reads the page; it now equals the row).
    expect((await poll()).cost_alerts).toMatchObject({ applied: 0 });
  });

  it('a new daily limit is applied and what it replaced is recorded', async () => {
    await notion().pages.update({ page_id: limitPage, properties: { 'Daily Limit': { number: 25 } } as never });
    expect((await poll()).budget_limits.applied).toBe(1);
    expect(Number((await row('budget_limits', limitId)).daily_limit)).toBe(25);
    const { rows } = await db.pool.query(`select outcome, overwritten->>'daily_limit' as was, applied->>'daily_limit' as now from tokensync.notion_edit_log where row_id = $1`, [limitId]);
    expect(rows).toEqual([{ outcome: 'applied', was: '10.000000', now: '25' }]);
  });

  it('an invalid limit is rejected, put back in Notion, and logged with the page and the editor', async () => {
    await notion().pages.update({ page_id: limitPage, properties: { 'Monthly Limit': { number: -50 } } as never });
    expect((await poll()).budget_limits.rejected).toBe(1);
    expect(Number((await row('budget_limits', limitId)).monthly_limit)).toBe(100);
    const page = (await notion().pages.retrieve({ page_id: limitPage })) as { properties: Record<string, { number?: number }> };
    expect(page.properties['Monthly Limit']!.number).toBe(100);
    const warning = logLines.map((l) => JSON.parse(l)).find((l) => l.outcome === 'rejected');
    expect(warning).toMatchObject({ pageId: limitPage, reason: 'monthly_limit must be 0 or more, got -50', editor: expect.any(String) });
  });

  it('when Supabase changed after the page was edited, Supabase wins and the edit is recorded as superseded', async () => {
    await notion().pages.update({ page_id: limitPage, properties: { 'Daily Limit': { number: 40 } } as never });
    await db.pool.query(`update budget_limits set daily_limit = 30 where id = $1`, [limitId]);
    expect((await poll()).budget_limits.superseded).toBe(1);
    expect(Number((await row('budget_limits', limitId)).daily_limit)).toBe(30);
    const { rows } = await db.pool.query(`select applied->>'daily_limit' as lost from tokensync.notion_edit_log where outcome = 'superseded'`);
    expect(rows).toEqual([{ lost: '40' }]);
  });
});

it('with memory, reads each schema and each editor once while the pages carry the same ids; a property re-created in Notion is read again', async () => {
  const memory = createPollMemory();
  const reads = () => ({
    schemas: fake.count({ method: 'GET', route: '/v1/data_sources/:data_source_id' }),
    users: fake.count({ method: 'GET', route: '/v1/users/:user_id' }),
  });
  const pollEverything = async () => {
    // Read every page again, as after a sync that rewrote them all.
    await db.pool.query('truncate tokensync.notion_edit_cursors');
    return pollNotionEdits(source, { client: notion(), dataSources, logger, memory });
  };
  fake.resetStats();
  await pollEverything();
  expect(reads()).toEqual({ schemas: 2, users: 1 });
  fake.resetStats();
  await pollEverything();
  expect(reads()).toEqual({ schemas: 0, users: 0 });

  // Daily Limit deleted and made again by hand: a new id, which the remembered one must not read.
  await notion().dataSources.update({ data_source_id: dataSources.budget_limits, properties: { 'Daily Limit': null } as never });
  await notion().dataSources.update({ data_source_id: dataSources.budget_limits, properties: { 'Daily Limit': { number: {} } } as never });
  await notion().pages.update({ page_id: limitPage, properties: { 'Daily Limit': { number: 55 } } as never });
  fake.resetStats();
  expect((await pollNotionEdits(source, { client: notion(), dataSources, logger, memory })).budget_limits.applied).toBe(1);
  expect(reads().schemas).toBe(1);
  expect(Number((await row('budget_limits', limitId)).daily_limit)).toBe(55);
});

it('applies all the pages of a poll in one database call per dataset', async () => {
  const calls = { acknowledgements: 0, budgets: 0, pages: 0 };
  const counting: SupabaseSource = {
    ...source,
    applyAcknowledgements: (edits) => ((calls.acknowledgements += 1), (calls.pages += edits.length), source.applyAcknowledgements(edits)),
    applyBudgetEdits: (edits) => ((calls.budgets += 1), (calls.pages += edits.length), source.applyBudgetEdits(edits)),
  };
  // Read every page again, as after a sync that rewrote them all.
  await db.pool.query('truncate tokensync.notion_edit_cursors');
  const counts = await pollNotionEdits(counting, { client: notion(), dataSources, logger });
  expect(calls).toEqual({ acknowledgements: 1, budgets: 1, pages: 2 });
  const decided = [...Object.values(counts.cost_alerts), ...Object.values(counts.budget_limits)].reduce((a, b) => a + b, 0);
  expect(decided).toBe(2);
});
