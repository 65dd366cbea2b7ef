/**
 * One token bucket per caller, in this process: API_RATE_LIMIT_BURST requests at
 * once, refilled at API_RATE_LIMIT_PER_SECOND. Several API processes each keep
 * their own buckets (the limit is per process, not shared through Redis): enough
 * to stop one runaway client from starving the others on a replica.
 */
export interface RateLimiter {
  /** Takes one request from `key`'s bucket: 0 when allowed, else the whole seconds until one is. */
  take(key: string, now?: number): number;
}

/** Buckets remembered at once; beyond this, full ones are forgotten (they would read full again). */
const MAX_BUCKETS = 10_000;

export function createRateLimiter(options: { perSecond: number; burst: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();

  function forgetFullBuckets(now: number) {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond >= options.burst) buckets.delete(key);
    }
  }

  return {
    take(key, now = performance.now()) {
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
      bucket.at = now;
      if (!buckets.has(key)) {
        if (buckets.size >= MAX_BUCKETS) forgetFullBuckets(now);
        buckets.set(key, bucket);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
    },
  };
}
