import type Anthropic from '@anthropic-ai/sdk';
import type { CallbackHandlerMethods } from '@langchain/core/callbacks/base';
import type OpenAI from 'openai';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fromAnthropicMessage } from '../../src/sdk/adapters/anthropic.js';
import type { CallContext } from '../../src/sdk/adapters/context.js';
import { createLangChainHandler } from '../../src/sdk/adapters/langchain.js';
import { fromOpenAIChatCompletion, fromOpenAIResponse } from '../../src/sdk/adapters/openai.js';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { checkUsageEvent, type UsageEvent } from '../../src/sdk/usage-event.js';

const context: CallContext = { userId: 'user-1', sessionId: 'session-1', serviceType: '1:1_conversation', latencyMs: 420 };

describe('the adapters accept the providers’ own types', () => {
  it('compiles against openai, @anthropic-ai/sdk and @langchain/core', () => {
    expectTypeOf(fromOpenAIChatCompletion).toBeCallableWith({} as OpenAI.ChatCompletion, context);
    expectTypeOf(fromOpenAIResponse).toBeCallableWith({} as OpenAI.Responses.Response, context);
    expectTypeOf(fromAnthropicMessage).toBeCallableWith({} as Anthropic.Message, context);
    const handler: CallbackHandlerMethods = createLangChainHandler({ tracker: { record: () => ({ accepted: true }) }, context });
    expect(typeof handler.handleLLMEnd).toBe('function');
  });
});

