/**
 * A LangChain.js callback handler that records every LLM / chat model run.
 *
 * LangChain accepts plain objects of handler methods in `callbacks`, so this
 * needs no @langchain/core at run time; its types are structural (checked
 * against @langchain/core's CallbackHandlerMethods in the tests).
 *
 * Usage comes from the messages' usage_metadata (input_tokens counts every
 * input token, cache reads and writes included: tokensync's convention), else
 * from llmOutput.tokenUsage of older integrations. The run id is the request
 * id, so a run is recorded once. A run that ends without usage is estimated
 * from its prompts and generated text (see estimate.ts); a failed run is not.
 *
 * What prices a call beyond its tokens comes from the provider's own response,
 * which the integrations keep in response_metadata: the service tier (OpenAI
 * `service_tier`; Anthropic `usage.service_tier`) and Anthropic's one-hour
 * cache writes (`usage.cache_creation.ephemeral_1h_input_tokens`).
 * usage_metadata has neither.
 *
 * With `reserve`, each run first reserves against the budgets that apply: a
 * denied run fails with BudgetDeniedError before the model is called (the
 * handler then asks LangChain to await it and raise its errors), and a finished
 * or failed run settles its hold.
 */
import { BudgetDeniedError } from '../../errors.js';
import type { BudgetHold, CallEstimate } from '../reservations.js';
import type { Tracker } from '../tracker.js';
import type { UsageEvent } from '../usage-event.js';
import { count, usageEvent, type CallContext, type TokenCounts } from './context.js';
import type { CallText, MessageLike, RequestText } from './estimate.js';

interface UsageMetadataLike {
  input_tokens?: number;
  output_tokens?: number;
  input_token_details?: { cache_read?: number; cache_creation?: number };
  output_token_details?: { reasoning?: number };
}

interface GenerationLike {
  text?: string;
  generationInfo?: Record<string, unknown>;
  message?: { usage_metadata?: UsageMetadataLike; response_metadata?: Record<string, unknown>; additional_kwargs?: Record<string, unknown> };
}

export interface LLMResultLike {
  generations: GenerationLike[][];
  llmOutput?: Record<string, unknown>;
}

/** LangChain's ls_provider names where the price catalogue names the provider otherwise. */
const CATALOGUE_PROVIDER: Record<string, string> = {
  google_genai: 'google',
  google_vertexai: 'google',
  azure_openai: 'azure',
  amazon_bedrock: 'aws',
  bedrock: 'aws',
};

type RunInfo = { runId: string; metadata: Record<string, unknown>; tags: string[] };

export interface LangChainHandlerOptions {
  tracker: Pick<Tracker, 'record'> & Partial<Pick<Tracker, 'reserve' | 'settle'>>;
  /** Who and what for; a function receives the run's LangChain metadata and tags. */
  context: CallContext | ((run: RunInfo) => CallContext);
  /**
   * Reserve before each run: true holds the configured default estimate; an
   * estimate (or a function of the run giving one) holds that.
   */
  reserve?: boolean | CallEstimate | ((run: RunInfo) => CallEstimate);
}

interface RunStart {
  startedAt: number;
  metadata: Record<string, unknown>;
  tags: string[];
  invocationModel: string | undefined;
  /** The tier the run asked for (ChatOpenAI's service_tier), used when the response does not say. */
  requestedTier: string | undefined;
  /** The prompts or messages, kept to estimate usage if the run reports none. */
  request: RequestText | undefined;
  hold?: BudgetHold | null;
}

/** LangChain message types as chat roles (what OpenAI's count of a message's role token sees). */
const ROLE: Record<string, string> = { human: 'user', ai: 'assistant', system: 'system', tool: 'tool', function: 'function' };

interface LangChainMessageLike {
  content?: MessageLike['content'];
  name?: string;
  role?: string;
  type?: string;
  getType?: () => string;
  _getType?: () => string;
}

function messageLike(message: unknown): MessageLike {
  const m = (message ?? {}) as LangChainMessageLike;
  const type = m.getType?.() ?? m._getType?.() ?? m.type;
  return { role: (type && ROLE[type]) ?? m.role ?? type ?? null, name: m.name ?? null, content: m.content ?? null };
}

