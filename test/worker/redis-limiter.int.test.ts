import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lane } from '../../src/notion/rate-limit/lanes.js';
import { createRedisLimiter, limiterKey, waitersKey } from '../../src/worker/redis-limiter.js';
import { waitUntil } from './processes.js';
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

  it('serves lanes by priority across limiters (processes): alerts, then rollups, then raw logs', async () => {
    const rate = 20;
    const one = createRedisLimiter({ redis: a, prefix, token: 'secret-lanes', requestsPerSecond: rate });
    const two = createRedisLimiter({ redis: b, prefix, token: 'secret-lanes', requestsPerSecond: rate });
    const served: Lane[] = [];
    const take = (limiter: typeof one, lane: Lane) => limiter.acquire(lane).then(() => void served.push(lane));
    // A backlog of raw logs in one process: once the first has left, the rest are waiting on the bucket.
    const logs = Array.from({ length: 12 }, () => take(one, 'logs'));
    await waitUntil(() => served.length >= 1, 5);
    // Then rollups from that process and alerts from the other arrive, all at once.
    const later = [...Array.from({ length: 5 }, () => take(one, 'rollups')), ...Array.from({ length: 8 }, () => take(two, 'alerts'))];
    await Promise.all([...logs, ...later]);

    const firstAlert = served.indexOf('alerts');
    const lastAlert = served.lastIndexOf('alerts');
    const firstRollup = served.indexOf('rollups');
    const lastRollup = served.lastIndexOf('rollups');
    // Every alert before any later rollup or log; every rollup before any later log.
    expect(served.slice(firstAlert, lastAlert + 1)).toEqual(Array(8).fill('alerts'));
    expect(served.slice(lastAlert + 1, lastAlert + 6)).toEqual(Array(5).fill('rollups'));
    expect(lastRollup).toBe(lastAlert + 5);
    // Raw logs were still waiting all along, and at most one left between the arrival and the first alert.
    expect(firstAlert).toBeLessThanOrEqual(2);
    expect(firstRollup).toBeGreaterThan(lastAlert);
    expect(served.slice(lastRollup + 1).length).toBeGreaterThanOrEqual(12 - firstAlert);
    expect(served.filter((l) => l === 'logs')).toHaveLength(12);
  });

  it('lets a lower lane go on when a higher waiter stops asking (its process died)', async () => {
    const rate = 20;
    const one = createRedisLimiter({ redis: a, prefix, token: 'secret-dead-waiter', requestsPerSecond: rate });
    // An alerts waiter registered, then its process vanished: only its registration is left.
    const key = limiterKey(prefix, 'secret-dead-waiter');
    const time = await a.time();
    await a.zadd(waitersKey(key, 'alerts'), Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000) + 300, 'dead:1');
    await one.acquire('logs');
    await one.acquire('logs');
    expect(await a.zcard(waitersKey(key, 'alerts'))).toBe(0);
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
