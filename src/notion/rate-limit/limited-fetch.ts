/**
 * A fetch for the Notion SDK that waits for the shared rate limit before every
 * request and tells it when Notion says to slow down, so requests made outside
 * the sync engine (report page, edits polling) count against the same limit.
 * Each request waits in the lane of the work that makes it (lane-context.ts):
 * the worker runs the report in `rollups` and the edits poll in `alerts`.
 */
import { currentLane } from './lane-context.js';
import type { RequestLimiter } from './limiter.js';

const DEFAULT_RETRY_AFTER_MS = 1000;

/** Told of each request's outcome: its HTTP status, 'timeout' (no complete answer in time) or 'network' (none at all). */
export type ResponseListener = (outcome: number | 'network' | 'timeout') => void;

export function limitedFetch(limiter: RequestLimiter, base: typeof fetch = fetch, onResponse: ResponseListener = () => undefined): typeof fetch {
  return async (input, init) => {
    await limiter.acquire(currentLane());
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      onResponse((error as { code?: string }).code === 'notionhq_client_request_timeout' ? 'timeout' : 'network');
      throw error;
    }
    onResponse(response.status);
    if (response.status === 429 || response.status === 529) {
      const seconds = Number(response.headers.get('retry-after'));
      await limiter.pauseFor(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS, { status: response.status });
    }
    return response;
  };
}
