/** Trackers for the SDK tests: a fixed configuration (not the machine's environment) and logs kept in memory. */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { createTracker, type Tracker, type TrackerOptions } from '../../src/sdk/tracker.js';
import type { TestDatabase } from './database.js';
import { postgrestFetch, TEST_SERVICE_ROLE_KEY, type TransportName } from './sources.js';

export interface CapturedLogs {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ destination, format: 'json', level: 'debug' }), lines };
}

/** Fast retries so that tests about outages finish quickly; everything else as given. */
export const FAST_RETRIES = { retryInitialDelayMs: 5, retryMaxDelayMs: 50 } as const;

export function openTracker(
  db: TestDatabase,
  transport: TransportName,
  options: TrackerOptions & { logs?: CapturedLogs; databaseUrl?: string } = {},
): Tracker {
  const { logs, ...rest } = options;
  const connection =
    transport === 'postgres'
      ? { databaseUrl: options.databaseUrl ?? db.url }
      : { supabaseUrl: 'http://supabase.test', supabaseKey: TEST_SERVICE_ROLE_KEY, fetch: postgrestFetch(db) };
  return createTracker({
    config: loadConfig({}),
    logger: (logs ?? captureLogs()).logger,
    ...FAST_RETRIES,
    ...rest,
    ...connection,
  });
}

