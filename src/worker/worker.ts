/**
 * The long-running worker: one BullMQ job scheduler per dataset, workers that
 * run sync passes through the Redis-shared Notion rate limit, dead letters,
 * metrics and health endpoints, and an ordered, bounded stop.
 *
 * Several processes may run this against one Redis (same QUEUE_PREFIX): BullMQ
 * hands each job to one of them, the Postgres lease keeps two runs of one
 * dataset apart, and the rate limit holds across all of them.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { DATASETS } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { createCreationGate } from '../sync/creation.js';
import { openSyncEngine } from '../sync/open.js';
import { startHealthServer, type HealthServer } from './http.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { deadLetterProcessor, syncProcessor } from './processors.js';
import { DEAD_LETTER_QUEUE, REPORTING_QUEUE, schedulerId, SYNC_JOB_OPTIONS, SYNC_QUEUE } from './queues.js';
import { redisUnavailable } from './redis-tools.js';
import { createRedisLimiter } from './redis-limiter.js';
import { answerNotionWebhook, reportingProcessor, scheduleReporting } from './reporting.js';
import { createNotionClient } from '../notion/client.js';
import { limitedFetch } from '../notion/limited-fetch.js';
import { createSupabaseSource, openTransport } from '../supabase/source.js';

export const READINESS_TIMEOUT_MS = 2000;
/** A Redis that does not answer at start is most likely a wrong REDIS_URL: say so rather than wait forever. */
export const REDIS_STARTUP_TIMEOUT_MS = 10_000;


export interface RunningWorker {
  readonly httpPort: number;
  readonly metrics: WorkerMetrics;
  readonly syncQueue: Queue;
  readonly deadLetters: Queue;
  readonly reportingQueue: Queue;
  /** Stop taking jobs, let those in flight finish (bounded), close everything. Idempotent. */
  stop(): Promise<void>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms).unref())]);

