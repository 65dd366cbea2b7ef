/**
 * The long-running worker: one BullMQ job scheduler per dataset, on the sync
 * queue of the dataset's lane, workers that run sync passes through the
 * Redis-shared Notion rate limit (which serves lanes by priority), the
 * reporting tasks each on its own queue, dead letters, change notifications
 * that wake work at once, metrics and health endpoints, and an ordered,
 * bounded stop.
 *
 * Several processes may run this against one Redis (same QUEUE_PREFIX): BullMQ
 * hands each job to one of them, the Postgres lease keeps two runs of one
 * dataset apart, and the rate limit holds across all of them.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { DATASETS, type Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { LANES, laneOf, type Lane } from '../notion/rate-limit/lanes.js';
import { createCreationGate } from '../sync/creation.js';
import { openSyncEngine, requireNotionToken } from '../sync/open.js';
import { resolveSettleTime } from '../sync/settle.js';
import { countingLimiter, type PauseCause } from '../notion/rate-limit/limiter.js';
import { startChangeListener, type ChangeListener } from './change-listener.js';
import { startHealthServer, type HealthServer } from './http.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { deadLetterProcessor, syncProcessor } from './processors.js';
import {
  BUDGETS_QUEUE,
  DEAD_LETTER_QUEUE,
  EDITS_QUEUE,
  LEGACY_SYNC_QUEUE,
  schedulerId,
  SYNC_JOB_OPTIONS,
  syncQueueName,
  TASK_QUEUES,
  type TaskQueueName,
} from './queues.js';
import { redisUnavailable } from './redis-tools.js';
import { createRedisLimiter } from './redis-limiter.js';
import { answerNotionWebhook, reportingProcessor, scheduleReporting } from './reporting.js';
import { ALERTS_WINDOW_MS, createPassRecords, createWaker } from './wake.js';
import { createNotionClient } from '../notion/client.js';
import { createSupabaseSource, openTransport } from '../supabase/source.js';
import { failedWarnings, laneWarnings, readBacklog } from '../sync/backlog.js';
import { BACKLOG_COUNT_LIMIT, createBacklogMonitor } from './backlog-monitor.js';
import { requireApiConfig } from '../config/api.js';
import { startApi, type RunningApi } from '../api/start.js';

export const READINESS_TIMEOUT_MS = 2000;

export interface RunningWorker {
  readonly httpPort: number;
  /** The usage API's port, when this worker serves it (WORKER_API, `--api`). */
  readonly apiPort: number | undefined;
  readonly metrics: WorkerMetrics;
  /** One sync queue per lane. */
  readonly syncQueues: Readonly<Record<Lane, Queue>>;
  readonly deadLetters: Queue;
  /** budgets, notion-edits and reporting (rollups + report). */
  readonly taskQueues: Readonly<Record<TaskQueueName, Queue>>;
  /** Listening for change notifications, when configured. */
  readonly changeListener: ChangeListener | undefined;
  /** Stop taking jobs, let those in flight finish (bounded), close everything. Idempotent. */
  stop(): Promise<void>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms).unref())]);

/** Datasets per lane: a lane's sync worker runs them all at once, each holding its own lease. */
const datasetsIn = (lane: Lane) => DATASETS.filter((dataset) => laneOf(dataset) === lane);

