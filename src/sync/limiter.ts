/**
 * The rate limit every Notion request passes through. One limit per Notion
 * token: in a single process the in-memory bucket below is enough; worker
 * processes that share a token share a Redis-backed one (src/worker).
 */
export interface RequestLimiter {
  /** Resolves when one more request may be sent. */
  acquire(): Promise<void>;
  /** Notion asked everyone to wait (Retry-After): no request leaves before `ms` from now. */
  pauseFor(ms: number): Promise<void>;
}

export interface TokenBucketOptions {
  requestsPerSecond: number;
  /** Requests that may leave at once after a quiet spell (default 1: a steady pace). */
  burst?: number;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A token bucket in memory; requestsPerSecond 0 (or less) means no limit. */
export function createMemoryLimiter(options: TokenBucketOptions): RequestLimiter {
  const now = options.now ?? Date.now;
  const rate = options.requestsPerSecond;
  const burst = Math.max(1, options.burst ?? 1);
  let tokens = burst;
  let refilledAt = now();
  let pausedUntil = 0;
  // Callers queue in order, so a burst of acquires is paced rather than raced.
  let queue: Promise<void> = Promise.resolve();

  const takeOne = async () => {
    for (;;) {
      const t = now();
      if (t < pausedUntil) {
        await sleep(pausedUntil - t);
        continue;
      }
      tokens = Math.min(burst, tokens + ((t - refilledAt) / 1000) * rate);
      refilledAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - tokens) / rate) * 1000));
    }
  };

  return {
    acquire() {
      if (rate <= 0) return Promise.resolve();
      const turn = queue.then(takeOne);
      queue = turn.catch(() => undefined);
      return turn;
    },
    async pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      tokens = 0;
    },
  };
}
