/** A unique BullMQ prefix per test, and its keys removed afterwards. */
import { randomUUID } from 'node:crypto';
import { dropPrefix as dropKeys } from '../../src/worker/redis-tools.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `tokensync-test-${randomUUID().slice(0, 8)}`;
}

export const dropPrefix = (prefix: string): Promise<void> => dropKeys(REDIS_URL, prefix);