export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const { queuePrefix: prefix } = config.worker;
  const log = logger.child({ component: 'worker', prefix });
  // Producers fail fast; workers (and the limiter they wait on) retry forever, so a Redis restart is ridden out.
  const producer = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  const consumer = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  // Before the first connection, one WorkerStartError says it all; after it, each loss is worth a line.
  let connected = false;
  for (const [name, connection] of [['producer', producer], ['consumer', consumer]] as const) {
    connection.on('error', (error) => connected && log.warn({ err: error, connection: name }, 'redis connection error'));
  }
  try {
    await withTimeout(waitForReady(producer), REDIS_STARTUP_TIMEOUT_MS, 'waiting for Redis');
  } catch {
    producer.disconnect();
    consumer.disconnect();
    // Once started, the worker rides out Redis restarts; at start, no answer most likely means a wrong REDIS_URL.
    throw redisUnavailable(config.redisUrl, ` after ${REDIS_STARTUP_TIMEOUT_MS / 1000} s`);
  }
  connected = true;

  const metrics = createWorkerMetrics();
  const limiter = createRedisLimiter({ redis: consumer, prefix, token: config.notion.token ?? '', requestsPerSecond: config.sync.notionRequestsPerSecond });
  // Aborted on stop, so a pass through a long backlog ends within the shutdown timeout.
  const stopping = new AbortController();
  const opened = openSyncEngine(config, {
    limiter,
    logger,
    onRequest: (outcome) => metrics.recordRequest(outcome),
    engine: { signal: stopping.signal },
  });

  const syncQueue = new Queue(SYNC_QUEUE, { connection: producer, prefix });
  const deadLetters = new Queue(DEAD_LETTER_QUEUE, { connection: producer, prefix });
  for (const dataset of DATASETS) {
    if (!config.notion.recorded[dataset].dataSourceId) {
      // Every run would fail the same way; say it once instead.
      log.warn({ dataset }, 'no Notion data source id recorded for this dataset: not scheduled; run npm run setup:notion');
      await syncQueue.removeJobScheduler(schedulerId(dataset));
      continue;
    }
    await syncQueue.upsertJobScheduler(
      schedulerId(dataset),
      { every: config.sync.intervalMs },
      { name: 'sync', data: { dataset }, opts: SYNC_JOB_OPTIONS },
    );
  }

  // Rollups, alerts, the report page and edits from Notion; their Notion requests pass the same limit.
  const reportingTransport = openTransport(config);
  const creation = createCreationGate({ transport: reportingTransport, logger: log, retryMs: config.notion.blockLimitRetryMs });
  const reportingQueue = new Queue(REPORTING_QUEUE, { connection: producer, prefix });
  await scheduleReporting(reportingQueue, config, log);
  const reportingWorker = new Worker(
    REPORTING_QUEUE,
    reportingProcessor({
      config,
      source: createSupabaseSource(reportingTransport, { timezone: config.reportTimezone }),
      notion: createNotionClient({ token: config.notion.token ?? '', baseUrl: config.notion.baseUrl, fetch: limitedFetch(limiter) }),
      redis: producer,
      logger: log.child({ queue: REPORTING_QUEUE }),
      creation,
    }),
    { connection: consumer, prefix, concurrency: 1 },
  );

  const syncWorker = new Worker(SYNC_QUEUE, syncProcessor({ engine: opened.engine, deadLetters, metrics, logger: log, signal: stopping.signal }), {
    connection: consumer,
    prefix,
    concurrency: DATASETS.length,
  });
  const deadLetterWorker = new Worker(DEAD_LETTER_QUEUE, deadLetterProcessor(), { connection: consumer, prefix, concurrency: 1 });
  for (const [queue, worker] of [[SYNC_QUEUE, syncWorker], [DEAD_LETTER_QUEUE, deadLetterWorker], [REPORTING_QUEUE, reportingWorker]] as const) {
    worker.on('failed', (job, error) => {
      metrics.recordFailedJob(queue);
      log.warn({ queue, jobId: job?.id, dataset: job?.data?.dataset, key: job?.data?.key, err: error }, 'job failed');
    });
    worker.on('error', (error) => log.error({ queue, err: error }, 'worker error'));
    worker.on('stalled', (jobId) => log.warn({ queue, jobId }, 'job stalled; it will run again'));
  }
  syncWorker.on('completed', (job, result) => log.debug({ jobId: job.id, dataset: job.data.dataset, result }, 'sync job done'));
  reportingWorker.on('completed', (job, result) => log.info({ jobId: job.id, task: job.name, result }, 'reporting job done'));

  metrics.setCreationReader(async () => (await creation.status()).stopped);
  metrics.setCollector(async () => {
    for (const [name, queue] of [[SYNC_QUEUE, syncQueue], [DEAD_LETTER_QUEUE, deadLetters], [REPORTING_QUEUE, reportingQueue]] as const) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ queue: name, state }, count);
    }
  });

  let http: HealthServer;
  try {
    http = await startHealthServer({
      host: config.worker.httpHost,
      port: config.worker.httpPort,
      registry: metrics.registry,
      notionWebhook: (body, signature) => answerNotionWebhook(body, signature, { config, reportingQueue, log }),
      readiness: async () => {
        const problems: string[] = [];
        await withTimeout(producer.ping(), READINESS_TIMEOUT_MS, 'redis ping').catch((e: unknown) => problems.push(`redis: ${String(e)}`));
        await withTimeout(opened.ping(), READINESS_TIMEOUT_MS, 'database').catch((e: unknown) => problems.push(`database: ${String(e)}`));
        if (!syncWorker.isRunning()) problems.push('worker: not running');
        return problems;
      },
    });
  } catch (error) {
    await Promise.allSettled([syncWorker.close(true), deadLetterWorker.close(true), reportingWorker.close(true), syncQueue.close(), deadLetters.close(), reportingQueue.close()]);
    producer.disconnect();
    consumer.disconnect();
    await opened.close();
    await reportingTransport.close();
    throw error;
  }
  log.info({ port: http.port, host: config.worker.httpHost, intervalMs: config.sync.intervalMs }, 'worker started');

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      log.info('stopping: no new jobs; waiting for jobs in flight');
      stopping.abort();
      const graceful = Promise.all([syncWorker.close(), deadLetterWorker.close(), reportingWorker.close()]);
      try {
        await withTimeout(graceful, config.worker.shutdownTimeoutMs, 'waiting for jobs in flight');
      } catch (error) {
        log.warn({ err: error }, 'jobs still running; closing anyway (they will be picked up again)');
        await Promise.allSettled([syncWorker.close(true), deadLetterWorker.close(true), reportingWorker.close(true)]);
      }
      await Promise.allSettled([syncQueue.close(), deadLetters.close(), reportingQueue.close()]);
      await Promise.allSettled([producer.quit(), consumer.quit()]);
      await opened.close();
      await reportingTransport.close();
      await http.close();
      log.info('stopped');
    })());

  return { httpPort: http.port, metrics, syncQueue, deadLetters, reportingQueue, stop };
}

async function waitForReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('end', () => reject(new Error('could not connect to Redis')));
  });
}
