/**
 * The lane of the work in progress, carried across awaits: a sync pass of
 * `token_usage_logs` runs in `logs`, the report page in `rollups`, and every
 * Notion request made on their behalf (however deep in the gateway or the SDK's
 * fetch) is queued in that lane by the rate limiter without each layer passing it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lane } from './lanes.js';

/** Requests made outside any lane (setup, verify, one-off tools) wait with rollups: neither first nor last. */
export const DEFAULT_LANE: Lane = 'rollups';

const storage = new AsyncLocalStorage<Lane>();

/** Runs `work` with `lane` as the lane of every Notion request it makes. */
export function inLane<T>(lane: Lane, work: () => T): T {
  return storage.run(lane, work);
}

/** The lane of the work in progress, or DEFAULT_LANE outside any. */
export function currentLane(): Lane {
  return storage.getStore() ?? DEFAULT_LANE;
}
