/**
 * What an adapter needs besides the provider's response: who made the call and
 * for what. Token counts, model and provider come from the response.
 */
import type { UsageEvent } from '../usage-event.js';

type FromResponse = 'provider' | 'model' | 'promptTokens' | 'completionTokens' | 'cachedTokens' | 'cacheWriteTokens' | 'reasoningTokens' | 'requestId';

export type CallContext = Omit<UsageEvent, FromResponse> & {
  /** Default: the response's own id (unique per call, so retried records are not counted twice). */
  requestId?: string;
  /** Default: the adapter's provider, e.g. "openai"; set "azure" for Azure OpenAI. */
  provider?: string;
};

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** A count the provider left out is 0; null and undefined alike. */
export const count = (value: number | null | undefined): number => value ?? 0;

/**
 * The event for record(). A response without usage (e.g. a stream without
 * include_usage) is still a call: it is recorded with zero tokens and flagged in
 * metadata, rather than dropped or guessed.
 */
export function usageEvent(
  context: CallContext,
  defaults: { provider: string; model: string; requestId: string | undefined },
  tokens: TokenCounts | undefined,
  extraMetadata: Record<string, unknown> = {},
): UsageEvent {
  const { requestId, provider, metadata, ...rest } = context;
  return {
    ...rest,
    requestId: requestId ?? defaults.requestId ?? '',
    provider: provider ?? defaults.provider,
    model: defaults.model,
    ...(tokens ?? { promptTokens: 0, completionTokens: 0 }),
    metadata: { ...metadata, ...extraMetadata, ...(tokens ? {} : { usage_missing: true }) },
  };
}
