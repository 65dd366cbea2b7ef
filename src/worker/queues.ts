/**
 * Queue names, job payloads and job options in one place. Producers and
 * workers of every process agree on them.
 */
import { z } from 'zod';
import { DATASETS } from '../datasets.js';

/** One job = one sync pass of one dataset. */
export const SYNC_QUEUE = 'sync';
/** One job = one row that cannot be synced; it fails at once, so the failed set lists them with reasons. */
export const DEAD_LETTER_QUEUE = 'dead-letters';

export const syncJob = z.object({ dataset: z.enum(DATASETS), backfill: z.boolean().optional() });
export type SyncJob = z.infer<typeof syncJob>;

export const deadLetterJob = z.object({ dataset: z.enum(DATASETS), key: z.string().nullable(), reason: z.string() });
export type DeadLetterJob = z.infer<typeof deadLetterJob>;

/** Retention: enough to investigate, bounded in count and age. */
export const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 } as const;
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

/** One job = one run of a reporting task: rollups, budget alerts, the report page, edits from Notion. */
export const REPORTING_QUEUE = 'reporting';
export const REPORTING_TASKS = ['rollups', 'budgets', 'report', 'notion-edits'] as const;
export type ReportingTask = (typeof REPORTING_TASKS)[number];

/** Each run recomputes from scratch, so a failed one is simply retried a few times. */
export const REPORTING_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: KEEP_COMPLETED,
  removeOnFail: KEEP_FAILED,
} as const;

export const reportingSchedulerId = (task: ReportingTask) => `reporting-${task}`;
