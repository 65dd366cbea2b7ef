/**
 * The Notion rate limit shared by every process that uses one token: a token
 * bucket in Redis, advanced by one Lua script so processes never race, on
 * Redis's clock so their clocks need not agree. A 429's Retry-After is stored
 * there too, so one process's answer holds every other back.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RequestLimiter } from '../sync/limiter.js';

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

/** Milliseconds to wait before trying again; 0 means a token was taken. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused_until')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
local paused = tonumber(state[3]) or 0
if now < paused then return paused - now end
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 3600000)
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

export function createRedisLimiter(options: RedisLimiterOptions): RequestLimiter {
  const key = limiterKey(options.prefix, options.token);
  const burst = String(Math.max(1, options.burst ?? 1));
  const rate = String(options.requestsPerSecond);
  return {
    async acquire() {
      for (;;) {
        const wait = Number(await options.redis.eval(TAKE, 1, key, rate, burst));
        if (wait <= 0) return;
        await sleep(wait);
      }
    },
    async pauseFor(ms) {
      await options.redis.eval(PAUSE, 1, key, String(Math.ceil(ms)));
    },
  };
}