/** The run's text, when usage is missing: what was sent and what came back. */
function callText(start: RunStart | undefined, output: LLMResultLike): CallText | undefined {
  if (!start?.request) return undefined;
  return { request: start.request, response: output.generations.flat().map((g) => g.text ?? '').join('') };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const tokenCount = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0);

/** The provider's raw usage as the integration kept it (Anthropic: response_metadata.usage; llmOutput.usage too). */
const rawUsageOf = (meta: Record<string, unknown> | undefined) => record(meta?.usage);

/** One-hour cache writes of a raw Anthropic usage; 0 when it has none. */
const oneHourWritesOf = (usage: Record<string, unknown> | undefined) => tokenCount(record(usage?.cache_creation)?.ephemeral_1h_input_tokens);

function tokensFrom(output: LLMResultLike): TokenCounts | undefined {
  const generations = output.generations.flat().filter((g) => g.message?.usage_metadata);
  if (generations.length > 0) {
    const usages = generations.map((g) => g.message!.usage_metadata!);
    const sum = (pick: (u: UsageMetadataLike) => number | undefined) => usages.reduce((total, u) => total + count(pick(u)), 0);
    const cacheWriteTokens = sum((u) => u.input_token_details?.cache_creation);
    // A chat model's llmOutput describes its one call: read only when no generation kept its own usage.
    const perGeneration = generations.reduce((total, g) => total + oneHourWritesOf(rawUsageOf(g.message?.response_metadata)), 0);
    const oneHourWrites = perGeneration > 0 ? perGeneration : oneHourWritesOf(rawUsageOf(output.llmOutput));
    return {
      promptTokens: sum((u) => u.input_tokens),
      completionTokens: sum((u) => u.output_tokens),
      cachedTokens: sum((u) => u.input_token_details?.cache_read),
      cacheWriteTokens,
      // One-hour writes cost 2 × input, five-minute ones 1.25 ×: priced apart, as by the Anthropic adapter.
      ...(oneHourWrites > 0 ? { cacheWrite1hTokens: Math.min(oneHourWrites, cacheWriteTokens) } : {}),
      reasoningTokens: sum((u) => u.output_token_details?.reasoning),
    };
  }
  const legacy = output.llmOutput?.tokenUsage as { promptTokens?: number; completionTokens?: number } | undefined;
  if (legacy && (legacy.promptTokens !== undefined || legacy.completionTokens !== undefined)) {
    return { promptTokens: count(legacy.promptTokens), completionTokens: count(legacy.completionTokens), cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  }
  return undefined;
}

/**
 * The tier that served the run, as the response says: OpenAI's Responses API and
 * streamed chat completions keep service_tier in response_metadata (a stream in
 * generationInfo too), Anthropic in its raw usage; a non-streamed chat completion
 * keeps it only in the raw response (includeRawResponse). Else the tier the run
 * asked for, unless "auto", which says nothing about how it was served.
 */
function serviceTierFrom(output: LLMResultLike | undefined, start: RunStart | undefined): string | undefined {
  for (const generation of output?.generations.flat() ?? []) {
    const meta = generation.message?.response_metadata;
    const tier = text(meta?.service_tier)
      ?? text(rawUsageOf(meta)?.service_tier)
      ?? text(generation.generationInfo?.service_tier)
      ?? text(record(generation.message?.additional_kwargs?.__raw_response)?.service_tier);
    if (tier) return tier;
  }
  return text(output?.llmOutput?.service_tier) ?? text(rawUsageOf(output?.llmOutput)?.service_tier) ?? askedTier(start);
}

/** The tier the run asked for; "auto" lets the provider choose, so it says nothing. */
const askedTier = (start: RunStart | undefined): string | undefined =>
  start?.requestedTier?.toLowerCase() === 'auto' ? undefined : start?.requestedTier;

function modelFrom(output: LLMResultLike | undefined, start: RunStart | undefined): string {
  for (const generation of output?.generations.flat() ?? []) {
    const meta = generation.message?.response_metadata;
    const model = text(meta?.model_name) ?? text(meta?.model);
    if (model) return model;
  }
  return text(start?.metadata.ls_model_name) ?? start?.invocationModel ?? 'unknown';
}

export function createLangChainHandler(options: LangChainHandlerOptions) {
  const runs = new Map<string, RunStart>();
  const { tracker } = options;
  const reserving = options.reserve !== undefined && options.reserve !== false;
  if (reserving && (!tracker.reserve || !tracker.settle)) {
    throw new TypeError('createLangChainHandler: reserve needs a tracker with reserve() and settle() (createTracker())');
  }
  const contextOf = (run: RunInfo) => (typeof options.context === 'function' ? options.context(run) : options.context);

  async function started(runId: string, request: RequestText, extraParams?: Record<string, unknown>, tags?: string[], metadata?: Record<string, unknown>) {
    const invocation = extraParams?.invocation_params as Record<string, unknown> | undefined;
    const start: RunStart = {
      startedAt: performance.now(),
      metadata: metadata ?? {},
      tags: tags ?? [],
      invocationModel: text(invocation?.model) ?? text(invocation?.model_name),
      requestedTier: text(invocation?.service_tier),
      request,
    };
    runs.set(runId, start);
    if (!reserving) return;
    const run = { runId, metadata: start.metadata, tags: start.tags };
    const given = typeof options.reserve === 'function' ? options.reserve(run) : options.reserve === true ? undefined : options.reserve;
    // Tokens are held at the tier the run asks for, as its usage will be priced when it does not say.
    const asked = askedTier(start);
    const estimate = given && given.serviceTier === undefined && asked ? { ...given, serviceTier: asked } : given;
    const { organizationId, tier, userId, sessionId, serviceType, agentId, feature } = contextOf(run);
    const decision = await tracker.reserve!({
      organizationId, tier, userId, sessionId, serviceType, agentId, feature, ...(estimate ? { estimate } : {}),
    });
    if (!decision.allowed) {
      runs.delete(runId);
      throw new BudgetDeniedError(decision.reason, { upgradeTier: decision.upgrade?.tier ?? null, context: { runId, userId, agentId } });
    }
    start.hold = decision.hold;
  }

  async function finish(runId: string, output: LLMResultLike | undefined, failure: Error | undefined): Promise<void> {
    const start = runs.get(runId);
    runs.delete(runId);
    const run = { runId, metadata: start?.metadata ?? {}, tags: start?.tags ?? [] };
    const context = contextOf(run);
    const usage = output ? tokensFrom(output) : undefined;
    const estimateFrom = !usage && output ? callText(start, output) : undefined;
    const lsProvider = text(run.metadata.ls_provider);
    const event = usageEvent(
      {
        ...(start ? { latencyMs: performance.now() - start.startedAt } : {}),
        ...(failure ? { success: false, errorType: failure.name || 'Error' } : {}),
        ...context,
        ...(estimateFrom ? { text: estimateFrom } : {}),
      },
      {
        provider: lsProvider ? (CATALOGUE_PROVIDER[lsProvider] ?? lsProvider) : 'unknown',
        model: modelFrom(output, start),
        requestId: runId,
        serviceTier: serviceTierFrom(output, start),
      },
      usage,
    );
    // A failed call may have no usage at all; that is not worth a flag.
    if (failure) delete (event.metadata as Record<string, unknown>).usage_missing;
    if (reserving) await tracker.settle!(start?.hold ?? null, event);
    else tracker.record(event);
  }

  return {
    name: 'tokensync',
    // A denial must stop the run: LangChain then awaits these handlers and raises what they throw.
    ...(reserving ? { awaitHandlers: true, raiseError: true } : {}),
    handleLLMStart(_llm: unknown, prompts: string[], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, tags?: string[], metadata?: Record<string, unknown>) {
      return started(runId, prompts, extraParams, tags, metadata);
    },
    handleChatModelStart(_llm: unknown, messages: unknown[][], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, tags?: string[], metadata?: Record<string, unknown>) {
      return started(runId, messages.flat().map(messageLike), extraParams, tags, metadata);
    },
    handleLLMEnd(output: LLMResultLike, runId: string) {
      return finish(runId, output, undefined);
    },
    handleLLMError(error: Error, runId: string) {
      return finish(runId, undefined, error);
    },
  };
}
