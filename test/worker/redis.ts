/** A unique BullMQ prefix per test, and its keys removed afterwards. */
import { dropPrefix as dropKeys } from '../../src/worker/redis-tools.js';
import { REDIS_URL, uniqueQueuePrefix } from '../support/services.js';

export { REDIS_URL };

/** Every Redis key a test writes sits under one of these (see TEST_QUEUE_PREFIX). */
export const uniquePrefix = uniqueQueuePrefix;

export const dropPrefix = (prefix: string): Promise<void> => dropKeys(REDIS_URL, prefix);
