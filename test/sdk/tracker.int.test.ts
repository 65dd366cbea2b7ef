import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsageEvent } from '../../src/sdk/usage-event.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { captureLogs, openTracker } from '../support/sdk.js';
import { usageCall } from '../support/fixtures.js';
import { TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs, model_pricing, daily_cost_breakdown');
});

const call = usageCall;

async function rowCount(where = 'true'): Promise<number> {
  const { rows } = await db.pool.query(`select count(*)::int as n from token_usage_logs where ${where}`);
  return rows[0].n;
}

describe('record() and flush()', () => {
  it('100,000 calls land as exactly 100,000 rows, each once', async () => {
    const tracker = openTracker(db, 'postgres', { batchSize: 2000, maxBufferedRecords: 100_000 });
    try {
      for (let i = 0; i < 100_000; i++) {
        const outcome = tracker.record(call(`bulk-${i}`, { promptTokens: i % 5000, completionTokens: i % 300, cachedTokens: i % 5000 >> 1 }));
        if (!outcome.accepted) throw new Error(`record ${i} refused: ${outcome.reason}`);
      }
      const report = await tracker.flush({ timeoutMs: 120_000 });
      expect(report).toMatchObject({ written: 100_000, duplicates: 0, rejected: 0, dropped: 0, pending: 0 });
      const { rows } = await db.pool.query(
        `select count(*)::int as n, count(distinct request_id)::int as ids, sum(prompt_tokens)::bigint::text as prompt,
                count(*) filter (where total_cost is null)::int as unpriced
           from token_usage_logs`,
      );
      // Σ (i mod 5000) over 100,000 calls = 20 × (0 + … + 4999) = 20 × 12,497,500
      expect(rows[0]).toEqual({ n: 100_000, ids: 100_000, prompt: String(20 * 12_497_500), unpriced: 0 });
    } finally {
      await tracker.close();
    }
  }, 180_000);

  it.each(TRANSPORTS)('sums sub-micro-dollar calls exactly, in the logs and the day rollup (%s)', async (transport) => {
    // OpenAI's sheet: gpt-4o-mini input $0.15/MTok, so 10 input tokens cost $0.0000015.
    // 20,000 such calls are $0.03 exactly; rounding each call to 2 µ$ stored $0.04 (+33 %).
    const tracker = openTracker(db, transport, { batchSize: 2000, maxBufferedRecords: 20_000 });
    try {
      for (let i = 0; i < 20_000; i++) {
        tracker.record(call(`tiny-${transport}-${i}`, { model: 'gpt-4o-mini', promptTokens: 10, completionTokens: 0 }));
      }
      expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ written: 20_000, rejected: 0 });
    } finally {
      await tracker.close();
    }
    const { rows: logs } = await db.pool.query(`select sum(total_cost) = 0.03 as exact, min(total_cost)::text as each from token_usage_logs`);
    expect(logs[0]).toEqual({ exact: true, each: '0.0000015' });
    await db.pool.query(`select public.tokensync_rollup_daily_costs('2026-11-20', '2026-11-20', 'UTC')`);
    const { rows: days } = await db.pool.query(`select total_cost = 0.03 as exact from daily_cost_breakdown where metric_date = '2026-11-20'`);
    expect(days).toEqual([{ exact: true }]);
  }, 120_000);

  it('recording a call twice stores it once and reports the duplicate', async () => {
    const tracker = openTracker(db, 'postgres');
    try {
      for (let i = 0; i < 300; i++) tracker.record(call(`twice-${i}`));
      expect(await tracker.flush()).toMatchObject({ written: 300, duplicates: 0 });
      for (let i = 0; i < 300; i++) tracker.record(call(`twice-${i}`, { promptTokens: 1 }));
      expect(await tracker.flush()).toMatchObject({ written: 0, duplicates: 300 });
      expect(await rowCount(`request_id like 'twice-%'`)).toBe(300);
      expect(await rowCount(`prompt_tokens = 1`)).toBe(0);
    } finally {
      await tracker.close();
    }
  });

  it('writes a partial batch on the interval, without flush()', async () => {
    const tracker = openTracker(db, 'postgres', { batchSize: 1000, flushIntervalMs: 20 });
    try {
      tracker.record(call('interval-1'));
      await vi.waitFor(async () => expect(await rowCount(`request_id = 'interval-1'`)).toBe(1), { timeout: 10_000, interval: 10 });
    } finally {
      await tracker.close();
    }
  });

  it('prices calls exactly, estimates unknown prices, keeps given costs', async () => {
    const tracker = openTracker(db, 'postgres');
    try {
      tracker.record(call('priced', { promptTokens: 10_000, cachedTokens: 4_000, completionTokens: 500 }));
      tracker.record(call('unknown-model', { model: 'house-model-7' }));
      tracker.record(call('given', { inputCost: 0.1, outputCost: 0.2 }));
      await tracker.flush();
      const { rows } = await db.pool.query(
        `select request_id, input_cost::text, output_cost::text, total_cost::text, metadata->'pricing' as pricing
           from token_usage_logs where request_id in ('priced', 'unknown-model', 'given') order by request_id`,
      );
      expect(rows).toEqual([
        { request_id: 'given', input_cost: '0.100000', output_cost: '0.200000', total_cost: '0.300000', pricing: { source: 'given' } },
        // 6000 × 2.5 + 4000 × 1.25 = 15,000 + 5,000 = 20,000 µ$; 500 × 10 = 5,000 µ$
        { request_id: 'priced', input_cost: '0.020000', output_cost: '0.005000', total_cost: '0.025000', pricing: { source: 'catalogue', priced_as: 'openai/gpt-4o' } },
        // No price: estimated at OpenAI's dearest, o1-pro (OpenAI API pricing page, $150.00/MTok input, $600.00/MTok output, since 2025-03):
        // 1000 × 150 = 150,000 µ$; 200 × 600 = 120,000 µ$
        {
          request_id: 'unknown-model', input_cost: '0.150000', output_cost: '0.120000', total_cost: '0.270000',
          pricing: {
            source: 'estimated', priced_as: 'openai/o1-pro', fallback: 'dearest of provider',
            reason: expect.stringContaining('no price for model "house-model-7"'),
          },
        },
      ]);
    } finally {
      await tracker.close();
    }
  });

  it('a model_pricing row applies to calls from its effective_from on', async () => {
    await db.pool.query(
      `insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok, cache_read_per_mtok)
       values ('openai', 'gpt-4o', '2026-11-15T00:00:00Z', 2, 8, 0.5)`,
    );
    const tracker = openTracker(db, 'rpc');
    try {
      tracker.record(call('before-override', { createdAt: '2026-11-14T23:59:59Z' }));
      tracker.record(call('after-override', { createdAt: '2026-11-15T00:00:00Z', cachedTokens: 400 }));
      await tracker.flush();
      const { rows } = await db.pool.query(
        `select request_id, total_cost::text, metadata->'pricing'->>'source' as source from token_usage_logs order by request_id`,
      );
      expect(rows).toEqual([
        // 600 × 2 + 400 × 0.5 + 200 × 8 = 1200 + 200 + 1600 = 3000 µ$
        { request_id: 'after-override', total_cost: '0.003000', source: 'override' },
        // catalogue: 1000 × 2.5 + 200 × 10 = 4500 µ$
        { request_id: 'before-override', total_cost: '0.004500', source: 'catalogue' },
      ]);
    } finally {
      await tracker.close();
    }
  });

  it('bad input never throws into the application: refused with a reason, logged and reported', async () => {
    const logs = captureLogs();
    const tracker = openTracker(db, 'postgres', { logs });
    try {
      const refusals = [
        tracker.record(call('neg', { promptTokens: -5 })),
        tracker.record(call('nan', { completionTokens: Number.NaN })),
        tracker.record(call('empty-model', { model: '' })),
        tracker.record(null as unknown as UsageEvent),
        tracker.record(call('long-user', { userId: 'u'.repeat(10_000) })),
      ];
      expect(refusals.every((r) => !r.accepted)).toBe(true);
      expect(tracker.record(call('fine')).accepted).toBe(true);
      const report = await tracker.flush();
      expect(report).toMatchObject({ written: 1, rejected: 5 });
      expect(report.rejections).toEqual([
        { requestId: 'neg', reason: 'promptTokens: must be >= 0' },
        { requestId: 'nan', reason: expect.stringMatching(/^completionTokens: /) },
        { requestId: 'empty-model', reason: 'model: must not be empty' },
        { requestId: null, reason: expect.any(String) },
        { requestId: 'long-user', reason: 'userId: must be at most 255 characters' },
      ]);
      expect(logs.lines.filter((l) => l.msg === 'usage record refused')).toHaveLength(5);
      expect(await rowCount()).toBe(1);
    } finally {
      await tracker.close();
    }
  });

  it('a row the database refuses is isolated and rejected alone; the rest of its batch is written', async () => {
    await db.pool.query(`alter table token_usage_logs add constraint test_no_poison check (model <> 'poison-model')`);
    const tracker = openTracker(db, 'postgres', { batchSize: 50 });
    try {
      for (let i = 0; i < 50; i++) tracker.record(call(`batch-${i}`, i === 37 ? { model: 'poison-model' } : {}));
      const report = await tracker.flush();
      expect(report).toMatchObject({ written: 49, rejected: 1, rejections: [{ requestId: 'batch-37', reason: expect.stringContaining('test_no_poison') }] });
      expect(await rowCount()).toBe(49);
    } finally {
      await tracker.close();
      await db.pool.query('alter table token_usage_logs drop constraint test_no_poison');
    }
  });

  it('close() writes what is buffered, then refuses new records', async () => {
    const tracker = openTracker(db, 'postgres', { batchSize: 10_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 1234; i++) tracker.record(call(`closing-${i}`));
    expect(await tracker.close()).toMatchObject({ written: 1234, dropped: 0, pending: 0 });
    expect(tracker.record(call('too-late'))).toEqual({ accepted: false, reason: 'the tracker is closed' });
    expect(await rowCount()).toBe(1234);
  });
});

