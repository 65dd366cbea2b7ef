/**
 * The Notion client as tokensync uses it: API version 2025-09-03, a configurable
 * base URL (Notion, the local fake, or any compatible server), and errors turned
 * into NotionRequestError with the request id and what to do next.
 */
import { APIResponseError, Client, isNotionClientError, RequestTimeoutError } from '@notionhq/client';

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;
import { TokensyncError, type ErrorContext } from '../errors.js';
import { limitedFetch, type ResponseListener } from './rate-limit/limited-fetch.js';
import type { RequestLimiter } from './rate-limit/limiter.js';

export const NOTION_VERSION = '2025-09-03';
export const DEFAULT_NOTION_TIMEOUT_MS = 60_000;
/**
 * The SDK's own timeout, set out of the way: its clock starts before the wait
 * for the rate limit (a Retry-After can hold a request for minutes) and stops
 * at the headers, so a body that stalls halfway would hang. Our fetch times
 * each exchange instead, from the moment it leaves to its last byte.
 */
const SDK_TIMEOUT_MS = 2_147_483_647;

export interface NotionClientOptions {
  token: string;
  baseUrl: string;
  /** SDK retries of 429/529 (and 5xx on GETs), honouring Retry-After; default 2, 0 to disable. */
  maxRetries?: number;
  /** How long one exchange with Notion may take, from sending to the last byte of the answer (default 60 s). */
  timeoutMs?: number;
  /** Every request waits for this limit (not counted in timeoutMs), and a 429/529 pauses it for Retry-After. */
  limiter?: RequestLimiter;
  /** Told of each answer's status ('network', 'timeout' when there was none), for metrics. */
  onResponse?: ResponseListener;
  /** Replaces global fetch under the timeout (tests, a throttle of its own). */
  fetch?: typeof fetch;
}

/** Statuses whose answers have no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A fetch that reads the whole answer within `timeoutMs` (a connection that
 * stalls mid-body fails like one that never answers), and whose network
 * failures (refused, unknown host, reset) say where Notion was expected,
 * instead of undici's bare "fetch failed". Both are retryable: the next
 * attempt may get through.
 */
