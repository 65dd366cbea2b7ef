import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import type OpenAI from 'openai';
import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fromAnthropicMessage } from '../../src/sdk/adapters/anthropic.js';
import type { CallContext } from '../../src/sdk/adapters/context.js';
import { createLangChainHandler } from '../../src/sdk/adapters/langchain.js';
import { countTextTokens, encodingFor, type MessageLike } from '../../src/sdk/adapters/estimate.js';
import { fromOpenAIChatCompletion, fromOpenAIEmbedding, fromOpenAIResponse } from '../../src/sdk/adapters/openai.js';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { recost } from '../../src/sdk/recost.js';
import { checkUsageEvent, toUsageRow, type UsageEvent, type ValidUsageEvent } from '../../src/sdk/usage-event.js';
import type { CostUpdate, RecostRow, UsageStore } from '../../src/supabase/usage-store.js';

const AT = '2026-11-20T12:00:00.000Z';
const context: CallContext = { serviceType: 'workflow', userId: 'user-1', createdAt: AT };

/**
 * Reference counts, not computed with the package under test: OpenAI's cookbook
 * (examples/How_to_count_tokens_with_tiktoken.ipynb) shows
 * encoding_for_model("gpt-4o-mini").encode("tiktoken is great!") (o200k_base)
 * = [83, 8251, 2488, 382, 2212, 0], and its earlier cl100k_base edition
 * [83, 1609, 5963, 374, 2294, 0]: 6 tokens in both encodings.
 */
const COOKBOOK_TEXT = 'tiktoken is great!';
const COOKBOOK_TOKENS = 6;

function checked(event: UsageEvent): ValidUsageEvent {
  const result = checkUsageEvent(event);
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

const rowOf = (event: UsageEvent) => {
  const valid = checked(event);
  return toUsageRow(valid, computeCost(valid, { at: new Date(AT) }));
};

describe('the tokenizer', () => {
  it('counts the cookbook’s reference string as OpenAI does, in both encodings', () => {
    expect(countTextTokens(COOKBOOK_TEXT, 'o200k_base')).toBe(COOKBOOK_TOKENS);
    expect(countTextTokens(COOKBOOK_TEXT, 'cl100k_base')).toBe(COOKBOOK_TOKENS);
  });

  it('picks the model’s own encoding for OpenAI, o200k_base as a proxy elsewhere', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'o3-2025-04-16', 'o4-mini']) {
      expect(encodingFor('openai', model)).toEqual({ method: 'tokenizer', encoding: 'o200k_base' });
    }
    for (const model of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo', 'text-embedding-3-small', 'text-embedding-ada-002']) {
      expect(encodingFor('openai', model)).toEqual({ method: 'tokenizer', encoding: 'cl100k_base' });
    }
    expect(encodingFor('anthropic', 'claude-sonnet-4-5')).toEqual({ method: 'proxy_tokenizer', encoding: 'o200k_base' });
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(countTextTokens('a <|endoftext|> b', 'o200k_base')).toBeGreaterThan(3);
  });
});

