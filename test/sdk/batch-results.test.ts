/**
 * Batch job results are priced at the batch tier even when their bodies do not
 * say so. Expected costs by hand from the providers' sheets (read 2025-09):
 * OpenAI Batch API 50 % of standard (gpt-4o-mini $0.15 / $0.60 per MTok standard,
 * $0.075 / $0.30 batch; text-embedding-3-small $0.02, batch $0.01), Anthropic
 * Message Batches 50 % (Claude Sonnet 4 $3 / $15 standard, $1.50 / $7.50 batch).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fromAnthropicBatchResult, fromOpenAIBatchResult } from '../../src/sdk/adapters/batch.js';
import type { CallContext } from '../../src/sdk/adapters/context.js';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { checkUsageEvent, toUsageRow, type UsageEvent } from '../../src/sdk/usage-event.js';

const AT = '2026-11-20T12:00:00.000Z';
const context: CallContext = { serviceType: 'workflow', userId: 'user-1', createdAt: AT };

function row(event: UsageEvent | undefined) {
  if (!event) throw new Error('no record');
  const checked = checkUsageEvent(event);
  if (!checked.ok) throw new Error(checked.reason);
  return toUsageRow(checked.event, computeCost(checked.event, { at: new Date(AT) }));
}

describe('OpenAI Batch API output lines', () => {
  it('prices a chat completion at batch rates, though its body says "default"', () => {
    const line = {
      id: 'batch_req_1', custom_id: 'task-7',
      response: {
        status_code: 200, request_id: 'req_1',
        body: { object: 'chat.completion' as const, id: 'chatcmpl-b1', model: 'gpt-4o-mini', service_tier: 'default', choices: [],
                usage: { prompt_tokens: 10_000, completion_tokens: 2_000 } },
      },
      error: null,
    };
    // 10,000 × $0.075 + 2,000 × $0.30 per MTok = 750 + 600 µ$ = $0.00135 (standard would be $0.0027).
    expect(row(fromOpenAIBatchResult(line, context))).toMatchObject({
      request_id: 'chatcmpl-b1', input_cost: '0.000750', output_cost: '0.000600', total_cost: '0.001350',
      metadata: { service_tier: 'batch', batch: { custom_id: 'task-7', line_id: 'batch_req_1' } },
    });
  });

  it('prices an embeddings body, which has no id, under the line id', () => {
    const line = {
      id: 'batch_req_2', custom_id: 'emb-1',
      response: { status_code: 200, body: { object: 'list' as const, model: 'text-embedding-3-small', usage: { prompt_tokens: 1_000_000, total_tokens: 1_000_000 } } },
    };
    // 1,000,000 × $0.01 per MTok = $0.01.
    expect(row(fromOpenAIBatchResult(line, context))).toMatchObject({ request_id: 'batch_req_2', total_cost: '0.010000' });
  });

  it('records nothing for a request that failed: it was not billed', () => {
    expect(fromOpenAIBatchResult({ id: 'batch_req_3', custom_id: 'x', response: { status_code: 500, body: null }, error: null }, context)).toBeUndefined();
    expect(fromOpenAIBatchResult({ id: 'batch_req_4', custom_id: 'y', response: null, error: { code: 'batch_expired' } }, context)).toBeUndefined();
  });
});

describe('Anthropic Message Batches results', () => {
  it('compiles against the SDK’s type', () => {
    expectTypeOf(fromAnthropicBatchResult).toBeCallableWith({} as Anthropic.Messages.MessageBatchIndividualResponse, context);
  });

  it('prices a succeeded message at batch rates', () => {
    const entry = {
      custom_id: 'doc-3',
      result: { type: 'succeeded' as const, message: { id: 'msg_b1', model: 'claude-sonnet-4-20250514', usage: { input_tokens: 100_000, output_tokens: 10_000 } } },
    };
    // 100,000 × $1.50 + 10,000 × $7.50 per MTok = $0.15 + $0.075 = $0.225.
    expect(row(fromAnthropicBatchResult(entry, { ...context, batchId: 'msgbatch_1' }))).toMatchObject({
      request_id: 'msg_b1', total_cost: '0.225000',
      metadata: { service_tier: 'batch', batch: { custom_id: 'doc-3', batch_id: 'msgbatch_1' } },
    });
  });

  it('records nothing for an errored, canceled or expired request', () => {
    for (const type of ['canceled', 'expired'] as const) expect(fromAnthropicBatchResult({ custom_id: 'z', result: { type } }, context)).toBeUndefined();
    expect(fromAnthropicBatchResult({ custom_id: 'z', result: { type: 'errored', error: { type: 'error' } } }, context)).toBeUndefined();
  });
});
