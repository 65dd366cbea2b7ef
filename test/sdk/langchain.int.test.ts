/**
 * The LangChain handler inside real LangChain plumbing (@langchain/core's callback
 * manager), with a scripted chat model instead of a provider, writing through a
 * real tracker into Postgres.
 */
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { BaseChatModel, type BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLangChainHandler } from '../../src/sdk/adapters/langchain.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openTracker } from '../support/sdk.js';

/** How a scripted model presents itself to the callbacks: its provider, model and request parameters. */
interface Presentation {
  provider: string;
  model: string;
  /** What the integration would send (ChatOpenAI: model, service_tier…). */
  invocation?: Record<string, unknown>;
}

class ScriptedChatModel extends BaseChatModel {
  constructor(
    private readonly reply: AIMessage | Error,
    params: BaseChatModelParams = {},
    private readonly presentation: Presentation = { provider: 'anthropic', model: 'claude-sonnet-4-5' },
  ) {
    super(params);
  }

  _llmType() {
    return 'scripted';
  }

  override getLsParams() {
    return { ls_provider: this.presentation.provider, ls_model_name: this.presentation.model, ls_model_type: 'chat' as const };
  }

  override invocationParams() {
    return this.presentation.invocation ?? {};
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

it('with reserve, holds each run against the budgets, settles it, and stops a denied run before the model is called', async () => {
  await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts');
  // A $1.10 daily user limit without grace. The answered run costs $1.0125 (above): after it,
  // a run holding the $0.10 default would pass $1.10, so it is denied.
  await db.pool.query(`insert into budget_limits (entity_type, entity_id, daily_limit, breach_action, grace_pct) values ('user', 'user-8', 1.1, 'block', 0)`);
  const tracker = openTracker(db, 'postgres');
  const handler = createLangChainHandler({ tracker, context: { userId: 'user-8', serviceType: 'virtual_panel' }, reserve: true });
  let calls = 0;
  const model = new (class extends ScriptedChatModel {
    override async _generate(messages: BaseMessage[]) {
      calls++;
      return super._generate(messages);
    }
  })(
    new AIMessage({
      content: 'Hello',
      usage_metadata: { input_tokens: 250_000, output_tokens: 1_000, total_tokens: 251_000, input_token_details: { cache_read: 100_000, cache_creation: 20_000 } },
      response_metadata: { model_name: 'claude-sonnet-4-5-20250929' },
    }),
  );
  try {
    await model.invoke('Hi', { callbacks: [handler] });
    await awaitAllCallbacks();
    // Settled at once (not buffered): the hold is gone and the call is logged.
    expect((await db.pool.query(`select count(*)::int as n from tokensync.budget_holds`)).rows[0].n).toBe(0);
    expect((await db.pool.query(`select total_cost::text as cost from token_usage_logs where user_id = 'user-8'`)).rows).toEqual([{ cost: '1.012500' }]);

    await expect(model.invoke('Hi', { callbacks: [handler] })).rejects.toMatchObject({
      name: 'BudgetDeniedError',
      message: expect.stringMatching(/^blocked: user 'user-8' daily limit \$1\.10 would be exceeded/),
    });
    expect(calls).toBe(1);
  } finally {
    await tracker.close();
  }
});

describe('prices a run like the provider adapters: service tier and one-hour cache writes', () => {
  beforeEach(() => db.pool.query('truncate token_usage_logs'));

  async function recordRun(model: ScriptedChatModel) {
    const tracker = openTracker(db, 'postgres');
    const handler = createLangChainHandler({ tracker, context: { userId: 'user-9', serviceType: 'workflow' } });
    await model.invoke('Hi', { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(await tracker.close()).toMatchObject({ written: 1, rejected: 0 });
    const { rows } = await db.pool.query(
      `select model, prompt_tokens, cache_write_tokens, total_cost::text, metadata->>'service_tier' as tier,
              (metadata->>'cache_write_1h_tokens')::int as one_hour, metadata->'pricing'->>'service_tier_rule' as rule
         from token_usage_logs`,
    );
    return rows;
  }

  it('ChatAnthropic: the one-hour writes in response_metadata.usage at 2 × input, the five-minute ones at 1.25 ×', async () => {
    // As @langchain/anthropic builds it: usage_metadata counts every input token and
    // lumps the cache writes; the raw usage (with the TTL split and the tier) is kept in response_metadata.
    const usage = {
      input_tokens: 1_000, output_tokens: 2_000, cache_read_input_tokens: 50_000, cache_creation_input_tokens: 30_000,
      cache_creation: { ephemeral_5m_input_tokens: 10_000, ephemeral_1h_input_tokens: 20_000 }, service_tier: 'standard',
    };
    const rows = await recordRun(new ScriptedChatModel(new AIMessage({
      content: 'Hello',
      usage_metadata: {
        input_tokens: 81_000, output_tokens: 2_000, total_tokens: 83_000,
        input_token_details: { cache_read: 50_000, cache_creation: 30_000 },
      },
      response_metadata: { id: 'msg_1', model: 'claude-sonnet-4-20250514', model_provider: 'anthropic', usage },
    }), {}, { provider: 'anthropic', model: 'claude-sonnet-4-20250514' }));

    expect(rows).toEqual([{
      model: 'claude-sonnet-4-20250514', prompt_tokens: 81_000, cache_write_tokens: 30_000, tier: 'standard', one_hour: 20_000, rule: null,
      // Claude Sonnet 4, USD per MTok: input 3, cache read 0.30, 5-minute write 3.75, 1-hour write 6, output 15.
      // 1,000 × 3 + 50,000 × 0.30 + 10,000 × 3.75 + 20,000 × 6 = 3,000 + 15,000 + 37,500 + 120,000 = 175,500 µ$
      // output 2,000 × 15 = 30,000 µ$; total 205,500 µ$ (all writes at 5 minutes would be 190,500)
      total_cost: '0.205500',
    }]);
  });

  it('ChatOpenAI: the tier in response_metadata (Responses API, streamed chat) prices a flex call at half', async () => {
    const rows = await recordRun(new ScriptedChatModel(new AIMessage({
      content: 'Hello',
      usage_metadata: {
        input_tokens: 100_000, output_tokens: 10_000, total_tokens: 110_000,
        input_token_details: { cache_read: 40_000 }, output_token_details: { reasoning: 4_000 },
      },
      response_metadata: { model_provider: 'openai', model_name: 'gpt-5-mini', service_tier: 'flex' },
    }), {}, { provider: 'openai', model: 'gpt-5-mini' }));

    expect(rows).toEqual([{
      model: 'gpt-5-mini', prompt_tokens: 100_000, cache_write_tokens: 0, tier: 'flex', one_hour: null,
      rule: 'flex: 50% of standard (OpenAI flex = Batch prices)',
      // gpt-5-mini standard, USD per MTok: input 0.25, cached input 0.025, output 2.00 (reasoning is output).
      // 60,000 × 0.25 + 40,000 × 0.025 = 15,000 + 1,000 = 16,000 µ$; output 10,000 × 2 = 20,000 µ$
      // standard 36,000 µ$; flex is half: 18,000 µ$
      total_cost: '0.018000',
    }]);
  });

  it('ChatOpenAI: a non-streamed chat completion keeps no tier; the one asked for prices it, and "auto" none', async () => {
    const reply = () => new AIMessage({
      content: 'Hello',
      usage_metadata: { input_tokens: 100_000, output_tokens: 10_000, total_tokens: 110_000 },
      response_metadata: { model_provider: 'openai', model_name: 'gpt-4o-mini-2024-07-18' },
    });
    const asked = (serviceTier: string) => ({ provider: 'openai', model: 'gpt-4o-mini', invocation: { model: 'gpt-4o-mini', service_tier: serviceTier } });

    const flex = await recordRun(new ScriptedChatModel(reply(), {}, asked('flex')));
    // gpt-4o-mini standard: 100,000 × 0.15 + 10,000 × 0.60 = 15,000 + 6,000 = 21,000 µ$; flex is half: 10,500 µ$.
    expect(flex).toMatchObject([{ tier: 'flex', total_cost: '0.010500' }]);

    await db.pool.query('truncate token_usage_logs');
    const auto = await recordRun(new ScriptedChatModel(reply(), {}, asked('auto')));
    expect(auto).toMatchObject([{ tier: null, rule: null, total_cost: '0.021000' }]);
  });
});

it('with reserve, holds the estimate at the tier the run asks for', async () => {
  await db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, tokensync.budget_holds');
  await db.pool.query(`insert into budget_limits (entity_type, entity_id, daily_limit, breach_action, grace_pct) values ('user', 'user-10', 0.05, 'block', 0)`);
  const tracker = openTracker(db, 'postgres');
  // gpt-4o-mini 200,000 in / 50,000 out: 200,000 × 0.15 + 50,000 × 0.60 = 60,000 µ$ standard ($0.06, past the $0.05 limit);
  // flex is half: $0.03.
  const handler = createLangChainHandler({
    tracker,
    context: { userId: 'user-10', serviceType: 'workflow' },
    reserve: { provider: 'openai', model: 'gpt-4o-mini', promptTokens: 200_000, completionTokens: 50_000 },
  });
  const model = (serviceTier: string) => new ScriptedChatModel(
    new AIMessage({ content: 'Hello', usage_metadata: { input_tokens: 10, output_tokens: 10, total_tokens: 20 }, response_metadata: { model_name: 'gpt-4o-mini' } }),
    {},
    { provider: 'openai', model: 'gpt-4o-mini', invocation: { model: 'gpt-4o-mini', service_tier: serviceTier } },
  );
  try {
    await expect(model('auto').invoke('Hi', { callbacks: [handler] })).rejects.toMatchObject({
      name: 'BudgetDeniedError', message: expect.stringContaining('estimated $0.06'),
    });
    await model('flex').invoke('Hi', { callbacks: [handler] });
    await awaitAllCallbacks();
    expect((await db.pool.query(`select metadata->>'service_tier' as tier from token_usage_logs where user_id = 'user-10'`)).rows).toEqual([{ tier: 'flex' }]);
  } finally {
    await tracker.close();
  }
});
