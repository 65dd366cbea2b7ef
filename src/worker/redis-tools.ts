/**
 * Redis chores outside the queues: a fail-fast connection, is Redis there (with
 * the fix in the message), and removing everything under a queue prefix.
 */
import { Redis } from 'ioredis';
import { TokensyncError } from '../errors.js';

export const REDIS_CHECK_TIMEOUT_MS = 2_000;

/** Redis does not answer at REDIS_URL; the message says how to start one. */
export class RedisUnavailableError extends TokensyncError {
  readonly code = 'redis_unavailable';
}

export function redisUnavailable(redisUrl: string, after = ''): RedisUnavailableError {
  return new RedisUnavailableError(
    `Redis does not answer at ${new URL(redisUrl).host} (REDIS_URL)${after}. Start one — \`redis-server --daemonize yes\`, ` +
      'or `docker run -d -p 6379:6379 redis:7` — or set REDIS_URL.',
    { retryable: true },
  );
}

/**
 * One connection attempt, no reconnection loop, no offline queue: for commands
 * that must know now whether Redis is there. Resolves connected and answering
 * PING; the caller disconnects. Rejects with the connection's own error.
 */
export async function connectOnce(redisUrl: string, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}

/** connectOnce for a command: a Redis that does not answer is a RedisUnavailableError that says how to start one. */
export function connectOrExplain(redisUrl: string, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<Redis> {
  return connectOnce(redisUrl, timeoutMs).catch(() => {
    throw redisUnavailable(redisUrl);
  });
}

export async function assertRedisAnswers(redisUrl: string, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<void> {
  (await connectOrExplain(redisUrl, timeoutMs)).disconnect();
}

/** Deletes every key under `prefix:` (BullMQ's queues and the rate limiter's bucket). */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
