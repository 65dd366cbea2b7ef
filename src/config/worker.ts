/** The worker: Redis and its queues, its HTTP endpoints, stopping, and what wakes it between intervals. */
import { z } from 'zod';
import { hasProtocol, milliseconds, millisecondsAtLeast, REDIS_URL_HINT, type Parsed } from './fields.js';

export const workerVariables = {
  REDIS_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['redis:', 'rediss:']), `must be ${REDIS_URL_HINT}`)
    .default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _, e.g. tokensync')
    .default('tokensync'),
  WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_HTTP_PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number, e.g. 9464')
    .transform(Number)
    .refine((v) => v < 65536, 'must be a port number below 65536, e.g. 9464')
    .default(9464),
  WORKER_SHUTDOWN_TIMEOUT_MS: milliseconds('e.g. 30000').default(30_000),
  WORKER_API: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  WORKER_REDIS_STARTUP_TIMEOUT_MS: millisecondsAtLeast(1000, 10_000).default(10_000),
  WORKER_JOB_LOCK_MS: millisecondsAtLeast(1000, 30_000).default(30_000),
  CHANGE_NOTIFICATIONS: z.enum(['auto', 'off']).default('auto'),
  BUDGET_WAKE_WINDOW_MS: millisecondsAtLeast(10, 250).default(250),
  LOG_WAKE_WINDOW_MS: millisecondsAtLeast(10, 1000).default(1000),
  ROLLUP_WAKE_WINDOW_MS: millisecondsAtLeast(10, 15_000).default(15_000),
  SPEND_WAKE_WINDOW_MS: millisecondsAtLeast(10, 60_000).default(60_000),
};

type WorkerEnv = Parsed<typeof workerVariables>;

export interface WorkerConfig {
  /** BullMQ's key prefix: workers sharing it share queues and the Notion rate limit. */
  queuePrefix: string;
  httpHost: string;
  httpPort: number;
  /** How long a stopping worker waits for jobs in flight before it gives up on them. */
  shutdownTimeoutMs: number;
  /**
   * Also serve the usage API (`npm run api`) from this process, on API_HOST:API_PORT,
   * beside the health server: one process for a small installation. Stops with the worker.
   */
  api: boolean;
  /** How long a starting worker waits for Redis before it exits with the fix. */
  redisStartupTimeoutMs: number;
  /**
   * A job's lock in Redis, renewed every half of it while the job runs however
   * long it waits (a Retry-After, a slow Notion); when its worker dies, the job
   * runs again elsewhere within about twice this.
   */
  jobLockMs: number;
}

export interface WakeConfig {
  /**
   * LISTEN for committed changes (needs DATABASE_URL: CHANGE_NOTIFICATIONS=auto
   * and a direct connection); otherwise only the intervals wake the worker.
   */
  listen: boolean;
  /** Woken budget evaluations: this long after the first change, and at least this far apart. */
  budgetsWindowMs: number;
  /** Changes to raw logs within one window wake one sync pass. */
  logsWindowMs: number;
  /** Changes within one window wake one pass per rollup dataset, so a busy row is written a bounded number of times. */
  rollupsWindowMs: number;
  /**
   * Spend that changed without raising an alert wakes one Budget Limits pass per
   * window: under load spend moves with every call, and each budget's page is one
   * write per window, whatever the call rate.
   */
  spendWindowMs: number;
}

export const workerConfig = (e: WorkerEnv): WorkerConfig => ({
  queuePrefix: e.QUEUE_PREFIX,
  httpHost: e.WORKER_HTTP_HOST,
  httpPort: e.WORKER_HTTP_PORT,
  shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
  api: e.WORKER_API === 'true',
  redisStartupTimeoutMs: e.WORKER_REDIS_STARTUP_TIMEOUT_MS,
  jobLockMs: e.WORKER_JOB_LOCK_MS,
});

/** Change notifications need a direct Postgres connection to LISTEN on. */
export const wakeConfig = (e: WorkerEnv, hasDirectConnection: boolean): WakeConfig => ({
  listen: e.CHANGE_NOTIFICATIONS === 'auto' && hasDirectConnection,
  budgetsWindowMs: e.BUDGET_WAKE_WINDOW_MS,
  logsWindowMs: e.LOG_WAKE_WINDOW_MS,
  rollupsWindowMs: e.ROLLUP_WAKE_WINDOW_MS,
  spendWindowMs: e.SPEND_WAKE_WINDOW_MS,
});
