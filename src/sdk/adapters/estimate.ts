/**
 * Token counts estimated from the text of a call whose provider reported no
 * usage (a stream cut short, a stream without include_usage, an endpoint that
 * leaves usage out). Counted with gpt-tokenizer, a maintained pure-JS port of
 * OpenAI's tiktoken encodings:
 *
 * - OpenAI models: the model's own encoding (o200k_base for gpt-4o, gpt-4.1,
 *   gpt-4.5, gpt-5 and the o-series; cl100k_base for gpt-4, gpt-3.5 and the
 *   text-embedding models), so text counts match the API's; chat messages add
 *   OpenAI's documented per-message overhead (3 tokens a message, 1 for a name,
 *   3 priming the reply). Method "tokenizer".
 * - Any other provider (Anthropic publishes no tokenizer): o200k_base as a
 *   proxy. Method "proxy_tokenizer": an approximation, see docs/sdk.md.
 *
 * Token-id arrays (an embeddings input may be given as tokens) are counted
 * exactly: one id is one token. Images, audio, files and tool schemas are not
 * counted (their token cost depends on sizes the SDK is not given); the note
 * lists how many parts of each kind were left out (`uncounted`), so a reader
 * knows the estimate is low and why. The encodings load on the first estimate
 * (about 150 ms and 75 MB each), never for calls that report usage.
 */
import { createRequire } from 'node:module';
import type { TokenCounts } from './context.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** A chat message as providers take them: text content, or parts of which the text ones count. */
export interface MessageLike {
  role?: string | null;
  name?: string | null;
  content?: string | readonly ({ type?: string; text?: string | null } | string)[] | null;
}

/** Token ids, as an embeddings input may be given. */
export type TokenIds = readonly number[];

/** The request's text: a prompt, several inputs (embeddings: text or token ids), or chat messages. */
export type RequestText = string | TokenIds | readonly (string | TokenIds)[] | readonly MessageLike[];

export interface CallText {
  /** What was sent: the prompt, the embedding inputs, or the messages (with the system prompt as a message). */
  request?: RequestText;
  /** What came back: the completion's text, or the text streamed so far. */
  response?: string;
}

/** What metadata.usage_estimated says about a row's token counts. */
export interface UsageEstimateNote {
  method: 'tokenizer' | 'proxy_tokenizer';
  encoding: EncodingName;
  /** Which texts were counted; a part not given counts 0. */
  counted: ('request' | 'response')[];
  /** Parts of the request that were not counted, by kind ("image_url": 2): the estimate is low by their tokens. */
  uncounted?: Record<string, number>;
}

interface Encoder {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
}

const load = createRequire(import.meta.url);
const encoders = new Map<EncodingName, Encoder>();

function encoder(name: EncodingName): Encoder {
  let found = encoders.get(name);
  if (!found) {
    // Loaded on demand (synchronously, adapters are synchronous): most calls report usage and never need it.
    found = load(`gpt-tokenizer/cjs/encoding/${name}`) as Encoder;
    encoders.set(name, found);
  }
  return found;
}

/** "<|endoftext|>" in user text is plain text to the API, and must not make counting throw. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of one text in an encoding. */
export function countTextTokens(text: string, encoding: EncodingName): number {
  return text === '' ? 0 : encoder(encoding).encode(text, PLAIN_TEXT).length;
}

/** OpenAI models before gpt-4o use cl100k_base (as do the embedding models); later ones o200k_base. */
const CL100K_MODELS = /^(gpt-4(-|$)|gpt-3\.5|text-embedding-)/;

/** The encoding an estimate uses for this provider's model, and whether it is the model's own. */
export function encodingFor(provider: string, model: string): Pick<UsageEstimateNote, 'method' | 'encoding'> {
  const openai = provider === 'openai' || provider === 'azure';
  const name = model.toLowerCase().replace(/^openai\//, '');
  if (openai) return { method: 'tokenizer', encoding: CL100K_MODELS.test(name) ? 'cl100k_base' : 'o200k_base' };
  return { method: 'proxy_tokenizer', encoding: 'o200k_base' };
}

/** OpenAI's documented chat overhead (openai-cookbook, How_to_count_tokens_with_tiktoken). */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const TOKENS_PRIMING_REPLY = 3;

const isTextPart = (type: string | undefined) => type === undefined || type === 'text' || type === 'input_text';
const isTokenIds = (value: unknown): value is TokenIds => Array.isArray(value) && value.every((id) => typeof id === 'number');

/** The text of a message's content; the kinds of part left out are tallied in `uncounted`. */
function contentText(content: MessageLike['content'], uncounted: Map<string, number>): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (isTextPart(part.type)) text += part.text ?? '';
    else uncounted.set(part.type!, (uncounted.get(part.type!) ?? 0) + 1);
  }
  return text;
}

function requestTokens(request: RequestText, encoding: EncodingName, uncounted: Map<string, number>): number {
  if (typeof request === 'string') return countTextTokens(request, encoding);
  if (isTokenIds(request)) return request.length;
  let total = 0;
  let messages = 0;
  for (const item of request) {
    if (typeof item === 'string') {
      total += countTextTokens(item, encoding);
    } else if (isTokenIds(item)) {
      total += item.length;
    } else {
      messages += 1;
      total += TOKENS_PER_MESSAGE + countTextTokens(item.role ?? '', encoding) + countTextTokens(contentText(item.content, uncounted), encoding);
      if (item.name) total += TOKENS_PER_NAME + countTextTokens(item.name, encoding);
    }
  }
  return messages > 0 ? total + TOKENS_PRIMING_REPLY : total;
}

/** Estimated counts from the call's text, or undefined when no text was given. */
export function estimateTokens(
  provider: string,
  model: string,
  text: CallText | undefined,
): { tokens: TokenCounts; note: UsageEstimateNote } | undefined {
  const counted: UsageEstimateNote['counted'] = [];
  if (text?.request !== undefined) counted.push('request');
  if (text?.response !== undefined) counted.push('response');
  if (counted.length === 0) return undefined;
  const { method, encoding } = encodingFor(provider, model);
  const uncounted = new Map<string, number>();
  return {
    tokens: {
      promptTokens: text?.request === undefined ? 0 : requestTokens(text.request, encoding, uncounted),
      completionTokens: text?.response === undefined ? 0 : countTextTokens(text.response, encoding),
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    note: { method, encoding, counted, ...(uncounted.size > 0 ? { uncounted: Object.fromEntries(uncounted) } : {}) },
  };
}

