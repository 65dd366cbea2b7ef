/**
 * The tracking SDK: what record() costs the application per call, what pricing
 * costs, and how many rows per second the writer stores in Postgres.
 */
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { computeCost } from '../src/sdk/pricing/compute.js';
import { createTracker } from '../src/sdk/tracker.js';
import type { UsageEvent } from '../src/sdk/usage-event.js';
import pg from 'pg';
import { figure, format, median, type Benchmark } from './support.js';

const RECORD_CALLS = 200_000;
const WRITTEN_ROWS = 100_000;
const ROUNDS = 3;

const call = (i: number, round: string): UsageEvent => ({
  requestId: `${round}-${i}`,
  userId: `user-${i % 500}`,
  sessionId: `session-${i % 5000}`,
  serviceType: 'workflow',
  provider: i % 2 ? 'openai' : 'anthropic',
  model: i % 2 ? 'gpt-4o-mini' : 'claude-sonnet-4-5',
  promptTokens: 1000 + (i % 4000),
  completionTokens: 100 + (i % 700),
  cachedTokens: i % 500,
  latencyMs: 800,
  metadata: { feature: 'bench' },
});


async function recordCost(databaseUrl: string, round: string): Promise<number> {
  const tracker = createTracker({ databaseUrl, config: loadConfig({}), logger: createLogger({ level: 'silent' }), maxBufferedRecords: RECORD_CALLS, flushIntervalMs: 3_600_000 });
  const events = Array.from({ length: RECORD_CALLS }, (_, i) => call(i, round));
  const started = process.hrtime.bigint();
  for (const event of events) tracker.record(event);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  await tracker.close({ timeoutMs: 600_000 });
  return elapsedNs / RECORD_CALLS;
}

function pricingCost(): number {
  const events = Array.from({ length: RECORD_CALLS }, (_, i) => call(i, 'price'));
  const at = new Date();
  const started = process.hrtime.bigint();
  for (const event of events) computeCost(event as Parameters<typeof computeCost>[0], { at });
  return Number(process.hrtime.bigint() - started) / RECORD_CALLS;
}

async function rowsPerSecond(databaseUrl: string, batchSize: number, round: string): Promise<number> {
  const tracker = createTracker({ databaseUrl, config: loadConfig({}), logger: createLogger({ level: 'silent' }), batchSize, maxBufferedRecords: WRITTEN_ROWS, flushIntervalMs: 3_600_000 });
  for (let i = 0; i < WRITTEN_ROWS; i++) tracker.record(call(i, round));
  const started = performance.now();
  const report = await tracker.flush({ timeoutMs: 600_000 });
  const seconds = (performance.now() - started) / 1000;
  await tracker.close();
  if (report.written !== WRITTEN_ROWS) throw new Error(`expected ${WRITTEN_ROWS} rows written, got ${JSON.stringify(report)}`);
  return WRITTEN_ROWS / seconds;
}

const NAIVE_CALLS = 5_000;

/** Naive: price the call and insert it, awaiting one INSERT per call. Returns ns per call. */
async function naivePerCall(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const at = new Date();
    const started = process.hrtime.bigint();
    for (let i = 0; i < NAIVE_CALLS; i++) {
      const event = call(i, 'naive');
      const cost = computeCost(event as Parameters<typeof computeCost>[0], { at });
      await client.query(
        `insert into public.token_usage_logs (request_id, user_id, session_id, service_type, provider, model, prompt_tokens, completion_tokens, cached_tokens, input_cost, output_cost, latency_ms, metadata)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [event.requestId, event.userId, event.sessionId, event.serviceType, event.provider, event.model, event.promptTokens, event.completionTokens,
          event.cachedTokens, cost.inputCost, cost.outputCost, event.latencyMs, JSON.stringify(event.metadata)],
      );
    }
    return Number(process.hrtime.bigint() - started) / NAIVE_CALLS;
  } finally {
    await client.end();
  }
}

export const trackerBenchmark: Benchmark = {
  id: 'tracker',
  title: 'Tracking SDK: record() and writes',
  async run({ databaseUrl }) {
    const recordNs: number[] = [];
    const priceNs: number[] = [];
    const rates500: number[] = [];
    const rates2000: number[] = [];
    const naiveNs = await naivePerCall(databaseUrl);
    for (let round = 0; round < ROUNDS; round++) {
      recordNs.push(await recordCost(databaseUrl, `record-${round}`));
      priceNs.push(pricingCost());
      rates500.push(await rowsPerSecond(databaseUrl, 500, `write500-${round}`));
      rates2000.push(await rowsPerSecond(databaseUrl, 2000, `write2000-${round}`));
    }
    return {
      method:
        `median of ${ROUNDS} rounds. record(): ${format(RECORD_CALLS)} calls in a loop (validation and buffering; ` +
        `the caller never waits on the database). Naive: ${format(NAIVE_CALLS)} calls, each priced and written by its own awaited INSERT. Pricing: computeCost per call (catalogue, cached lookups), which the writer does per row. ` +
        `Writes: ${format(WRITTEN_ROWS)} buffered calls priced and written by flush() through tokensync_record_usage on the postgres transport.`,
      figures: [
        figure('record() per call (µs)', median(recordNs) / 1000, naiveNs / 1000, { note: 'naive: the caller awaits its INSERT' }),
        figure('computeCost() per call (µs)', median(priceNs) / 1000, undefined),
        figure('rows written per second, batch 500 (default)', median(rates500), 1e9 / naiveNs),
        figure('rows written per second, batch 2000', median(rates2000), undefined),
      ],
    };
  },
};
