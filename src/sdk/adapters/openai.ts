/**
 * OpenAI responses → usage records: Chat Completions and the Responses API.
 * Structural types (the fields we read), so the SDK needs no `openai` package;
 * test/sdk/adapters.test.ts checks them against the SDK's own types.
 *
 * OpenAI counts cached reads and cache writes inside prompt/input tokens and
 * reasoning tokens inside completion/output tokens: the convention computeCost uses.
 */
import type { UsageEvent } from '../usage-event.js';
import { count, usageEvent, withResponseText, type CallContext } from './context.js';

export interface OpenAIChatCompletionLike {
  id?: string;
  model: string;
  /** The tier that served the call: 'default', 'flex', 'priority', 'scale'… */
  service_tier?: string | null;
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
    completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  } | null;
  /** Read only to estimate usage when it is missing and the context gives the call's text. */
  choices?: readonly { message?: { content?: string | null } | null }[];
}

export interface OpenAIResponseLike {
  id?: string;
  model: string;
  /** The tier that served the call: 'default', 'flex', 'priority', 'scale'… */
  service_tier?: string | null;
  status?: string | null;
  error?: { code?: string | null } | null;
  usage?: {
    input_tokens: number;
    output_tokens: number;
    input_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
    output_tokens_details?: { reasoning_tokens?: number | null } | null;
  } | null;
  /** The SDK's concatenated output text; read only to estimate missing usage. */
  output_text?: string;
}

/** An embeddings response: no id (pass requestId in the context), no completion. */
export interface OpenAIEmbeddingLike {
  model: string;
  usage?: { prompt_tokens: number; total_tokens?: number } | null;
}

export function fromOpenAIChatCompletion(completion: OpenAIChatCompletionLike, context: CallContext): UsageEvent {
  const usage = completion.usage;
  const content = completion.choices?.map((choice) => choice.message?.content ?? '').join('');
  return usageEvent(
    withResponseText(context, content),
    { provider: 'openai', model: completion.model, requestId: completion.id, serviceTier: completion.service_tier },
    usage
      ? {
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
          cachedTokens: count(usage.prompt_tokens_details?.cached_tokens),
          cacheWriteTokens: count(usage.prompt_tokens_details?.cache_write_tokens),
          reasoningTokens: count(usage.completion_tokens_details?.reasoning_tokens),
        }
      : undefined,
  );
}

export function fromOpenAIResponse(response: OpenAIResponseLike, context: CallContext): UsageEvent {
  const usage = response.usage;
  const failed = response.status === 'failed';
  return usageEvent(
    {
      ...(failed ? { success: false, errorType: response.error?.code ?? 'failed' } : {}),
      ...withResponseText(context, response.output_text),
    },
    { provider: 'openai', model: response.model, requestId: response.id, serviceTier: response.service_tier },
    usage
      ? {
          promptTokens: usage.input_tokens,
          completionTokens: usage.output_tokens,
          cachedTokens: count(usage.input_tokens_details?.cached_tokens),
          cacheWriteTokens: count(usage.input_tokens_details?.cache_write_tokens),
          reasoningTokens: count(usage.output_tokens_details?.reasoning_tokens),
        }
      : undefined,
  );
}

/**
 * An embeddings call. The response has no id: give `requestId` in the context
 * (record() refuses an empty one). Without usage, the tokens are estimated from
 * `text.request` (the input strings) with the model's encoding.
 */
export function fromOpenAIEmbedding(response: OpenAIEmbeddingLike, context: CallContext): UsageEvent {
  const usage = response.usage;
  return usageEvent(
    context,
    { provider: 'openai', model: response.model, requestId: undefined },
    usage
      ? { promptTokens: usage.prompt_tokens, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      : undefined,
  );
}
