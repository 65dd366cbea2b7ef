/**
 * The Notion rate limit shared by every process that uses one token: a token
 * bucket in Redis, advanced by one Lua script so processes never race, on
 * Redis's clock so their clocks need not agree. A 429's Retry-After is stored
 * there too, so one process's answer holds every other back.
 *
 * Lanes: a request that has to wait registers itself in its lane's set, with a
 * short expiry, in the same script that takes tokens. A token goes to a lower
 * lane only when no higher lane has a live registration, in any process; a
 * waiter that stops asking (its process died) lapses within HOLD_MS.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { currentLane } from '../notion/rate-limit/lane-context.js';
import type { Lane } from '../notion/rate-limit/lanes.js';
import { LANES_BY_PRIORITY, type RequestLimiter } from '../notion/rate-limit/limiter.js';

export interface RedisLimiterOptions {
  redis: Redis;
  /** Namespaces the key, like BullMQ's prefix. */
  prefix: string;
  /** The Notion token the limit belongs to (only a hash of it is used in the key). */
  token: string;
  requestsPerSecond: number;
  /** Requests that may leave at once after a quiet spell (default 1). */
  burst?: number;
}

/**
 * How long a waiter's registration outlives the wait it was told: long enough
 * for its timer and the next round trip, short enough that a dead process
 * holds lower lanes back only briefly.
 */
export const HOLD_MS = 1000;

/**
 * KEYS: the bucket, then one sorted set of waiters per lane, highest first
 * (member: waiter id, score: when its registration lapses).
 * ARGV: rate, burst, this lane's position (1 = highest), waiter id, HOLD_MS.
 * Returns milliseconds to wait before asking again; 0 means a token was taken.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local lane = tonumber(ARGV[3])
local id = ARGV[4]
local hold = tonumber(ARGV[5])
local mine = KEYS[lane + 1]
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused_until')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
local paused = tonumber(state[3]) or 0
local wait
if now < paused then
  wait = paused - now
else
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  local higher = 0
  for i = 2, lane do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    higher = higher + redis.call('ZCARD', KEYS[i])
  end
  if higher > 0 then
    wait = math.max(1, math.ceil(1000 / rate))
  elseif tokens >= 1 then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[1], 3600000)
    redis.call('ZREM', mine, id)
    return 0
  else
    wait = math.ceil((1 - tokens) * 1000 / rate)
  end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 3600000)
end
redis.call('ZADD', mine, now + wait + hold, id)
redis.call('PEXPIRE', mine, 3600000)
return wait
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
if until_ms > paused then redis.call('HSET', KEYS[1], 'paused_until', tostring(until_ms), 'tokens', '0', 'at', tostring(now)) end
redis.call('PEXPIRE', KEYS[1], 3600000)
return until_ms
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function limiterKey(prefix: string, token: string): string {
  return `${prefix}:notion-rate:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/** The sorted set of a lane's waiters for one token. */
export const waitersKey = (bucketKey: string, lane: Lane) => `${bucketKey}:waiting:${lane}`;

export function createRedisLimiter(options: RedisLimiterOptions): RequestLimiter {
  const key = limiterKey(options.prefix, options.token);
  const keys = [key, ...LANES_BY_PRIORITY.map((lane) => waitersKey(key, lane))];
  const burst = String(Math.max(1, options.burst ?? 1));
  const rate = String(options.requestsPerSecond);
  const owner = randomUUID().slice(0, 8);
  let waiters = 0;
  return {
    async acquire(lane = currentLane()) {
      const position = String(LANES_BY_PRIORITY.indexOf(lane) + 1);
      const id = `${owner}:${++waiters}`;
      for (;;) {
        const wait = Number(await options.redis.eval(TAKE, keys.length, ...keys, rate, burst, position, id, String(HOLD_MS)));
        if (wait <= 0) return;
        await sleep(wait);
      }
    },
    async pauseFor(ms) {
      await options.redis.eval(PAUSE, 1, key, String(Math.ceil(ms)));
    },
  };
}
