import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisLimiter } from '../../src/worker/redis-limiter.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './redis.js';

let a: Redis;
let b: Redis;
const prefix = uniquePrefix();
beforeAll(() => {
  a = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  b = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await dropPrefix(prefix);
});

describe('the Redis-shared Notion rate limit', () => {
  it('holds across limiters (processes) that share a token', async () => {
    const rate = 20;
    const one = createRedisLimiter({ redis: a, prefix, token: 'secret-one', requestsPerSecond: rate });
    const two = createRedisLimiter({ redis: b, prefix, token: 'secret-one', requestsPerSecond: rate });
    const times: number[] = [];
    const take = async (limiter: typeof one) => {
      await limiter.acquire();
      times.push(Date.now());
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => take(i % 2 ? one : two)));
    times.sort((x, y) => x - y);
    // In any one-second window no more than rate + burst (1) requests leave.
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(rate + 1);
    }
  });

  it('makes every limiter on the token wait out a Retry-After', async () => {
    const one = createRedisLimiter({ redis: a, prefix, token: 'secret-two', requestsPerSecond: 100 });
    const two = createRedisLimiter({ redis: b, prefix, token: 'secret-two', requestsPerSecond: 100 });
    await one.pauseFor(400);
    const started = Date.now();
    await two.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('keeps tokens apart', async () => {
    const one = createRedisLimiter({ redis: a, prefix, token: 'secret-three', requestsPerSecond: 100 });
    const other = createRedisLimiter({ redis: b, prefix, token: 'secret-four', requestsPerSecond: 100 });
    await one.pauseFor(5000);
    const started = Date.now();
    await other.acquire();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