describe('both transports write the same rows', () => {
  it('postgres and rpc (Supabase API) store identical rows for identical calls', async () => {
    const calls = (prefix: string) => [
      call(`${prefix}-plain`),
      call(`${prefix}-cached`, { provider: 'anthropic', model: 'claude-sonnet-4-5', promptTokens: 250_000, cachedTokens: 100_000, cacheWriteTokens: 20_000, completionTokens: 999, reasoningTokens: 10 }),
      call(`${prefix}-unknown`, { model: 'house-model-7', success: false, errorType: 'timeout', latencyMs: 30_000 }),
      call(`${prefix}-given`, { totalCost: 1.234567, organizationId: 'mvp', tier: 'tier_1', agentId: 'a-1', agentName: 'Planner', workflowId: 'wf', workflowStep: 'plan', metadata: { nested: { ok: true }, list: [1, 2] } }),
    ];
    for (const transport of TRANSPORTS) {
      const tracker = openTracker(db, transport);
      for (const c of calls(transport)) tracker.record(c);
      expect(await tracker.close()).toMatchObject({ written: 4 });
    }
    const { rows } = await db.pool.query(
      `select split_part(request_id, '-', 1) as transport, to_jsonb(l) - '{id,request_id,updated_at}'::text[] as row
         from token_usage_logs l order by request_id`,
    );
    const byTransport = (name: string) => rows.filter((r) => r.transport === name).map((r) => r.row);
    expect(byTransport('postgres')).toHaveLength(4);
    expect(byTransport('rpc')).toEqual(byTransport('postgres'));
  });
});
