/**
 * Unpriced is never free: a call on a model nobody prices is stored at a
 * fallback price and flagged, counts in budgets, shows on the report page, in
 * alerts and in verify, until recost prices it.
 *
 * Amounts are computed by hand from the providers' published price sheets:
 *   OpenAI API pricing page (platform.openai.com/docs/pricing):
 *     o1-pro   $150.00/MTok input, $600.00/MTok output (since its launch, 2025-03): OpenAI's dearest by input
 *     gpt-4.1  $2.00/MTok input, $8.00/MTok output (since its launch, 2025-04)
 *     gpt-4o   $2.50/MTok input, $10.00/MTok output (since 2024-10)
 * Every call below is 1000 input and 200 output tokens (usageCall), so:
 *   o1-pro  1000 × 150 + 200 × 600 = 150,000 + 120,000 = 270,000 µ$ = $0.27
 *   gpt-4.1 1000 × 2   + 200 × 8   =   2,000 +   1,600 =   3,600 µ$
 *   gpt-4o  1000 × 2.5 + 200 × 10  =   2,500 +   2,000 =   4,500 µ$
 */
import { startNotionFake } from '@tokensync/notion-sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { webhookBody } from '../../src/jobs/alert-webhook.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { publishReport } from '../../src/report/publish.js';
import { createPriceBook } from '../../src/sdk/pricing/price-book.js';
import { recost } from '../../src/sdk/recost.js';
import type { UsageEvent } from '../../src/sdk/usage-event.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createUsageStore, type UsageStore } from '../../src/supabase/usage-store.js';
import { runChecks } from '../../src/verify/run-checks.js';
import { runScript } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { usageCall } from '../support/fixtures.js';
import { openTracker } from '../support/sdk.js';
import { openSource, openTransportFor } from '../support/sources.js';

let db: TestDatabase;
let source: SupabaseSource;
let store: UsageStore;
let closeStore: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
  const transport = openTransportFor(db, 'postgres');
  store = createUsageStore(transport);
  closeStore = () => transport.close();
});
afterAll(async () => {
  await source.close();
  await closeStore();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs, model_pricing, budget_limits, cost_alerts');
});

/** Records the calls (now, unless they say otherwise) through a tracker with this configuration. */
async function record(calls: UsageEvent[], env: Record<string, string> = {}): Promise<void> {
  const tracker = openTracker(db, 'postgres', { config: loadConfig(env) });
  for (const c of calls) tracker.record(c);
  expect(await tracker.close()).toMatchObject({ written: calls.length });
}

const now = () => new Date().toISOString();
const unknownCall = (requestId: string, overrides: Partial<UsageEvent> = {}) =>
  usageCall(requestId, { model: 'house-model-7', userId: 'u-fallback', createdAt: now(), ...overrides });

async function row(requestId: string) {
  const { rows } = await db.pool.query(
    `select total_cost::text, cost_estimated, metadata->'pricing' as pricing from token_usage_logs where request_id = $1`,
    [requestId],
  );
  return rows[0];
}

async function overrides() {
  return createPriceBook({ load: store.modelPricing, logger: createLogger({ level: 'silent' }) }).current();
}

