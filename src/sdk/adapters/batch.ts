/**
 * Results of batch jobs → usage records, priced at the batch tier (50 % of
 * standard). A batch result's body is an ordinary response, but it does not
 * always say it was served by a batch, so these adapters set the tier
 * themselves:
 *
 * - OpenAI Batch API: one line of the output file, `{id, custom_id, response:
 *   {status_code, request_id, body}, error}`, whose body is a chat completion, a
 *   Responses API response or an embeddings list.
 * - Anthropic Message Batches: one entry of the results, `{custom_id, result:
 *   {type: 'succeeded', message} | {type: 'errored' | 'canceled' | 'expired'}}`.
 *
 * A request that failed, was canceled or expired produced no response and is
 * billed nothing: the adapters return undefined for it (its model is not known,
 * so a record could only be a guess). Each record's id defaults to the
 * response's own id, else the batch line's (unique across batches); custom_id is
 * unique only within its batch, so it goes into metadata, not the id.
 */
import type { UsageEvent } from '../usage-event.js';
import { fromAnthropicMessage, type AnthropicMessageLike } from './anthropic.js';
import type { CallContext } from './context.js';
import {
  fromOpenAIChatCompletion, fromOpenAIEmbedding, fromOpenAIResponse,
  type OpenAIChatCompletionLike, type OpenAIEmbeddingLike, type OpenAIResponseLike,
} from './openai.js';

const BATCH = 'batch';

type OpenAIBatchBody =
  | (OpenAIChatCompletionLike & { object?: 'chat.completion' })
  | (OpenAIResponseLike & { object?: 'response' })
  | (OpenAIEmbeddingLike & { object?: 'list' });

export interface OpenAIBatchOutputLineLike {
  /** The line's id ("batch_req_…"), unique across batches. */
  id: string;
  custom_id: string;
  response?: { status_code: number; request_id?: string | null; body?: OpenAIBatchBody | null } | null;
  error?: { code?: string | null; message?: string | null } | null;
}

/** Which endpoint a body came from, by its `object` (or its shape when absent). */
function openAIBody(body: OpenAIBatchBody): 'chat' | 'response' | 'embedding' {
  if (body.object === 'chat.completion' || 'choices' in body) return 'chat';
  if (body.object === 'response' || 'output_text' in body || 'status' in body) return 'response';
  if (body.object === 'list') return 'embedding';
  const usage = (body as { usage?: Record<string, unknown> | null }).usage;
  return usage && 'input_tokens' in usage ? 'response' : usage && !('completion_tokens' in usage) ? 'embedding' : 'chat';
}

export function fromOpenAIBatchResult(line: OpenAIBatchOutputLineLike, context: CallContext): UsageEvent | undefined {
  const body = line.response?.body;
  if (!line.response || line.response.status_code >= 400 || line.error || !body) return undefined;
  const batchContext: CallContext = {
    ...context,
    serviceTier: BATCH,
    metadata: { ...context.metadata, batch: { custom_id: line.custom_id, line_id: line.id } },
  };
  const withId = (id: string | undefined) => ({ ...batchContext, requestId: batchContext.requestId ?? id ?? line.id });
  switch (openAIBody(body)) {
    case 'chat': {
      const completion = body as OpenAIChatCompletionLike;
      return fromOpenAIChatCompletion(completion, withId(completion.id));
    }
    case 'response': {
      const response = body as OpenAIResponseLike;
      return fromOpenAIResponse(response, withId(response.id));
    }
    case 'embedding':
      return fromOpenAIEmbedding(body as OpenAIEmbeddingLike, withId(undefined));
  }
}

export interface AnthropicBatchResultLike {
  custom_id: string;
  result:
    | { type: 'succeeded'; message: AnthropicMessageLike }
    | { type: 'errored'; error?: { type?: string | null; error?: { type?: string | null } | null } | null }
    | { type: 'canceled' | 'expired' };
}

/** `batchId` (msgbatch_…) goes into metadata with the custom_id; the record's id is the message's own. */
export function fromAnthropicBatchResult(entry: AnthropicBatchResultLike, context: CallContext & { batchId?: string }): UsageEvent | undefined {
  if (entry.result.type !== 'succeeded') return undefined;
  const { batchId, ...rest } = context;
  return fromAnthropicMessage(entry.result.message, {
    ...rest,
    serviceTier: BATCH,
    metadata: { ...rest.metadata, batch: { custom_id: entry.custom_id, ...(batchId ? { batch_id: batchId } : {}) } },
  });
}