export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const { queuePrefix: prefix } = config.worker;
  const log = logger.child({ component: 'worker', prefix });
  requireNotionToken(config);
  // The API's settings are checked before anything starts: a missing secret is one ConfigError naming it.
  if (config.worker.api) requireApiConfig(config.api, config.supabase?.serviceRoleKey);
  // Producers fail fast; workers (and the limiter they wait on) retry forever, so a Redis restart is ridden out.
  const producer = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  const consumer = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  // The rate limiter has a connection of its own: every Notion request waits on it, never behind the workers' commands.
  const limiterConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const metrics = createWorkerMetrics();
  // Before the first connection, one WorkerStartError says it all; after it, each loss is worth a line.
  let connected = false;
  let quitting = false;
  for (const [name, connection] of [['producer', producer], ['consumer', consumer], ['limiter', limiterConnection]] as const) {
    // A server killed outright closes the socket without an error, and the client may be back before
    // one is raised: a ready connection that closes counts once, unless an error already counted it.
    let counted = true;
    connection.on('ready', () => (counted = false));
    connection.on('error', (error) => {
      if (!connected) return;
      counted = true;
      metrics.recordRedisError(name);
      log.warn({ err: error, connection: name }, 'redis connection error');
    });
    connection.on('close', () => {
      if (!connected || quitting || counted) return;
      counted = true;
      metrics.recordRedisError(name);
      log.warn({ connection: name }, 'redis connection lost; reconnecting');
    });
  }
  try {
    // A Redis that does not answer at start is most likely a wrong REDIS_URL: say so rather than wait forever.
    await withTimeout(waitForReady(producer), config.worker.redisStartupTimeoutMs, 'waiting for Redis');
  } catch {
    producer.disconnect();
    consumer.disconnect();
    limiterConnection.disconnect();
    // Once started, the worker rides out Redis restarts; at start, no answer most likely means a wrong REDIS_URL.
    throw redisUnavailable(config.redisUrl, ` after ${config.worker.redisStartupTimeoutMs / 1000} s`);
  }
  connected = true;

  const limiter = countingLimiter(
    createRedisLimiter({ redis: limiterConnection, prefix, token: config.notion.token ?? '', requestsPerSecond: config.sync.notionRequestsPerSecond }),
    (lane) => metrics.recordLaneRequest(lane),
    logPauses(log),
  );
  // Rollups, alerts, the report page and edits from Notion; their Notion requests pass the same limit.
  const reportingTransport = openTransport(config);
  const { settleMs } = await resolveSettleTime(reportingTransport, config.sync.settleMs).catch((error: unknown) => {
    log.warn({ err: error }, 'could not tell whether the database shows writing transactions; sync reads stay SYNC_SETTLE_MS behind');
    return { settleMs: config.sync.settleMs, seesWriters: false };
  });
  // Aborted on stop, so a pass through a long backlog ends within the shutdown timeout.
  const stopping = new AbortController();
  const opened = openSyncEngine(config, {
    limiter,
    logger,
    onRequest: (outcome) => metrics.recordRequest(outcome),
    engine: { signal: stopping.signal, settleMs },
  });

  const syncQueues = Object.fromEntries(LANES.map((lane) => [lane, new Queue(syncQueueName(lane), { connection: producer, prefix })])) as Record<Lane, Queue>;
  const deadLetters = new Queue(DEAD_LETTER_QUEUE, { connection: producer, prefix });
  const synced = await scheduleSync(syncQueues, producer, config, log);

  const creation = createCreationGate({ transport: reportingTransport, logger: log, retryMs: config.notion.blockLimitRetryMs });
  const reportingSource = createSupabaseSource(reportingTransport, { timezone: config.reportTimezone });
  const taskQueues = Object.fromEntries(TASK_QUEUES.map((name) => [name, new Queue(name, { connection: producer, prefix })])) as Record<TaskQueueName, Queue>;
  const scheduledTasks = await scheduleReporting(taskQueues, config, log);
  const wake = createWaker(
    { syncQueues, budgetsQueue: scheduledTasks.includes('budgets') ? taskQueues[BUDGETS_QUEUE] : undefined, datasets: synced },
    {
      budgetsMs: config.wake.budgetsWindowMs,
      syncMs: { alerts: ALERTS_WINDOW_MS, rollups: config.wake.rollupsWindowMs, logs: config.wake.logsWindowMs },
      settleMs,
    },
    log,
  );
  // Locks are renewed while a job runs, however long it waits; a dead worker's jobs are checked for as often.
  const lockOptions = { lockDuration: config.worker.jobLockMs, stalledInterval: config.worker.jobLockMs };
  const processTask = reportingProcessor({
    config,
    source: reportingSource,
    notion: createNotionClient({
      token: config.notion.token ?? '',
      baseUrl: config.notion.baseUrl,
      timeoutMs: config.notion.timeoutMs,
      limiter,
      onResponse: (outcome) => metrics.recordRequest(outcome),
    }),
    redis: producer,
    logger: log.child({ component: 'reporting' }),
    wakeSync: wake.sync,
    creation,
  });
  // One job at a time per task queue: budget evaluation never waits behind a view refresh, the report or an edits poll.
  const taskWorkers = TASK_QUEUES.map((name) => [name, new Worker(name, processTask, { ...lockOptions, connection: consumer, prefix, concurrency: 1 })] as const);

  const processSync = syncProcessor({
    engine: opened.engine,
    deadLetters,
    metrics,
    logger: log,
    signal: stopping.signal,
    wake: wake.sync,
    passes: createPassRecords(producer, prefix),
  });
  const syncWorkers = LANES.map(
    (lane) =>
      [syncQueueName(lane), new Worker(syncQueueName(lane), processSync, { ...lockOptions, connection: consumer, prefix, concurrency: Math.max(1, datasetsIn(lane).length) })] as const,
  );
  const deadLetterWorker = new Worker(DEAD_LETTER_QUEUE, deadLetterProcessor(), { ...lockOptions, connection: consumer, prefix, concurrency: 1 });
  const allWorkers = [...syncWorkers, [DEAD_LETTER_QUEUE, deadLetterWorker] as const, ...taskWorkers];
  const workers = allWorkers.map(([, worker]) => worker);
  for (const [queue, worker] of allWorkers) {
    worker.on('failed', (job, error) => {
      metrics.recordFailedJob(queue);
      log.warn({ queue, jobId: job?.id, dataset: job?.data?.dataset, key: job?.data?.key, err: error }, 'job failed');
    });
    worker.on('error', (error) => log.error({ queue, err: error }, 'worker error'));
    worker.on('stalled', (jobId) => {
      metrics.recordStalledJob(queue);
      log.warn({ queue, jobId }, 'job stalled; it will run again');
    });
  }
  for (const [, worker] of syncWorkers) worker.on('completed', (job, result) => log.debug({ jobId: job.id, dataset: job.data.dataset, result }, 'sync job done'));
  for (const [queue, worker] of taskWorkers) worker.on('completed', (job, result) => log.info({ queue, jobId: job.id, task: job.name, result }, 'reporting job done'));

  // Freshness by event: committed changes wake their work now; the schedulers above stay as the fallback.
  metrics.setListening(false);
  const changeListener = config.wake.listen && config.databaseUrl
    ? startChangeListener({
        databaseUrl: config.databaseUrl,
        logger: log,
        onChange: (table) => {
          metrics.recordNotification(table);
          void wake.tableChanged(table);
        },
        onListening: (listening) => metrics.setListening(listening),
      })
    : undefined;
  if (!changeListener) log.info({ reason: config.databaseUrl ? 'CHANGE_NOTIFICATIONS=off' : 'no DATABASE_URL' }, 'change notifications off: the intervals wake the worker');

  const queuesByName: (readonly [string, Queue])[] = [
    ...LANES.map((lane) => [syncQueueName(lane), syncQueues[lane]] as const),
    [DEAD_LETTER_QUEUE, deadLetters],
    ...TASK_QUEUES.map((name) => [name, taskQueues[name]] as const),
  ];
  const queues = queuesByName.map(([, queue]) => queue);
  metrics.setCreationReader(async () => (await creation.status()).stopped);
  metrics.setCollector(async () => {
    for (const [name, queue] of queuesByName) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ queue: name, state }, count);
    }
  });

  // Per lane, what is still to be written and since when: for /metrics and /readyz.
  const backlog = createBacklogMonitor({
    count: () => readBacklog(reportingSource, { tokenLogWindowDays: config.sync.tokenLogWindowDays, limit: BACKLOG_COUNT_LIMIT }),
    limitsMs: config.sync.laneMaxLagMs,
    logger: log,
  });
  metrics.setBacklogSource(() => backlog.current());

  let http: HealthServer | undefined;
  let api: RunningApi | undefined;
  try {
    http = await startHealthServer({
      host: config.worker.httpHost,
      port: config.worker.httpPort,
      registry: metrics.registry,
      notionWebhook: (request) => answerNotionWebhook(request, { config, editsQueue: taskQueues[EDITS_QUEUE], redis: producer, log }),
      readiness: async () => {
        const problems: string[] = [];
        await withTimeout(producer.ping(), READINESS_TIMEOUT_MS, 'redis ping').catch((e: unknown) => problems.push(`redis: ${String(e)}`));
        await withTimeout(opened.ping(), READINESS_TIMEOUT_MS, 'database').catch((e: unknown) => problems.push(`database: ${String(e)}`));
        for (const [queue, worker] of syncWorkers) if (!worker.isRunning()) problems.push(`worker: ${queue} not running`);
        return problems;
      },
      // A lane behind is reported, not unready: the worker still serves the other
      // lanes, and taking it out of rotation or restarting it would not help.
      warnings: async () => {
        const view = await backlog.current({ maxWaitMs: READINESS_TIMEOUT_MS });
        return view ? [...laneWarnings(view.lanes), ...failedWarnings(view.lanes)] : [];
      },
    });
    // The usage API for small installations: its own port and pool, this process's lifetime.
    if (config.worker.api) api = await startApi(config, logger.child({ component: 'api' }));
  } catch (error) {
    quitting = true;
    await http?.close();
    await changeListener?.stop();
    await Promise.allSettled([...workers.map((w) => w.close(true)), ...queues.map((q) => q.close())]);
    producer.disconnect();
    consumer.disconnect();
    limiterConnection.disconnect();
    await opened.close();
    await reportingTransport.close();
    throw error;
  }
  const health = http;
  log.info(
    { port: health.port, host: config.worker.httpHost, intervalMs: config.sync.intervalMs, settleMs, ...(api ? { apiPort: api.port, apiHost: config.api.host } : {}) },
    'worker started',
  );

  // A Redis restarted without its data (no AOF or RDB) has lost the job schedulers, and with them
  // every scheduled pass and task: install them again each time it comes back (upserts, harmless otherwise).
  let stopped: Promise<void> | undefined;
  producer.on('ready', () => {
    if (stopped) return;
    Promise.all([scheduleSync(syncQueues, producer, config, log), scheduleReporting(taskQueues, config, log)]).then(
      () => log.info('Redis is back: job schedulers installed again'),
      (error: unknown) => log.warn({ err: error }, 'Redis is back, but the job schedulers could not be installed again; next reconnect tries again'),
    );
  });
  const stop = () =>
    (stopped ??= (async () => {
      log.info('stopping: no new jobs; waiting for jobs in flight');
      quitting = true;
      stopping.abort();
      // The API stops taking requests now and lets those in flight finish, while the jobs in flight finish.
      const apiStopped = api ? stopApi(api, config.api.shutdownTimeoutMs, log) : Promise.resolve();
      await changeListener?.stop();
      const graceful = Promise.all(workers.map((w) => w.close()));
      try {
        await withTimeout(graceful, config.worker.shutdownTimeoutMs, 'waiting for jobs in flight');
      } catch (error) {
        log.warn({ err: error }, 'jobs still running; closing anyway (they will be picked up again)');
        await Promise.allSettled(workers.map((w) => w.close(true)));
      }
      await Promise.allSettled(queues.map((q) => q.close()));
      await Promise.allSettled([producer.quit(), consumer.quit(), limiterConnection.quit()]);
      await opened.close();
      await reportingTransport.close();
      await apiStopped;
      await health.close();
      log.info('stopped');
    })());

  return { httpPort: health.port, apiPort: api?.port, metrics, syncQueues, deadLetters, taskQueues, changeListener, stop };
}

