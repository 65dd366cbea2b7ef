/** Prometheus metrics of one worker process, in a registry of its own. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { PASS_COUNTS, type PassSummary } from '../sync/engine.js';
import type { RequestOutcome } from '../sync/notion-gateway.js';
import type { Lane } from '../notion/rate-limit/lanes.js';
import type { BacklogView } from './backlog-monitor.js';

export interface WorkerMetrics {
  registry: Registry;
  recordPass(summary: PassSummary, startedAt: number): void;
  recordRequest(outcome: RequestOutcome): void;
  /** One Notion request left the rate limiter in `lane` (sync, report, edits polling alike). */
  recordLaneRequest(lane: Lane): void;
  recordFailedJob(queue: string): void;
  /** A job whose worker stopped renewing its lock (it died, or hung) was taken back to run again. */
  recordStalledJob(queue: string): void;
  /** A connection to Redis failed (producer, consumer or limiter): the worker reconnects by itself. */
  recordRedisError(connection: string): void;
  /** Called at scrape time to refresh gauges that need a lookup (queue depths). */
  setCollector(collect: () => Promise<void>): void;
  /** Where the backlog gauges read at scrape time (a cached, bounded count: see backlog-monitor.ts). */
  setBacklogSource(read: () => Promise<BacklogView | undefined>): void;
  queueDepth: Gauge<'queue' | 'state'>;
  /** Whether change notifications are being listened to (1) or only the intervals wake the worker (0). */
  setListening(listening: boolean): void;
  /** A change notification arrived for `table`. */
  recordNotification(table: string): void;
  /** Tells the block-limit gauge how to read whether Notion refuses new blocks (in any process). */
  setCreationReader(read: () => Promise<boolean>): void;
}

type BacklogSetter<L extends string> = (gauge: Gauge<L>, view: BacklogView) => void;

/**
 * Gauges of the sync backlog. prom-client collects metrics in parallel, so each
 * gauge reads the shared view itself (the monitor makes that one count).
 */
function backlogGauges(registry: Registry, read: () => Promise<BacklogView | undefined>) {
  const gauge = <L extends string>(name: string, help: string, label: L, set: BacklogSetter<L>) =>
    new Gauge<L>({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        const view = await read();
        if (view) set(this, view);
      },
    });
  const age = (seconds: number | null) => seconds ?? 0;
  gauge('tokensync_lane_backlog_rows', 'Changes not yet written to Notion, by lane (alerts, rollups, logs).', 'lane', (g, v) => {
    for (const l of v.lanes) g.set({ lane: l.lane }, l.pending);
  });
  gauge('tokensync_lane_oldest_unsynced_seconds', 'Age of the oldest change not yet written to Notion, by lane; 0 when none.', 'lane', (g, v) => {
    for (const l of v.lanes) g.set({ lane: l.lane }, age(l.oldestPendingSeconds));
  });
  gauge('tokensync_lane_failed_rows', 'Rows the sync gave up on (see the dead-letters failed set), by lane.', 'lane', (g, v) => {
    for (const l of v.lanes) g.set({ lane: l.lane }, l.failed);
  });
  gauge('tokensync_lane_lag_limit_seconds', 'The configured lag limit of each lane (LANE_MAX_LAG_*_MS).', 'lane', (g, v) => {
    for (const l of v.lanes) g.set({ lane: l.lane }, l.limitSeconds);
  });
  gauge('tokensync_lane_behind', '1 when the lane\'s oldest unsynced change is older than its lag limit.', 'lane', (g, v) => {
    for (const l of v.lanes) g.set({ lane: l.lane }, l.behind ? 1 : 0);
  });
  gauge('tokensync_sync_backlog_rows', 'Changes not yet written to Notion, by dataset.', 'dataset', (g, v) => {
    for (const d of v.report.datasets) g.set({ dataset: d.dataset }, d.pending);
  });
  gauge('tokensync_sync_oldest_unsynced_seconds', 'Age of the oldest change not yet written to Notion, by dataset; 0 when none.', 'dataset', (g, v) => {
    for (const d of v.report.datasets) g.set({ dataset: d.dataset }, age(d.oldestPendingSeconds));
  });
  gauge('tokensync_sync_failed_rows', 'Rows the sync gave up on and that are still not in Notion, by dataset.', 'dataset', (g, v) => {
    for (const d of v.report.datasets) g.set({ dataset: d.dataset }, d.failed);
  });
  gauge('tokensync_sync_backlog_capped', '1 when the count stopped at its limit: the backlog is at least the value shown.', 'dataset', (g, v) => {
    for (const d of v.report.datasets) g.set({ dataset: d.dataset }, d.capped ? 1 : 0);
  });
}