describe('a chat completion stream cut short (no usage)', () => {
  // One user message: 3 (per message) + 1 ("user") + 6 (cookbook text) + 3 (reply priming) = 13,
  // OpenAI's documented chat overhead (same cookbook, num_tokens_from_messages).
  const messages: MessageLike[] = [{ role: 'user', content: COOKBOOK_TEXT }];
  const streamed = { id: 'chatcmpl-cut', model: 'gpt-4.1' };
  const event = fromOpenAIChatCompletion(streamed, { ...context, text: { request: messages, response: COOKBOOK_TEXT } });

  it('estimates prompt and completion tokens from the messages and the text so far', () => {
    expect(event).toMatchObject({ requestId: 'chatcmpl-cut', provider: 'openai', promptTokens: 13, completionTokens: 6 });
    // The package's own chat encoder agrees on the overhead.
    expect(event.promptTokens).toBe(encodeChat([{ role: 'user', content: COOKBOOK_TEXT }], 'gpt-4o').length);
  });

  it('counts a longer conversation as the tokenizer package does', () => {
    const conversation: MessageLike[] = [
      { role: 'system', content: 'You are a terse assistant. Answer in one sentence.' },
      { role: 'user', content: [{ type: 'text', text: 'What is the capital of France, and why is it famous?' }] },
    ];
    const partial = 'Paris is the capital of France, famous for the Eiffel Tower and';
    const cut = fromOpenAIChatCompletion({ id: 'chatcmpl-2', model: 'gpt-4o' }, { ...context, text: { request: conversation, response: partial } });
    expect(cut.promptTokens).toBe(
      encodeChat([
        { role: 'system', content: 'You are a terse assistant. Answer in one sentence.' },
        { role: 'user', content: 'What is the capital of France, and why is it famous?' },
      ], 'gpt-4o').length,
    );
    expect(cut.completionTokens).toBe(countTextTokens(partial, 'o200k_base'));
    expect(cut.completionTokens).toBeGreaterThan(10);
  });

  it('is flagged estimated, not missing, and so is its cost', () => {
    expect(event.metadata).toEqual({ usage_estimated: { method: 'tokenizer', encoding: 'o200k_base', counted: ['request', 'response'] } });
    // gpt-4.1, OpenAI price sheet: $2.00 / MTok input, $8.00 / MTok output.
    // 13 × 2 = 26 µ$, 6 × 8 = 48 µ$, total 74 µ$.
    expect(rowOf(event)).toMatchObject({
      prompt_tokens: 13, completion_tokens: 6,
      input_cost: '0.000026', output_cost: '0.000048', total_cost: '0.000074',
      cost_estimated: true,
    });
  });

  it('takes the response text from the completion when the caller gives only the request', () => {
    const completion = { ...streamed, choices: [{ message: { content: COOKBOOK_TEXT } }] };
    expect(fromOpenAIChatCompletion(completion, { ...context, text: { request: messages } })).toMatchObject({ promptTokens: 13, completionTokens: 6 });
  });

  it('without the call’s text, stays missing with zero tokens', () => {
    const missing = fromOpenAIChatCompletion({ ...streamed, choices: [{ message: { content: COOKBOOK_TEXT } }] }, context);
    expect(missing).toMatchObject({ promptTokens: 0, completionTokens: 0, metadata: { usage_missing: true } });
    expect(rowOf(missing).cost_estimated).toBe(false);
  });
});

describe('a response with usage is never estimated', () => {
  const text = { request: [{ role: 'user', content: 'x '.repeat(500) }], response: 'y '.repeat(500) };

  it('Chat Completions', () => {
    const event = fromOpenAIChatCompletion(
      { id: 'chatcmpl-ok', model: 'gpt-4.1', usage: { prompt_tokens: 1000, completion_tokens: 100 } },
      { ...context, text },
    );
    expect(event).toMatchObject({ promptTokens: 1000, completionTokens: 100, metadata: {} });
    expect(event.metadata).not.toHaveProperty('usage_estimated');
    // 1000 × 2 = 2000 µ$, 100 × 8 = 800 µ$.
    expect(rowOf(event)).toMatchObject({ total_cost: '0.002800', cost_estimated: false });
  });

  it('Responses API and Anthropic', () => {
    const response = fromOpenAIResponse({ id: 'resp_1', model: 'gpt-4.1', usage: { input_tokens: 10, output_tokens: 2 }, output_text: 'hello' }, { ...context, text });
    expect(response).toMatchObject({ promptTokens: 10, completionTokens: 2 });
    expect(response.metadata).toEqual({});
    const message = fromAnthropicMessage(
      { id: 'msg_1', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 2 }, content: [{ type: 'text', text: 'hello' }] },
      { ...context, text },
    );
    expect(message).toMatchObject({ promptTokens: 10, completionTokens: 2 });
    expect(message.metadata).toEqual({});
  });
});

describe('Anthropic without usage', () => {
  it('is estimated with o200k_base as a proxy, and says so', () => {
    const event = fromAnthropicMessage(
      { id: 'msg_cut', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: COOKBOOK_TEXT }] },
      { ...context, text: { request: [{ role: 'user', content: [{ type: 'text', text: COOKBOOK_TEXT }] }] } },
    );
    expect(event).toMatchObject({ promptTokens: 13, completionTokens: 6 });
    expect(event.metadata).toEqual({ usage_estimated: { method: 'proxy_tokenizer', encoding: 'o200k_base', counted: ['request', 'response'] } });
    expect(rowOf(event).cost_estimated).toBe(true);
  });
});