/** Stops the API (requests in flight finish); past `timeoutMs`, says so and lets the process's deadline end it. */
async function stopApi(api: RunningApi, timeoutMs: number, log: Logger): Promise<void> {
  try {
    await withTimeout(api.stop(), timeoutMs, 'waiting for API requests in flight');
  } catch (error) {
    log.warn({ err: error }, 'the usage API did not stop in time');
  }
}

/**
 * One scheduler per dataset with a data source id, on its lane's queue; the
 * schedulers of the queue every dataset shared before lanes are removed.
 * Returns the datasets scheduled.
 */
async function scheduleSync(syncQueues: Readonly<Record<Lane, Queue>>, connection: Redis, config: Config, log: Logger): Promise<Set<Dataset>> {
  const legacy = new Queue(LEGACY_SYNC_QUEUE, { connection, prefix: config.worker.queuePrefix });
  const scheduled = new Set<Dataset>();
  try {
    for (const dataset of DATASETS) {
      await legacy.removeJobScheduler(schedulerId(dataset));
      const queue = syncQueues[laneOf(dataset)];
      if (!config.notion.recorded[dataset].dataSourceId) {
        // Every run would fail the same way; say it once instead.
        log.warn({ dataset }, 'no Notion data source id recorded for this dataset: not scheduled; run npm run setup:notion');
        await queue.removeJobScheduler(schedulerId(dataset));
        continue;
      }
      await queue.upsertJobScheduler(schedulerId(dataset), { every: config.sync.intervalMs }, { name: 'sync', data: { dataset }, opts: SYNC_JOB_OPTIONS });
      scheduled.add(dataset);
    }
  } finally {
    await legacy.close();
  }
  return scheduled;
}

/**
 * A line when Notion asks every sender to wait (429 rate_limited, 529
 * service_overload): once per pause, not once per answer of a storm, unless
 * a later answer asks for a second or more beyond it.
 */
function logPauses(log: Logger): (ms: number, cause: PauseCause | undefined, lane: Lane) => void {
  let pausedUntil = 0;
  return (ms, cause, lane) => {
    const until = Date.now() + ms;
    if (until < pausedUntil + 1000) return;
    pausedUntil = until;
    log.warn({ status: cause?.status, retryAfterSeconds: ms / 1000, lane }, 'Notion asked every sender to wait');
  };
}

async function waitForReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('end', () => reject(new Error('could not connect to Redis')));
  });
}
