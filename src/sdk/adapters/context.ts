/**
 * What an adapter needs besides the provider's response: who made the call and
 * for what. Token counts, model and provider come from the response.
 */
import type { UsageEvent } from '../usage-event.js';
import { estimateTokens, type CallText } from './estimate.js';

type FromResponse = 'provider' | 'model' | 'promptTokens' | 'completionTokens' | 'cachedTokens' | 'cacheWriteTokens' | 'cacheWrite1hTokens' | 'reasoningTokens' | 'requestId';

export type CallContext = Omit<UsageEvent, FromResponse> & {
  /** Default: the response's own id (unique per call, so retried records are not counted twice). */
  requestId?: string;
  /** Default: the adapter's provider, e.g. "openai"; set "azure" for Azure OpenAI. */
  provider?: string;
  /**
   * Default: the tier the response reports (OpenAI `service_tier`, Anthropic
   * `usage.service_tier`). Set 'batch' for results of a batch job whose bodies
   * do not say so.
   */
  serviceTier?: string | null;
  /**
   * The call's text, counted only when the response reports no usage: the
   * request (prompt, inputs or messages) and the response (or the text streamed
   * so far). Never stored.
   */
  text?: CallText;
};

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  /** Of cacheWriteTokens, the one-hour ones (Anthropic). */
  cacheWrite1hTokens?: number;
  reasoningTokens: number;
}

/** A count the provider left out is 0; null and undefined alike. */
export const count = (value: number | null | undefined): number => value ?? 0;

/**
 * The context with the response's own text as `text.response`, when the caller
 * gave the call's text (and no response text of its own): estimation is opt-in.
 */
export function withResponseText(context: CallContext, response: string | undefined): CallContext {
  if (!context.text || context.text.response !== undefined || !response) return context;
  return { ...context, text: { ...context.text, response } };
}

/**
 * The event for record(). A response without usage (e.g. a stream cut short, or
 * without include_usage) is still a call. Its tokens are estimated from the
 * call's text when the context gives it (metadata.usage_estimated says how; the
 * row's cost is then flagged estimated too); without text it is recorded with
 * zero tokens and metadata.usage_missing. A row is one of measured, estimated or
 * missing: usage the provider reported is never estimated.
 */
export function usageEvent(
  context: CallContext,
  defaults: { provider: string; model: string; requestId: string | undefined; serviceTier?: string | null | undefined },
  tokens: TokenCounts | undefined,
  extraMetadata: Record<string, unknown> = {},
): UsageEvent {
  const { requestId, provider, metadata, text, serviceTier, ...rest } = context;
  const tier = serviceTier ?? defaults.serviceTier ?? null;
  const finalProvider = provider ?? defaults.provider;
  const estimate = tokens ? undefined : estimateTokens(finalProvider, defaults.model, text);
  const usageNote = tokens ? {} : estimate ? { usage_estimated: estimate.note } : { usage_missing: true };
  return {
    ...rest,
    requestId: requestId ?? defaults.requestId ?? '',
    provider: finalProvider,
    model: defaults.model,
    ...(tier ? { serviceTier: tier } : {}),
    ...(tokens ?? estimate?.tokens ?? { promptTokens: 0, completionTokens: 0 }),
    metadata: { ...metadata, ...extraMetadata, ...usageNote },
  };
}
