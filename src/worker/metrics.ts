/** Prometheus metrics of one worker process, in a registry of its own. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { PASS_COUNTS, type PassSummary } from '../sync/engine.js';
import type { RequestOutcome } from '../sync/notion-gateway.js';

export interface WorkerMetrics {
  registry: Registry;
  recordPass(summary: PassSummary, startedAt: number): void;
  recordRequest(outcome: RequestOutcome): void;
  recordFailedJob(queue: string): void;
  /** Called at scrape time to refresh gauges that need a lookup (queue depths). */
  setCollector(collect: () => Promise<void>): void;
  queueDepth: Gauge<'queue' | 'state'>;
  /** Tells the block-limit gauge how to read whether Notion refuses new blocks (in any process). */
  setCreationReader(read: () => Promise<boolean>): void;
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
    help: 'Notion requests sent, by HTTP status (network: no answer).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'tokensync_notion_rate_limited_total',
    help: 'Notion answers 429 rate_limited.',
    registers: [registry],
  });
  const failedJobs = new Counter({
    name: 'tokensync_failed_jobs_total',
    help: 'Jobs that failed (each attempt), by queue.',
    labelNames: ['queue'] as const,
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
      await collector?.();
    },
  });
  void lag;
  let readCreationStopped: (() => Promise<boolean>) | undefined;
  new Gauge({
    name: 'tokensync_notion_creates_blocked',
    help: '1 while Notion refuses to create blocks (the workspace block limit): rows that need a new page are held; fix: upgrade the plan or lower the budgets.',
    registers: [registry],
    async collect() {
      if (readCreationStopped) this.set((await readCreationStopped()) ? 1 : 0);
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
      for (const outcome of PASS_COUNTS) if (outcome !== 'warnings') rows.inc({ dataset, outcome }, summary[outcome]);
      rows.inc({ dataset, outcome: 'failed' }, summary.failed.length);
      if (summary.complete) lastComplete.set(dataset, startedAt);
    },
    recordRequest(outcome) {
      requests.inc({ status: String(outcome) });
      if (outcome === 429) rateLimited.inc();
    },
    recordFailedJob(queue) {
      failedJobs.inc({ queue });
    },
    setCollector(collect) {
      collector = collect;
    },
  };
}
