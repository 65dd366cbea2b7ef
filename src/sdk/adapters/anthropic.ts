/**
 * Anthropic Messages → usage records. Structural types (checked against
 * @anthropic-ai/sdk in the tests), so the SDK needs no Anthropic package.
 *
 * Anthropic's input_tokens leaves out cache reads and cache writes; tokensync
 * counts every input token in promptTokens, so they are added back. Thinking
 * tokens are part of output_tokens; output_tokens_details reports how many.
 */
import type { UsageEvent } from '../usage-event.js';
import { count, usageEvent, withResponseText, type CallContext } from './context.js';

export interface AnthropicMessageLike {
  id?: string;
  model: string;
  usage?: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number | null;
    cache_read_input_tokens?: number | null;
    cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
    output_tokens_details?: { thinking_tokens?: number | null } | null;
    /** 'standard', 'priority' or 'batch' (Message Batches, billed at 50 %). */
    service_tier?: string | null;
  } | null;
  /** Read only to estimate usage when it is missing and the context gives the call's text. */
  content?: readonly { type: string; text?: string }[];
}

export function fromAnthropicMessage(message: AnthropicMessageLike, context: CallContext): UsageEvent {
  const usage = message.usage;
  const cacheRead = count(usage?.cache_read_input_tokens);
  const cacheWrite = count(usage?.cache_creation_input_tokens);
  const oneHourWrites = count(usage?.cache_creation?.ephemeral_1h_input_tokens);
  const text = message.content?.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('');
  return usageEvent(
    withResponseText(context, text),
    { provider: 'anthropic', model: message.model, requestId: message.id, serviceTier: usage?.service_tier },
    usage
      ? {
          promptTokens: usage.input_tokens + cacheRead + cacheWrite,
          completionTokens: usage.output_tokens,
          cachedTokens: cacheRead,
          cacheWriteTokens: cacheWrite,
          // One-hour writes cost 2 × input, five-minute ones 1.25 ×: priced apart.
          cacheWrite1hTokens: Math.min(oneHourWrites, cacheWrite),
          reasoningTokens: count(usage.output_tokens_details?.thinking_tokens),
        }
      : undefined,
  );
}
