import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createPriceBook } from '../../src/sdk/pricing/price-book.js';
import { recost } from '../../src/sdk/recost.js';
import type { UsageEvent } from '../../src/sdk/usage-event.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createUsageStore, type UsageStore } from '../../src/supabase/usage-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTracker } from '../support/sdk.js';
import { usageCall } from '../support/fixtures.js';
import { runScript } from '../support/cli.js';

let db: TestDatabase;
let transport: SqlFunctionTransport;
let store: UsageStore;

const call = (requestId: string, createdAt: string, overrides: Partial<UsageEvent> = {}) => usageCall(requestId, { createdAt, ...overrides });

beforeAll(async () => {
  db = await createTestDatabase();
  transport = createPostgresTransport({ databaseUrl: db.url });
  store = createUsageStore(transport);
});
afterAll(async () => {
  await transport.close();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs, model_pricing');
  const tracker = openTracker(db, 'postgres');
  // Priced from the catalogue when recorded (gpt-4o: 2.5 / 10 per Mtok; gpt-4o-mini: 0.15 / 0.6).
  tracker.record(call('early', '2026-11-10T08:00:00Z')); //                      1000 × 2.5 + 200 × 10 = 4,500 µ$
  tracker.record(call('late', '2026-11-20T08:00:00Z')); //                       4,500 µ$
  tracker.record(call('mini', '2026-11-20T09:00:00Z', { model: 'gpt-4o-mini' })); // 1000 × 0.15 + 200 × 0.6 = 270 µ$
  tracker.record(call('given', '2026-11-21T08:00:00Z', { totalCost: 1 })); //     the caller's $1
  // Unknown: estimated at OpenAI's dearest, o1-pro (OpenAI API pricing page, $150.00/MTok input, $600.00/MTok output, since 2025-03):
  tracker.record(call('house', '2026-11-21T09:00:00Z', { model: 'house-model-7' })); // 1000 × 150 + 200 × 600 = 270,000 µ$
  // Twenty-five calls in one instant: keyset pages must neither skip nor repeat them.
  for (let i = 0; i < 25; i++) tracker.record(call(`same-instant-${i}`, '2026-11-22T00:00:00Z', { model: 'gpt-4o-mini' })); // 25 × 270 µ$
  expect(await tracker.close()).toMatchObject({ written: 30 });
  // Then prices change: gpt-4o from 2026-11-15, and the house model gets a price.
  await db.pool.query(`
    insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok) values
      ('openai', 'gpt-4o', '2026-11-15T00:00:00Z', 2, 8),
      ('openai', 'house-model-7', '2026-11-01T00:00:00Z', 1, 1)`);
});

async function overrides() {
  return createPriceBook({ load: store.modelPricing, logger: createLogger({ level: 'silent' }) }).current();
}

const snapshot = async () =>
  (await db.pool.query(`select request_id, total_cost::text, updated_at, metadata->'pricing'->>'source' as source from token_usage_logs order by request_id`)).rows;