describe('OpenAI Chat Completions', () => {
  const completion: Pick<OpenAI.ChatCompletion, 'id' | 'model' | 'usage'> = {
    id: 'chatcmpl-123',
    model: 'gpt-4o-2024-08-06',
    usage: {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  };

  it('maps usage, cached tokens and the response id', () => {
    expect(fromOpenAIChatCompletion(completion, context)).toEqual({
      ...context,
      requestId: 'chatcmpl-123',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      promptTokens: 2006,
      completionTokens: 300,
      cachedTokens: 1920,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      metadata: {},
    });
  });

  it('carries service_tier; a batch job says batch in the context, which wins', () => {
    expect(fromOpenAIChatCompletion({ ...completion, service_tier: 'flex' }, context)).toMatchObject({ serviceTier: 'flex' });
    expect(fromOpenAIChatCompletion({ ...completion, service_tier: 'default' }, { ...context, serviceTier: 'batch' })).toMatchObject({ serviceTier: 'batch' });
    expect(fromOpenAIChatCompletion(completion, context)).not.toHaveProperty('serviceTier');
  });

  it('a response without usage (a stream without include_usage) is recorded with zero tokens and flagged', () => {
    const event = fromOpenAIChatCompletion({ id: 'chatcmpl-9', model: 'gpt-4o' }, { ...context, requestId: 'mine', provider: 'azure' });
    expect(event).toMatchObject({ requestId: 'mine', provider: 'azure', promptTokens: 0, completionTokens: 0, metadata: { usage_missing: true } });
  });
});

describe('OpenAI Responses API', () => {
  const response: Pick<OpenAI.Responses.Response, 'id' | 'model' | 'usage' | 'status' | 'error'> = {
    id: 'resp_abc',
    model: 'o3-2025-04-16',
    status: 'completed',
    error: null,
    usage: {
      input_tokens: 1500,
      input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 },
      output_tokens: 5000,
      output_tokens_details: { reasoning_tokens: 4000 },
      total_tokens: 6500,
    },
  };

  it('maps input, cached, cache-write, output and reasoning tokens', () => {
    const event = fromOpenAIResponse(response, context);
    expect(event).toMatchObject({ requestId: 'resp_abc', model: 'o3-2025-04-16', promptTokens: 1500, cachedTokens: 1000, cacheWriteTokens: 200, completionTokens: 5000, reasoningTokens: 4000 });
    expect(event).not.toHaveProperty('success');
    // o3 since 2025-06-10 (no cache-write rate listed: writes at the input rate):
    // (1500 − 1000 − 200) × 2 + 1000 × 0.5 + 200 × 2 = 600 + 500 + 400 = 1500 µ$; 5000 × 8 = 40,000 µ$
    expect(computeCost(event as Parameters<typeof computeCost>[0], { at: new Date('2026-01-01') })).toMatchObject({ inputMicros: 1500, outputMicros: 40_000 });
  });

  it('carries service_tier into the event and its price (flex: half of standard)', () => {
    const event = fromOpenAIResponse({ ...response, service_tier: 'flex' }, context);
    expect(event).toMatchObject({ serviceTier: 'flex' });
    // half of the 1,500 + 40,000 µ$ above (OpenAI flex = Batch prices, openai.com/api/pricing, 2025-09)
    expect(computeCost(event as Parameters<typeof computeCost>[0], { at: new Date('2026-01-01') })).toMatchObject({ inputMicros: 750, outputMicros: 20_000 });
  });

  it('a failed response is a failed call with its error code', () => {
    const failed = fromOpenAIResponse({ ...response, status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' } } as typeof response, context);
    expect(failed).toMatchObject({ success: false, errorType: 'rate_limit_exceeded' });
  });
});

describe('Anthropic Messages', () => {
  const message: Pick<Anthropic.Message, 'id' | 'model' | 'usage'> = {
    id: 'msg_01',
    model: 'claude-sonnet-4-20250514',
    usage: {
      input_tokens: 2000,
      output_tokens: 700,
      cache_creation_input_tokens: 10_000,
      cache_read_input_tokens: 50_000,
      cache_creation: { ephemeral_5m_input_tokens: 6_000, ephemeral_1h_input_tokens: 4_000 },
      output_tokens_details: { thinking_tokens: 250 },
      inference_geo: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
  };

  it('adds cache reads and writes back into the prompt tokens', () => {
    const event = fromAnthropicMessage(message, context);
    expect(event).toMatchObject({
      requestId: 'msg_01', provider: 'anthropic', promptTokens: 62_000, cachedTokens: 50_000, cacheWriteTokens: 10_000,
      cacheWrite1hTokens: 4_000, completionTokens: 700, reasoningTokens: 250, serviceTier: 'standard',
    });
    // Sonnet 4, $/MTok (anthropic.com/pricing, 2025-09): input 3, read 0.30, 5-min write 3.75, 1-h write 6, output 15.
    // input 2,000×3 + 50,000×0.3 + 6,000×3.75 + 4,000×6 = 6,000 + 15,000 + 22,500 + 24,000 = 67,500 µ$;
    // output 700×15 = 10,500 µ$ (the one-hour writes at the five-minute rate gave 69,000).
    expect(computeCost(event as Parameters<typeof computeCost>[0])).toMatchObject({ inputMicros: 67_500, totalMicros: 78_000 });
  });

  it('carries a batch tier from the usage', () => {
    const event = fromAnthropicMessage({ ...message, usage: { ...message.usage, service_tier: 'batch' } }, context);
    expect(event).toMatchObject({ serviceTier: 'batch' });
  });

  it('null cache counts are zero', () => {
    const event = fromAnthropicMessage({ ...message, usage: { ...message.usage, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null } }, context);
    expect(event).toMatchObject({ promptTokens: 2000, cachedTokens: 0, cacheWriteTokens: 0 });
  });
});

describe('every adapter output passes record()’s checks', () => {
  it.each<[string, UsageEvent]>([
    ['chat completion', fromOpenAIChatCompletion({ id: 'a', model: 'gpt-4o', usage: { prompt_tokens: 1, completion_tokens: 1 } }, context)],
    ['response', fromOpenAIResponse({ id: 'b', model: 'gpt-4o', usage: { input_tokens: 1, output_tokens: 1 } }, context)],
    ['message', fromAnthropicMessage({ id: 'c', model: 'claude-sonnet-4-0', usage: { input_tokens: 1, output_tokens: 1 } }, context)],
  ])('%s', (_name, event) => {
    expect(checkUsageEvent(event)).toMatchObject({ ok: true });
  });

  it('a response without an id and no requestId in the context is refused, not recorded under a made-up id', () => {
    const event = fromAnthropicMessage({ model: 'claude-sonnet-4-0', usage: { input_tokens: 1, output_tokens: 1 } }, context);
    expect(checkUsageEvent(event)).toMatchObject({ ok: false, reason: expect.stringMatching(/^requestId/) });
  });
});
