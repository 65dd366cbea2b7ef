/**
 * The LangChain handler inside real LangChain plumbing (@langchain/core's callback
 * manager), with a scripted chat model instead of a provider, writing through a
 * real tracker into Postgres.
 */
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { BaseChatModel, type BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLangChainHandler } from '../../src/sdk/adapters/langchain.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTracker } from '../support/sdk.js';

class ScriptedChatModel extends BaseChatModel {
  constructor(private readonly reply: AIMessage | Error, params: BaseChatModelParams = {}) {
    super(params);
  }

  _llmType() {
    return 'scripted';
  }

  override getLsParams() {
    return { ls_provider: 'anthropic', ls_model_name: 'claude-sonnet-4-5', ls_model_type: 'chat' as const };
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    if (this.reply instanceof Error) throw this.reply;
    return { generations: [{ text: String(this.reply.content), message: this.reply }] };
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('records each chat model run once, with usage, cache details, latency and failures', async () => {
  const tracker = openTracker(db, 'postgres');
  const handler = createLangChainHandler({
    tracker,
    context: ({ metadata }) => ({ userId: String(metadata.user_id ?? 'anonymous'), sessionId: 's-1', serviceType: 'virtual_panel', agentName: 'Moderator' }),
  });
  const answered = new ScriptedChatModel(
    new AIMessage({
      content: 'Hello',
      usage_metadata: {
        input_tokens: 250_000,
        output_tokens: 1_000,
        total_tokens: 251_000,
        input_token_details: { cache_read: 100_000, cache_creation: 20_000 },
        output_token_details: { reasoning: 300 },
      },
      response_metadata: { model_name: 'claude-sonnet-4-5-20250929' },
    }),
  );
  const failing = new ScriptedChatModel(Object.assign(new Error('overloaded'), { name: 'OverloadedError' }));

  await answered.invoke('Hi', { callbacks: [handler], metadata: { user_id: 'user-7' } });
  await expect(failing.invoke('Hi', { callbacks: [handler] })).rejects.toThrow('overloaded');
  await awaitAllCallbacks();
  expect(await tracker.close()).toMatchObject({ written: 2, rejected: 0 });

  const { rows } = await db.pool.query(
    `select user_id, service_type, agent_name, provider, model, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
            reasoning_tokens, success, error_type, total_cost::text, latency_ms >= 0 as timed, metadata->'pricing'->>'source' as source
       from token_usage_logs order by success desc`,
  );
  expect(rows).toEqual([
    {
      user_id: 'user-7', service_type: 'virtual_panel', agent_name: 'Moderator', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929',
      prompt_tokens: 250_000, completion_tokens: 1_000, cached_tokens: 100_000, cache_write_tokens: 20_000, reasoning_tokens: 300,
      success: true, error_type: null,
      // above 200k input, long-context rates: 130000 × 6 + 100000 × 0.6 + 20000 × 7.5 = 780,000 + 60,000 + 150,000 = 990,000 µ$
      // output 1000 × 22.5 = 22,500 µ$; total 1,012,500 µ$
      total_cost: '1.012500', timed: true, source: 'catalogue',
    },
    {
      user_id: 'anonymous', service_type: 'virtual_panel', agent_name: 'Moderator', provider: 'anthropic', model: 'claude-sonnet-4-5',
      prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
      success: false, error_type: 'OverloadedError', total_cost: '0.000000', timed: true, source: 'catalogue',
    },
  ]);
});