function answeringFetch(baseUrl: string, timeoutMs: number, base: typeof fetch): typeof fetch {
  const where = new URL(baseUrl).origin;
  return async (input, init) => {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    try {
      const response = await base(input, { ...init, signal });
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      if (timeout.signal.aborted) {
        throw new RequestTimeoutError(`Notion sent no complete answer within ${timeoutMs / 1000} s at ${where} (NOTION_TIMEOUT_MS); the request may have taken effect`);
      }
      if (!(error instanceof TypeError)) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new NotionRequestError(
        `Notion does not answer at ${where} (${cause?.code ?? cause?.message ?? error.message}); check NOTION_BASE_URL and the network`,
        { notionCode: 'network_error', cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

export function createNotionClient(options: NotionClientOptions): Client {
  const timed = answeringFetch(options.baseUrl, options.timeoutMs ?? DEFAULT_NOTION_TIMEOUT_MS, options.fetch ?? fetch);
  const clientOptions: ClientOptions = {
    auth: options.token,
    baseUrl: options.baseUrl,
    notionVersion: NOTION_VERSION,
    timeoutMs: SDK_TIMEOUT_MS,
    retry: { maxRetries: options.maxRetries ?? 2 },
    // The wait for the limit comes before the clock of the exchange starts.
    fetch: options.limiter ? limitedFetch(options.limiter, timed, options.onResponse) : timed,
    // The SDK logs to the console by default; our errors carry what it would say.
    logger: () => undefined,
  };
  return new Client(clientOptions);
}

/** Notion codes after which the same request may succeed later. */
const RETRYABLE_CODES = new Set(['rate_limited', 'internal_server_error', 'service_unavailable', 'service_overload', 'gateway_timeout', 'conflict_error', 'network_error']);

/** A Notion request failed; `notionCode` is Notion's error code (or the SDK's for timeouts). */
export class NotionRequestError extends TokensyncError {
  readonly code: string = 'notion_request_failed';
  readonly notionCode: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, details: { notionCode: string; status?: number; requestId?: string; cause: unknown; context?: ErrorContext }) {
    super(message, {
      cause: details.cause,
      retryable:
        RETRYABLE_CODES.has(details.notionCode) ||
        details.notionCode === 'notionhq_client_request_timeout' ||
        // A 5xx the SDK has no code for (502 bad_gateway, …) is the server's trouble, not the request's.
        (details.status !== undefined && details.status >= 500),
      context: { ...details.context, notionCode: details.notionCode, requestId: details.requestId },
    });
    this.notionCode = details.notionCode;
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

/** What to do when Notion refuses to create blocks. */
export const BLOCK_LIMIT_FIX =
  'upgrade the Notion workspace plan (or leave it with one member), or lower TOKEN_LOG_PAGE_BUDGET and the rollup window so the footprint fits (npm run setup:notion prints it)';

/**
 * The workspace has used its lifetime blocks (a Free workspace with more than
 * one member: 1,000) and its grace period is over: nothing that creates a
 * block (a page, a row, a database, an appended block) can succeed until the
 * plan changes. Reads and edits in place still work. Never retryable.
 */
export class NotionBlockLimitError extends NotionRequestError {
  override readonly code: string = 'notion_block_limit';
}

/** Notion's documented mark of the block limit: 403 restricted_resource with additional_data.block_limit. */
export function isBlockLimitResponse(error: unknown): boolean {
  return APIResponseError.isAPIResponseError(error) && error.code === 'restricted_resource' && Boolean(error.additional_data?.block_limit);
}

/**
 * What to do after Notion refuses a request for lack of access, by its code.
 * These fail the same way however often they are retried.
 */
const ACCESS_FIXES: Record<string, string> = {
  unauthorized:
    'NOTION_TOKEN was rejected: copy the internal integration secret again from https://www.notion.so/profile/integrations (and check NOTION_BASE_URL)',
  restricted_resource:
    "the integration lacks a capability this needs: give it Read, Update and Insert content at https://www.notion.so/profile/integrations → Capabilities",
  object_not_found:
    'the page or database is not shared with the integration (open it in Notion → ••• → Connections → add the integration), or the id is wrong: npm run setup:notion records the right ones',
};

/** Wraps any error from the SDK; `what` says what we were doing, e.g. "create database Cost Alerts". */
export function toNotionRequestError(error: unknown, what: string, context?: ErrorContext): NotionRequestError | unknown {
  if (error instanceof NotionRequestError || !isNotionClientError(error)) return error;
  const requestId = APIResponseError.isAPIResponseError(error) ? error.request_id : undefined;
  const status = 'status' in error ? (error.status as number) : undefined;
  if (isBlockLimitResponse(error)) {
    return new NotionBlockLimitError(
      `${what}: the Notion workspace has used all of its free blocks, so nothing new can be created (HTTP 403${requestId ? `, request ${requestId}` : ''}); ${BLOCK_LIMIT_FIX}`,
      { notionCode: 'block_limit', status, requestId, cause: error, ...(context ? { context } : {}) },
    );
  }
  const fix = ACCESS_FIXES[error.code];
  return new NotionRequestError(
    `${what}: ${error.message} (${error.code}${status ? `, HTTP ${status}` : ''}${requestId ? `, request ${requestId}` : ''})${fix ? `; ${fix}` : ''}`,
    { notionCode: error.code, status, requestId, cause: error, ...(context ? { context } : {}) },
  );
}

/** Runs a Notion call, rethrowing its failure as a NotionRequestError that names the step. */
export async function notionCall<T>(what: string, call: () => Promise<T>, context?: ErrorContext): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toNotionRequestError(error, what, context);
  }
}
