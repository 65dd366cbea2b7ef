/**
 * Queue names, job payloads and job options in one place. Producers and
 * workers of every process agree on them.
 */
import { z } from 'zod';
import { DATASETS, type Dataset } from '../datasets.js';
import type { ReportingTask } from '../jobs/task-names.js';
import { laneOf, type Lane } from '../notion/rate-limit/lanes.js';

/**
 * One job = one sync pass of one dataset, on the queue of the dataset's lane
 * (`sync-alerts`, `sync-rollups`, `sync-logs`), each with its own workers: a
 * pass of raw logs that runs for minutes never keeps an alert's pass waiting.
 */
export const syncQueueName = (lane: Lane) => `sync-${lane}`;
export const syncQueueOf = (dataset: Dataset) => syncQueueName(laneOf(dataset));
/** Where every sync job waited before lanes; its schedulers are removed at start. */
export const LEGACY_SYNC_QUEUE = 'sync';
/** One job = one row that cannot be synced; it fails at once, so the failed set lists them with reasons. */
export const DEAD_LETTER_QUEUE = 'dead-letters';

export const syncJob = z.object({ dataset: z.enum(DATASETS), backfill: z.boolean().optional() });
export type SyncJob = z.infer<typeof syncJob>;

export const deadLetterJob = z.object({ dataset: z.enum(DATASETS), key: z.string().nullable(), reason: z.string() });
export type DeadLetterJob = z.infer<typeof deadLetterJob>;

/**
 * Retention: enough to investigate, bounded in count and age. Completed jobs are
 * mostly wake-ups (several a second under load), so a queue keeps its last hundred
 * for an hour: Redis holds a few hundred of them, whatever the load.
 */
export const KEEP_COMPLETED = { count: 100, age: 3600 } as const;
export const KEEP_FAILED = { count: 10_000, age: 7 * 24 * 3600 } as const;

/** A pass stopped by a transient failure is retried with backoff; its scheduler starts a new one anyway. */
export const SYNC_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: KEEP_COMPLETED,
  removeOnFail: KEEP_FAILED,
} as const;

export const DEAD_LETTER_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: KEEP_FAILED,
} as const;

export const schedulerId = (dataset: string) => `sync-${dataset}`;

/**
 * Each task runs on a queue of its own kind, one job at a time per queue:
 * budget evaluation never waits behind a view refresh or the report page, nor
 * behind an edits poll; the rollups and the report share one queue.
 */
export const BUDGETS_QUEUE = 'budgets';
export const EDITS_QUEUE = 'notion-edits';
export const REPORTING_QUEUE = 'reporting';
export const TASK_QUEUES = [BUDGETS_QUEUE, EDITS_QUEUE, REPORTING_QUEUE] as const;
export type TaskQueueName = (typeof TASK_QUEUES)[number];
export const QUEUE_OF_TASK: Readonly<Record<ReportingTask, TaskQueueName>> = {
  budgets: BUDGETS_QUEUE,
  'notion-edits': EDITS_QUEUE,
  rollups: REPORTING_QUEUE,
  report: REPORTING_QUEUE,
  // Daily and Postgres only; it shares the rollups' queue, never the budgets'.
  retention: REPORTING_QUEUE,
};
/** Each run recomputes from scratch, so a failed one is simply retried a few times. */
export const REPORTING_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: KEEP_COMPLETED,
  removeOnFail: KEEP_FAILED,
} as const;

export const reportingSchedulerId = (task: ReportingTask) => `reporting-${task}`;