export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tokensync_' });
  const rows = new Counter({
    name: 'tokensync_sync_rows_total',
    help: 'Source rows handled by sync passes, by dataset and outcome (read, created, updated, unchanged, skipped, held, trashed, failed).',
    labelNames: ['dataset', 'outcome'] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'tokensync_notion_requests_total',
    help: 'Notion requests sent (sync, report page, edits polling), by HTTP status (timeout: no complete answer within NOTION_TIMEOUT_MS; network: no answer at all).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const laneRequests = new Counter({
    name: 'tokensync_notion_requests_by_lane_total',
    help: 'Notion requests this process sent, by lane (alerts, rollups, logs): where the rate limit goes.',
    labelNames: ['lane'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'tokensync_notion_rate_limited_total',
    help: 'Notion answers 429 rate_limited.',
    registers: [registry],
  });
  const leftOut = new Counter({
    name: 'tokensync_token_logs_left_out_total',
    help: 'Raw-log changes not mirrored to Token Usage Logs because calls outran the logs lane share (TOKEN_LOG_REQUEST_SHARE); exact totals: tokensync_log_window_status().',
    registers: [registry],
  });
  const failedJobs = new Counter({
    name: 'tokensync_failed_jobs_total',
    help: 'Jobs that failed (each attempt), by queue.',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const stalledJobs = new Counter({
    name: 'tokensync_stalled_jobs_total',
    help: 'Jobs taken back from a worker that stopped renewing their lock (killed, or its event loop blocked), by queue; they run again.',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'tokensync_redis_connection_errors_total',
    help: 'Errors on the connections to Redis (refused, reset, closed), by connection (producer, consumer, limiter); each is retried by itself.',
    labelNames: ['connection'] as const,
    registers: [registry],
  });
  const lastComplete = new Map<string, number>();
  const lag = new Gauge({
    name: 'tokensync_sync_lag_seconds',
    help: 'Seconds since the start of the last pass that left nothing behind, by dataset: changes older than this are in Notion.',
    labelNames: ['dataset'] as const,
    registers: [registry],
    collect() {
      for (const [dataset, startedAt] of lastComplete) this.set({ dataset }, (Date.now() - startedAt) / 1000);
    },
  });
  let collector: (() => Promise<void>) | undefined;
  const queueDepth = new Gauge({
    name: 'tokensync_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed, completed).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      // Redis away: the depths stay as last read; /metrics must answer most when something is down.
      await collector?.().catch(() => undefined);
    },
  });
  void lag;
  let backlogSource: (() => Promise<BacklogView | undefined>) | undefined;
  backlogGauges(registry, async () => backlogSource?.());
  const listenerUp = new Gauge({
    name: 'tokensync_change_listener_up',
    help: '1 while the worker LISTENs for committed changes (freshness by event); 0 when only the intervals wake it.',
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'tokensync_change_notifications_total',
    help: 'Change notifications received, by table (each wakes coalesced jobs).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  let readCreationStopped: (() => Promise<boolean>) | undefined;
  new Gauge({
    name: 'tokensync_notion_creates_blocked',
    help: '1 while Notion refuses to create blocks (the workspace block limit): rows that need a new page are held; fix: upgrade the plan or lower the budgets.',
    registers: [registry],
    async collect() {
      // The database away: the gauge stays as last read (readiness says what is down).
      const stopped = await readCreationStopped?.().catch(() => undefined);
      if (stopped !== undefined) this.set(stopped ? 1 : 0);
    },
  });

  return {
    registry,
    queueDepth,
    setCreationReader(read) {
      readCreationStopped = read;
    },
    recordPass(summary, startedAt) {
      const { dataset } = summary;
      for (const outcome of PASS_COUNTS) if (outcome !== 'warnings' && outcome !== 'leftOut') rows.inc({ dataset, outcome }, summary[outcome]);
      leftOut.inc(summary.leftOut);
      rows.inc({ dataset, outcome: 'failed' }, summary.failed.length);
      if (summary.complete) lastComplete.set(dataset, startedAt);
    },
    recordRequest(outcome) {
      requests.inc({ status: String(outcome) });
      if (outcome === 429) rateLimited.inc();
    },
    recordLaneRequest(lane) {
      laneRequests.inc({ lane });
    },
    recordFailedJob(queue) {
      failedJobs.inc({ queue });
    },
    recordStalledJob(queue) {
      stalledJobs.inc({ queue });
    },
    recordRedisError(connection) {
      redisErrors.inc({ connection });
    },
    setCollector(collect) {
      collector = collect;
    },
    setBacklogSource(read) {
      backlogSource = read;
    },
    setListening(listening) {
      listenerUp.set(listening ? 1 : 0);
    },
    recordNotification(table) {
      notifications.inc({ table });
    },
  };
}