describe('OpenAI embeddings', () => {
  it('compiles against the SDK’s type', () => {
    expectTypeOf(fromOpenAIEmbedding).toBeCallableWith({} as OpenAI.CreateEmbeddingResponse, context);
  });

  it('are priced from the price sheet: 1,000 tokens of text-embedding-3-small at $0.02 / MTok = $0.00002', () => {
    const event = fromOpenAIEmbedding(
      { model: 'text-embedding-3-small', usage: { prompt_tokens: 1000, total_tokens: 1000 } },
      { ...context, requestId: 'emb-1' },
    );
    expect(event).toMatchObject({ requestId: 'emb-1', provider: 'openai', promptTokens: 1000, completionTokens: 0, metadata: {} });
    expect(rowOf(event)).toMatchObject({ input_cost: '0.000020', output_cost: '0.000000', total_cost: '0.000020', cost_estimated: false });
  });

  it('text-embedding-3-large at $0.13 / MTok: 1,000,000 tokens = $0.13', () => {
    const event = fromOpenAIEmbedding({ model: 'text-embedding-3-large', usage: { prompt_tokens: 1_000_000, total_tokens: 1_000_000 } }, { ...context, requestId: 'emb-2' });
    expect(rowOf(event)).toMatchObject({ total_cost: '0.130000', cost_estimated: false });
  });

  it('without usage, are estimated from the inputs with cl100k_base', () => {
    // cl100k_base: "tiktoken is great!" = 6 (cookbook) and "hello world" = [15339, 1917] = 2.
    const inputs = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? COOKBOOK_TEXT : 'hello world'));
    const event = fromOpenAIEmbedding({ model: 'text-embedding-3-small' }, { ...context, requestId: 'emb-3', text: { request: inputs } });
    expect(event).toMatchObject({ promptTokens: 500 * 6 + 500 * 2, completionTokens: 0 });
    expect(event.metadata).toEqual({ usage_estimated: { method: 'tokenizer', encoding: 'cl100k_base', counted: ['request'] } });
    // 4,000 × $0.02 / MTok = 80 µ$.
    expect(rowOf(event)).toMatchObject({ total_cost: '0.000080', cost_estimated: true });
  });
});

describe('what text cannot say', () => {
  it('counts token-id inputs exactly: one id is one token', () => {
    // Two inputs given as token ids (3 and 4 ids) and one as text (the cookbook's 6 tokens): 3 + 4 + 6 = 13.
    const request = [[83, 1609, 5963], [374, 2294, 0, 15339], COOKBOOK_TEXT];
    const event = fromOpenAIEmbedding({ model: 'text-embedding-3-small' }, { ...context, requestId: 'emb-ids', text: { request } });
    expect(event).toMatchObject({ promptTokens: 13, completionTokens: 0 });
    const single = fromOpenAIEmbedding({ model: 'text-embedding-3-small' }, { ...context, requestId: 'emb-one', text: { request: [83, 1609] } });
    expect(single.promptTokens).toBe(2);
  });

  it('says which parts it left out, so a low estimate explains itself', () => {
    // Text only: 3 + 1 ("user") + 6 + 3 = 13; the two images and the audio are not counted, and the note says so.
    const messages: MessageLike[] = [{
      role: 'user',
      content: [
        { type: 'text', text: COOKBOOK_TEXT },
        { type: 'image_url' },
        { type: 'image_url' },
        { type: 'input_audio' },
      ],
    }];
    const event = fromOpenAIChatCompletion({ id: 'chatcmpl-img', model: 'gpt-4.1' }, { ...context, text: { request: messages } });
    expect(event.promptTokens).toBe(13);
    expect(event.metadata).toMatchObject({ usage_estimated: { uncounted: { image_url: 2, input_audio: 1 } } });
  });
});