describe('recost', () => {
  // before: 4500 + 4500 + 270 + 1,000,000 + 270,000 + 25 × 270 = 1,286,020 µ$
  // after:  late 1000 × 2 + 200 × 8 = 3,600 µ$ and house 1000 × 1 + 200 × 1 = 1,200 µ$: 1,286,020 − 900 − 268,800 = 1,016,320 µ$
  const expected = {
    scanned: 30, changed: 2, unchanged: 27, skippedGiven: 1, unknownAfter: 0, estimatesReplaced: 1, estimatedAfter: 0,
    totalBeforeMicros: 1_286_020, totalAfterMicros: 1_016_320,
  };

  it('a dry run computes the difference and writes nothing', async () => {
    const before = await snapshot();
    const summary = await recost({ store, overrides: await overrides(), from: '2026-11-01T00:00:00Z', dryRun: true, batchSize: 7 });
    expect(summary).toMatchObject(expected);
    expect(await snapshot()).toEqual(before);
  });

  it('rewrites only the costs that changed, in keyset pages, and a second run changes nothing', async () => {
    const before = await snapshot();
    const pages: number[] = [];
    const summary = await recost({ store, overrides: await overrides(), from: '2026-11-01T00:00:00Z', dryRun: false, batchSize: 7, onProgress: (p) => pages.push(p.scanned) });
    expect(summary).toMatchObject(expected);
    expect(pages).toEqual([7, 14, 21, 28, 30]);
    expect(summary.byModel.slice(0, 2)).toEqual([
      { model: 'house-model-7', rows: 1, changed: 1, beforeMicros: 270_000, afterMicros: 1_200 },
      { model: 'gpt-4o', rows: 3, changed: 1, beforeMicros: 1_009_000, afterMicros: 1_008_100 },
    ]);

    const after = await snapshot();
    const row = (rows: typeof after, id: string) => rows.find((r) => r.request_id === id)!;
    expect(row(after, 'late')).toMatchObject({ total_cost: '0.003600', source: 'override' });
    expect(row(after, 'house')).toMatchObject({ total_cost: '0.001200', source: 'override' });
    for (const unchanged of ['early', 'mini', 'given', 'same-instant-3']) expect(row(after, unchanged)).toEqual(row(before, unchanged));

    expect(await recost({ store, overrides: await overrides(), from: '2026-11-01T00:00:00Z', dryRun: false })).toMatchObject({ changed: 0, unchanged: 29 });
  });

  it('limits to a model and a time range', async () => {
    const some = await recost({ store, overrides: await overrides(), from: '2026-11-20', to: '2026-11-21', model: 'gpt-4o', dryRun: true });
    expect(some).toMatchObject({ scanned: 1, changed: 1, totalBeforeMicros: 4_500, totalAfterMicros: 3_600 });
  });
});

function recostCli(args: string[], env: Record<string, string>) {
  return runScript('recost', args, { env: { PATH: process.env.PATH ?? '', ...env } });
}

// Each test starts the CLI (tsx compiling on a cold start) up to six times.
describe('npm run recost', { timeout: 180_000 }, () => {
  it('shows progress and a summary, and exits 0', async () => {
    const result = await recostCli(['--from', '2026-11-01', '--batch-size', '10'], { DATABASE_URL: db.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(2 model_pricing overrides)');
    expect(result.stdout).toMatch(/10 rows read, \d+ changed/);
    expect(result.stdout).toMatch(/rows read +30\n/);
    // 1,016,320 − 1,286,020 = −269,700 µ$; house 1,200 − 270,000 = −268,800 µ$
    expect(result.stdout).toMatch(/difference +-\$0\.269700\n/);
    expect(result.stdout).toMatch(/estimates replaced +1\n/);
    expect(result.stdout).toContain('house-model-7: 1/1, -$0.268800');
    // Every day whose costs changed is rolled up again, however old: the dashboards follow the new prices.
    expect(result.stdout).toMatch(/Moved: \d+ days of rollups \(2026-11-\d\d to 2026-11-\d\d\), 0 limits' spend, 0 alerts raised\.\n/);
    const { rows } = await db.pool.query(
      `select (select sum(total_cost) from daily_cost_breakdown)::text as rollup, (select sum(total_cost) from token_usage_logs)::text as raw`,
    );
    expect(rows[0].rollup).toBe(rows[0].raw);
  });

  it('--help exits 0; bad usage exits 2; an unreachable database exits 1', async () => {
    const help = await recostCli(['--help'], {});
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Usage: npm run recost -- --from DATE')]);
    expect(await recostCli([], { DATABASE_URL: db.url })).toMatchObject({ code: 2, stderr: expect.stringContaining('--from DATE is required') });
    expect(await recostCli(['--from', 'last tuesday'], { DATABASE_URL: db.url })).toMatchObject({ code: 2 });
    expect(await recostCli(['--from', '2026-11-01', '--bogus'], { DATABASE_URL: db.url })).toMatchObject({ code: 2 });
    expect(await recostCli(['--from', '2026-11-01'], {})).toMatchObject({ code: 2, stderr: expect.stringContaining('DATABASE_URL') });
    const down = await recostCli(['--from', '2026-11-01'], { DATABASE_URL: 'postgres://postgres:s3cret-pw@127.0.0.1:1/none' });
    expect(down).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: /) });
    expect(down.stderr).not.toContain('s3cret-pw');
  });
});
