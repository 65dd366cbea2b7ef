/**
 * Redis checks: reachable, a version BullMQ supports, and an eviction policy
 * that never drops keys (BullMQ keeps jobs and locks in Redis; an evicted key is
 * a lost job or a job run twice).
 */
import { errorMessage, fail, pass, type CheckResult } from './check.js';

/** What the checks need of a Redis connection: the INFO command. */
export interface RedisInfoReader {
  info(section: string): Promise<string>;
}

/** BullMQ's documented minimum. */
const MIN_VERSION = [6, 2, 0] as const;

export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function atLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const have = parts[i] ?? 0;
    if (have !== minimum[i]) return have > minimum[i]!;
  }
  return true;
}

/** ioredis says only "Connection is closed." when nothing listens: name it for what it is. */
function describeFailure(where: string, message: string): string {
  return /Connection is closed|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN/.test(message)
    ? `Redis does not answer at ${where} (${message})`
    : `${where}: ${message}`;
}

export async function checkRedis(redis: RedisInfoReader, where: string): Promise<CheckResult[]> {
  let server: string;
  let memory: string;
  try {
    [server, memory] = await Promise.all([redis.info('server'), redis.info('memory')]);
  } catch (error) {
    return [
      fail('redis', 'connection', describeFailure(where, errorMessage(error)), 'check REDIS_URL and that Redis is running (e.g. redis-server --daemonize yes)'),
    ];
  }
  const results = [pass('redis', 'connection', `reached ${where}`)];
  const version = infoField(server, 'redis_version') ?? 'unknown';
  results.push(
    atLeast(version, MIN_VERSION)
      ? pass('redis', 'version', version)
      : fail('redis', 'version', `${version} is older than ${MIN_VERSION.join('.')}`, 'upgrade Redis to 6.2 or newer'),
  );
  const policy = infoField(memory, 'maxmemory_policy') ?? 'unknown';
  results.push(
    policy === 'noeviction'
      ? pass('redis', 'maxmemory-policy', 'noeviction')
      : fail('redis', 'maxmemory-policy', `${policy}: Redis may evict queue keys under memory pressure`,
          'set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction; on managed Redis, in its settings)'),
  );
  return results;
}
