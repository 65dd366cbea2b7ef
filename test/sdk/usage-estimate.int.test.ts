/**
 * Estimated usage end to end: a stream cut short and an embedding call go
 * through the tracker into token_usage_logs, and recost keeps the flag.
 *
 * By hand (OpenAI price sheet, platform.openai.com/docs/pricing):
 *   gpt-4.1 $2.00/MTok input, $8.00/MTok output; text-embedding-3-small $0.02/MTok.
 *   "tiktoken is great!" is 6 tokens (OpenAI cookbook, How_to_count_tokens_with_tiktoken);
 *   one user message of it is 3 + 1 + 6 + 3 = 13 prompt tokens.
 *   Cut-short stream: 13 × 2 + 6 × 8 = 26 + 48 = 74 µ$.
 *   Embedding, 1,000 tokens: 1000 × 0.02 = 20 µ$.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromOpenAIChatCompletion, fromOpenAIEmbedding } from '../../src/sdk/adapters/openai.js';
import { recost } from '../../src/sdk/recost.js';
import type { UsageEvent } from '../../src/sdk/usage-event.js';
import { createUsageStore, type UsageStore } from '../../src/supabase/usage-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTracker } from '../support/sdk.js';
import { openTransportFor } from '../support/sources.js';

let db: TestDatabase;
let store: UsageStore;
let closeStore: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDatabase();
  const transport = openTransportFor(db, 'postgres');
  store = createUsageStore(transport);
  closeStore = () => transport.close();
});
afterAll(async () => {
  await closeStore();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('truncate token_usage_logs');
});

async function record(calls: UsageEvent[]): Promise<void> {
  const tracker = openTracker(db, 'postgres');
  for (const c of calls) tracker.record(c);
  expect(await tracker.close()).toMatchObject({ written: calls.length });
}

async function row(requestId: string) {
  const { rows } = await db.pool.query(
    `select prompt_tokens, completion_tokens, total_cost::text, cost_estimated, metadata from token_usage_logs where request_id = $1`,
    [requestId],
  );
  return rows[0];
}

const context = { serviceType: 'workflow', userId: 'u-estimate', createdAt: new Date().toISOString() };
const TEXT = 'tiktoken is great!';

describe('estimated usage through the tracker', () => {
  it('stores a cut-short stream with estimated tokens and an estimated cost, and recost keeps the flag', async () => {
    await record([
      fromOpenAIChatCompletion({ id: 'cut', model: 'gpt-4.1' }, { ...context, text: { request: [{ role: 'user', content: TEXT }], response: TEXT } }),
      fromOpenAIChatCompletion({ id: 'measured', model: 'gpt-4.1', usage: { prompt_tokens: 13, completion_tokens: 6 } }, context),
    ]);
    expect(await row('cut')).toMatchObject({
      prompt_tokens: 13, completion_tokens: 6, total_cost: '0.000074', cost_estimated: true,
      metadata: { usage_estimated: { method: 'tokenizer', encoding: 'o200k_base', counted: ['request', 'response'] } },
    });
    expect(await row('measured')).toMatchObject({ total_cost: '0.000074', cost_estimated: false });

    const summary = await recost({ store, overrides: [], from: '2000-01-01T00:00:00Z', dryRun: false });
    expect(summary).toMatchObject({ scanned: 2, changed: 0 });
    expect(await row('cut')).toMatchObject({ cost_estimated: true });
  });

  it('prices an embedding call by the price sheet', async () => {
    await record([
      fromOpenAIEmbedding({ model: 'text-embedding-3-small', usage: { prompt_tokens: 1000, total_tokens: 1000 } }, { ...context, requestId: 'emb' }),
    ]);
    expect(await row('emb')).toMatchObject({ prompt_tokens: 1000, completion_tokens: 0, total_cost: '0.000020', cost_estimated: false });
  });
});