describe('recost', () => {
  const row = (id: string, costEstimated: boolean, pricingSource: string, usageEstimated: boolean): RecostRow => ({
    id, createdAt: AT, provider: 'openai', model: 'gpt-4.1',
    promptTokens: 13, completionTokens: 6, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
    inputCost: '0.000020', outputCost: '0.000040', totalCost: '0.000060', costEstimated, pricingSource, usageEstimated,
  });

  it('keeps the flag of a row whose tokens were estimated and whose model was unpriced, once the model is priced', async () => {
    const written: CostUpdate[] = [];
    const store = {
      usageToRecost: async () => ({ rows: [row('both', true, 'estimated', true), row('price-only', true, 'estimated', false)], hasMore: false }),
      applyCosts: async (updates: readonly CostUpdate[]) => (written.push(...updates), updates.length),
    } as unknown as UsageStore;
    await recost({ store, overrides: [], from: AT, dryRun: false });
    // gpt-4.1 is priced now ($2 / $8 per MTok): 13 × 2 + 6 × 8 = 74 µ$ for both; only the one with estimated tokens stays flagged.
    expect(written.map((u) => [u.id, u.total_cost, u.cost_estimated])).toEqual([
      ['both', '0.000074', true],
      ['price-only', '0.000074', false],
    ]);
  });

  it('keeps the flag of a row whose tokens were estimated, and clears nothing else', async () => {
    const written: CostUpdate[] = [];
    const store = {
      usageToRecost: async () => ({ rows: [row('usage-estimated', true, 'catalogue', true), row('measured', false, 'catalogue', false)], hasMore: false }),
      applyCosts: async (updates: readonly CostUpdate[]) => (written.push(...updates), updates.length),
    } as unknown as UsageStore;
    const summary = await recost({ store, overrides: [], from: AT, dryRun: false });
    expect(written.map((u) => [u.id, u.total_cost, u.cost_estimated])).toEqual([
      ['usage-estimated', '0.000074', true],
      ['measured', '0.000074', false],
    ]);
    expect(summary).toMatchObject({ estimatesReplaced: 0, estimatedAfter: 0 });
  });
});

describe('the LangChain handler', () => {
  function handlerRecording() {
    const recorded: UsageEvent[] = [];
    const handler = createLangChainHandler({ tracker: { record: (event) => (recorded.push(event), { accepted: true }) }, context });
    return { handler, recorded };
  }
  const start = { invocation_params: { model: 'gpt-4.1' } };
  const meta = { ls_provider: 'openai' };

  it('estimates a chat run that reports no usage from its messages and generated text', async () => {
    const { handler, recorded } = handlerRecording();
    await handler.handleChatModelStart({}, [[new HumanMessage(COOKBOOK_TEXT)]], 'run-1', undefined, start, [], meta);
    await handler.handleLLMEnd({ generations: [[{ text: COOKBOOK_TEXT }]] }, 'run-1');
    expect(recorded[0]).toMatchObject({ requestId: 'run-1', model: 'gpt-4.1', promptTokens: 13, completionTokens: 6 });
    expect(recorded[0]!.metadata).toEqual({ usage_estimated: { method: 'tokenizer', encoding: 'o200k_base', counted: ['request', 'response'] } });
  });

  it('counts a conversation as OpenAI’s chat format does, and plain prompts without its overhead', async () => {
    const { handler, recorded } = handlerRecording();
    const conversation = [new SystemMessage('Be brief.'), new HumanMessage('Hi'), new AIMessage('Hello'), new HumanMessage(COOKBOOK_TEXT)];
    await handler.handleChatModelStart({}, [conversation], 'run-2', undefined, start, [], meta);
    await handler.handleLLMEnd({ generations: [[{ text: '' }]] }, 'run-2');
    expect(recorded[0]!.promptTokens).toBe(
      encodeChat([
        { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' }, { role: 'user', content: COOKBOOK_TEXT },
      ], 'gpt-4o').length,
    );
    await handler.handleLLMStart({}, [COOKBOOK_TEXT], 'run-3', undefined, start, [], meta);
    await handler.handleLLMEnd({ generations: [[{ text: COOKBOOK_TEXT }]] }, 'run-3');
    expect(recorded[1]).toMatchObject({ promptTokens: 6, completionTokens: 6 });
  });

  it('never estimates a run with usage, nor a failed run', async () => {
    const { handler, recorded } = handlerRecording();
    await handler.handleChatModelStart({}, [[new HumanMessage(COOKBOOK_TEXT)]], 'run-4', undefined, start, [], meta);
    await handler.handleLLMEnd({ generations: [[{ text: COOKBOOK_TEXT, message: { usage_metadata: { input_tokens: 100, output_tokens: 20 } } }]] }, 'run-4');
    await handler.handleChatModelStart({}, [[new HumanMessage(COOKBOOK_TEXT)]], 'run-5', undefined, start, [], meta);
    await handler.handleLLMError(new Error('boom'), 'run-5');
    expect(recorded[0]).toMatchObject({ promptTokens: 100, completionTokens: 20, metadata: {} });
    expect(recorded[0]!.metadata).not.toHaveProperty('usage_estimated');
    expect(recorded[1]).toMatchObject({ success: false, promptTokens: 0, completionTokens: 0, metadata: {} });
  });
});
