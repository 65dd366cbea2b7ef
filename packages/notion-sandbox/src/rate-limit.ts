/**
 * Notion's rate limit, per token: an average number of requests per second with
 * some burst allowed (documented default: 3 per second). A request over the
 * limit is answered 429 `rate_limited` with `Retry-After` in whole seconds.
 * Modelled as a token bucket; switchable off for fast tests.
 */

export interface RateLimitOptions {
  /** Average requests per second per token. Default 3. */
  requestsPerSecond?: number;
  /** Requests that may be made at once before the average applies. Default 10. */
  burst?: number;
}

type Resolved = { rate: number; burst: number };

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  private config: Resolved | false;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions | false | undefined, private readonly clock: () => number = () => performance.now()) {
    this.config = RateLimiter.resolve(options);
  }

  private static resolve(options: RateLimitOptions | false | undefined): Resolved | false {
    if (options === false) return false;
    const rate = options?.requestsPerSecond ?? 3;
    const burst = options?.burst ?? 10;
    if (!(rate > 0) || !(burst >= 1)) throw new Error('rateLimit needs requestsPerSecond > 0 and burst ≥ 1');
    return { rate, burst };
  }

  /** Changes the limit (or turns it off with `false`); buckets start full again. */
  configure(options: RateLimitOptions | false): void {
    this.config = RateLimiter.resolve(options);
    this.buckets.clear();
  }

  get enabled(): boolean {
    return this.config !== false;
  }

  take(token: string): RateDecision {
    if (this.config === false) return { ok: true };
    const { rate, burst } = this.config;
    const now = this.clock();
    const bucket = this.buckets.get(token) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(token, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }
}
