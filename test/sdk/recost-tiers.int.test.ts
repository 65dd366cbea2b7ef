/**
 * Recost prices a row as it was recorded: its service tier and one-hour cache
 * writes are read back from metadata (20261205001000_service_tier.sql), so a
 * batch call keeps its discount and a one-hour write its rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recost } from '../../src/sdk/recost.js';
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import { createUsageStore, type UsageStore } from '../../src/supabase/usage-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTracker } from '../support/sdk.js';
import { usageCall } from '../support/fixtures.js';

let db: TestDatabase;
let transport: SqlFunctionTransport;
let store: UsageStore;

beforeAll(async () => {
  db = await createTestDatabase();
  transport = createPostgresTransport({ databaseUrl: db.url });
  store = createUsageStore(transport);
});
afterAll(async () => {
  await transport.close();
  await db.drop();
});

describe('recost keeps service tiers and one-hour cache writes', () => {
  it('re-pricing at unchanged prices changes nothing', async () => {
    const tracker = openTracker(db, 'postgres');
    // gpt-4o Batch (openai.com/api/pricing, 2025-09): 1000 × 1.25 + 200 × 5 = 2,250 µ$
    tracker.record(usageCall('batch', { createdAt: '2026-11-20T08:00:00Z', serviceTier: 'batch' }));
    // Sonnet 4 (docs.claude.com pricing, 2025-09): 200 × 3 + 800 × 6 (one-hour writes) + 200 × 15 = 8,400 µ$
    tracker.record(usageCall('one-hour', {
      createdAt: '2026-11-20T09:00:00Z', provider: 'anthropic', model: 'claude-sonnet-4-0',
      promptTokens: 1000, cacheWriteTokens: 800, cacheWrite1hTokens: 800, completionTokens: 200,
    }));
    expect(await tracker.close()).toMatchObject({ written: 2 });
    const costs = await db.pool.query(`select request_id, total_cost::text from token_usage_logs order by request_id`);
    expect(costs.rows).toEqual([{ request_id: 'batch', total_cost: '0.002250' }, { request_id: 'one-hour', total_cost: '0.008400' }]);

    const summary = await recost({ store, overrides: [], from: '2026-11-01T00:00:00Z', dryRun: true });
    expect(summary).toMatchObject({ scanned: 2, changed: 0, totalBeforeMicros: 10_650, totalAfterMicros: 10_650 });
  });
});
