/**
 * The Notion rate limit of a foreground command (sync --once, job, setup:notion,
 * verify): the workers' Redis-shared limit when Redis answers, so the command
 * and running workers stay under one limit together; otherwise one in this process.
 */
import type { Client } from '@notionhq/client';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { createNotionClient } from '../notion/client.js';
import { createMemoryLimiter, type RequestLimiter } from '../notion/rate-limit/limiter.js';
import { createRedisLimiter } from '../worker/redis-limiter.js';
import { connectOnce } from '../worker/redis-tools.js';

export interface CommandLimiter {
  limiter: RequestLimiter;
  /** The connection the limit lives on; undefined when Redis did not answer. */
  redis: Redis | undefined;
  close: () => void;
}

export async function openLimiter(config: Config): Promise<CommandLimiter> {
  const requestsPerSecond = config.sync.notionRequestsPerSecond;
  try {
    const redis = await connectOnce(config.redisUrl);
    const limiter = createRedisLimiter({ redis, prefix: config.worker.queuePrefix, token: config.notion.token ?? '', requestsPerSecond });
    return { limiter, redis, close: () => redis.disconnect() };
  } catch {
    process.stderr.write(`  Redis at REDIS_URL does not answer: limiting to ${requestsPerSecond} requests/s in this process only\n`);
    return { limiter: createMemoryLimiter({ requestsPerSecond }), redis: undefined, close: () => undefined };
  }
}

/** The command's Notion client: every request waits for `limit`. */
export function limitedNotionClient(config: Config, limit: CommandLimiter, options: { maxRetries?: number } = {}): Client {
  return createNotionClient({ token: config.notion.token ?? '', baseUrl: config.notion.baseUrl, timeoutMs: config.notion.timeoutMs, limiter: limit.limiter, ...options });
}
