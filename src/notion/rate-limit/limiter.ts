/**
 * The rate limit every Notion request passes through. One limit per Notion
 * token: in a single process the in-memory bucket below is enough; worker
 * processes that share a token share a Redis-backed one (src/worker).
 *
 * Requests wait in lanes (lanes.ts): when a token frees up it goes to
 * the highest lane with a request waiting, so a backlog of raw logs never holds
 * back an alert. Within a lane requests leave in the order they asked.
 */
import { currentLane } from './lane-context.js';
import { LANE_PRIORITY, LANES, type Lane } from './lanes.js';

export interface RequestLimiter {
  /**
   * Resolves when one more request may be sent in `lane` (default: the lane of
   * the work in progress, see lane-context.ts): only when no higher lane waits.
   */
  acquire(lane?: Lane): Promise<void>;
  /** Notion asked everyone to wait (Retry-After): no request of any lane leaves before `ms` from now. */
  pauseFor(ms: number, cause?: PauseCause): Promise<void>;
}

/** What asked for a pause: the HTTP status of Notion's answer (429 rate_limited, 529 service_overload). */
export interface PauseCause {
  status: number;
}

export interface TokenBucketOptions {
  requestsPerSecond: number;
  /** Requests that may leave at once after a quiet spell (default 1: a steady pace). */
  burst?: number;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reports every request `limiter` lets through, with its lane (for per-lane
 * request metrics), and every pause Notion asks for, with the lane that got the answer.
 */
export function countingLimiter(
  limiter: RequestLimiter,
  onSent: (lane: Lane) => void,
  onPause: (ms: number, cause: PauseCause | undefined, lane: Lane) => void = () => undefined,
): RequestLimiter {
  return {
    async acquire(lane = currentLane()) {
      await limiter.acquire(lane);
      onSent(lane);
    },
    async pauseFor(ms, cause) {
      onPause(ms, cause, currentLane());
      await limiter.pauseFor(ms, cause);
    },
  };
}

/** Lanes from the first served to the last. */
export const LANES_BY_PRIORITY: readonly Lane[] = [...LANES].sort((a, b) => LANE_PRIORITY[a] - LANE_PRIORITY[b]);

/** A token bucket in memory; requestsPerSecond 0 (or less) means no limit. */
export function createMemoryLimiter(options: TokenBucketOptions): RequestLimiter {
  const now = options.now ?? Date.now;
  const rate = options.requestsPerSecond;
  const burst = Math.max(1, options.burst ?? 1);
  let tokens = burst;
  let refilledAt = now();
  let pausedUntil = 0;
  const waiting = Object.fromEntries(LANES.map((lane) => [lane, [] as (() => void)[]])) as Record<Lane, (() => void)[]>;
  let serving = false;

  const nextWaiter = (): (() => void) | undefined => {
    for (const lane of LANES_BY_PRIORITY) if (waiting[lane].length > 0) return waiting[lane].shift();
    return undefined;
  };
  const anyWaiting = () => LANES.some((lane) => waiting[lane].length > 0);

  /** One loop hands out tokens while anyone waits; the lane is chosen when the token is there, not before. */
  const serve = async () => {
    if (serving) return;
    serving = true;
    try {
      while (anyWaiting()) {
        const t = now();
        if (t < pausedUntil) {
          await sleep(pausedUntil - t);
          continue;
        }
        tokens = Math.min(burst, tokens + ((t - refilledAt) / 1000) * rate);
        refilledAt = t;
        if (tokens >= 1) {
          tokens -= 1;
          nextWaiter()?.();
          continue;
        }
        await sleep(Math.ceil(((1 - tokens) / rate) * 1000));
      }
    } finally {
      serving = false;
    }
  };

  return {
    acquire(lane = currentLane()) {
      // No limit of our own, but a pause Notion asked for (Retry-After) still holds.
      if (rate <= 0) {
        const paused = pausedUntil - now();
        return paused > 0 ? sleep(paused) : Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        waiting[lane].push(resolve);
        void serve();
      });
    },
    async pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      tokens = 0;
    },
  };
}