describe('an unknown model recorded through the tracker', () => {
  it('is stored at its provider’s dearest price, flagged, and says which model priced it', async () => {
    await record([unknownCall('unknown'), usageCall('given', { model: 'house-model-7', totalCost: 0.01 })]);
    expect(await row('unknown')).toEqual({
      total_cost: '0.270000', cost_estimated: true,
      pricing: { source: 'estimated', priced_as: 'openai/o1-pro', fallback: 'dearest of provider', reason: expect.stringContaining('house-model-7') },
    });
    // A cost the caller gave is never an estimate.
    expect(await row('given')).toMatchObject({ total_cost: '0.010000', cost_estimated: false, pricing: { source: 'given' } });
  });

  it('is priced as PRICING_FALLBACK_MODELS says', async () => {
    await record([unknownCall('configured')], { PRICING_FALLBACK_MODELS: 'openai=gpt-4.1' });
    expect(await row('configured')).toMatchObject({ total_cost: '0.003600', cost_estimated: true, pricing: { priced_as: 'openai/gpt-4.1', fallback: 'configured' } });
  });

  it('counts in check_user_budget: the remaining budget shrinks by the fallback cost', async () => {
    await db.pool.query(`insert into budget_limits (entity_type, entity_id, daily_limit, breach_action) values ('user', 'u-fallback', 1, 'block')`);
    const remaining = async () =>
      (await db.pool.query(`select (check_user_budget('u-fallback', null, 'workflow', 0)).remaining_budget::text as r`)).rows[0].r;
    expect(await remaining()).toBe('1.000000');
    await record([unknownCall('budgeted')]);
    // $1 − $0.27
    expect(Number(await remaining())).toBe(0.73);
  });

  it('alerts say how much of the spend they report is estimated; the worker posts that message', async () => {
    await db.pool.query(`
      insert into budget_limits (entity_type, entity_id, daily_limit, alert_thresholds, breach_action) values
        ('user', 'u-fallback', 1, '{10}', 'alert'),
        ('user', 'u-priced', 0.01, '{10}', 'alert')`);
    await record([unknownCall('alerting'), usageCall('priced', { userId: 'u-priced', createdAt: now() })]);
    const alerts = await source.evaluateAlerts({ timezone: 'UTC' });
    const message = (entity: string) => alerts.find((a) => a.entityId === entity)?.message;
    expect(message('u-fallback')).toBe(`user 'u-fallback' reached 10% of its daily limit: $0.27 of $1.00 (includes $0.27 estimated for unpriced models)`);
    // Nothing estimated, nothing said: $0.0045 of gpt-4o.
    expect(message('u-priced')).toBe(`user 'u-priced' reached 10% of its daily limit: $0.0045 of $0.01`);
    expect(webhookBody(alerts.find((a) => a.entityId === 'u-fallback')!).text).toContain('(includes $0.27 estimated for unpriced models)');
  });

  it('is listed on the report page while it is unpriced, and verify warns naming it', async () => {
    await record([unknownCall('report-1'), unknownCall('report-2'), usageCall('report-priced', { createdAt: now() })]);
    const figures = await source.reportFigures({ timezone: 'UTC' });
    expect(figures.unpriced_models).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'house-model-7', calls: 2, estimated_spend: 0.54, priced_as: 'openai/o1-pro' }),
    ]);

    const parentPageId = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
    const fake = await startNotionFake({ rateLimit: false, pages: [{ id: parentPageId, title: 'LLM costs' }] });
    try {
      const published = await publishReport({ client: createNotionClient({ token: fake.token, baseUrl: fake.url }), parentPageId, figures });
      type Block = Record<string, any>;
      const text = (fake.state.blocks(published.pageId!) as Block[]).map((b) => (b[b.type]?.rich_text ?? []).map((t: { plain_text: string }) => t.plain_text).join(''));
      const heading = text.indexOf('Unpriced models this month');
      expect(heading).toBeGreaterThan(0);
      // 2 × $0.27
      expect(text[heading + 1]).toBe(
        `• openai/house-model-7: 2 calls, $0.54 estimated — priced as openai/o1-pro until priced; run npm run recost -- --from ${now().slice(0, 10)} after adding a price`,
      );
    } finally {
      await fake.close();
    }

    const checks = await runChecks({ groups: ['supabase'], env: { DATABASE_URL: db.url } });
    expect(checks.find((c) => c.name === 'estimated costs')).toMatchObject({
      ok: true, warning: true, detail: expect.stringContaining('openai/house-model-7 (2 calls, $0.54, priced as openai/o1-pro)'),
    });
  });

  it('is not on the report, nor in verify, when every call is priced', async () => {
    await record([usageCall('all-priced', { createdAt: now() })]);
    expect((await source.reportFigures({ timezone: 'UTC' })).unpriced_models).toEqual([]);
    const checks = await runChecks({ groups: ['supabase'], env: { DATABASE_URL: db.url } });
    const estimated = checks.find((c) => c.name === 'estimated costs');
    expect(estimated).toMatchObject({ ok: true, detail: 'every logged call has its model\'s own price' });
    expect(estimated?.warning).toBeUndefined();
  });
});

describe('recost', () => {
  it('replaces an estimate once the model has a price and clears the flag; a model still unknown stays estimated at the new fallback', async () => {
    await record([unknownCall('now-priced', { createdAt: '2026-11-20T12:00:00Z' }), unknownCall('still-unknown', { model: 'house-model-8', createdAt: '2026-11-20T13:00:00Z' })]);
    await db.pool.query(`insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok) values ('openai', 'house-model-7', '2026-11-01T00:00:00Z', 1, 1)`);

    const summary = await recost({
      store, overrides: await overrides(), fallbackModels: loadConfig({ PRICING_FALLBACK_MODELS: 'openai=gpt-4.1' }).pricing.fallbackModels,
      from: '2026-11-01T00:00:00Z', dryRun: false,
    });
    // before 2 × 270,000; after 1000 × 1 + 200 × 1 = 1,200 (priced) + 3,600 (gpt-4.1, still estimated)
    expect(summary).toMatchObject({ scanned: 2, changed: 2, estimatesReplaced: 1, estimatedAfter: 1, totalBeforeMicros: 540_000, totalAfterMicros: 4_800 });
    expect(await row('now-priced')).toMatchObject({ total_cost: '0.001200', cost_estimated: false, pricing: { source: 'override', priced_as: 'openai/house-model-7' } });
    expect(await row('still-unknown')).toMatchObject({ total_cost: '0.003600', cost_estimated: true, pricing: { source: 'estimated', priced_as: 'openai/gpt-4.1' } });
    expect(await source.unpricedModels()).toEqual([expect.objectContaining({ model: 'house-model-8', calls: 1, estimated_spend: 0.0036 })]);
  });

  it('clears the flag even when the real price equals the estimate', async () => {
    await record([unknownCall('same-price', { createdAt: '2026-11-20T12:00:00Z' })]);
    // The price o1-pro has, given to the model itself: the cost stays $0.27, the flag must clear.
    await db.pool.query(`insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok) values ('openai', 'house-model-7', '2026-11-01T00:00:00Z', 150, 600)`);
    expect(await recost({ store, overrides: await overrides(), from: '2026-11-01T00:00:00Z', dryRun: false })).toMatchObject({ changed: 1, estimatesReplaced: 1 });
    expect(await row('same-price')).toMatchObject({ total_cost: '0.270000', cost_estimated: false });
  });
});

describe('a bad PRICING_FALLBACK_MODELS', { timeout: 120_000 }, () => {
  it('stops the program with a message naming the variable and the fix', async () => {
    const result = await runScript('recost', ['--from', '2026-11-01'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, PRICING_FALLBACK_MODELS: 'openai=gpt-9000' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PRICING_FALLBACK_MODELS: "gpt-9000" is not a model of openai in the price catalogue.*e\.g\. openai=gpt-4\.1/);
  });
});
