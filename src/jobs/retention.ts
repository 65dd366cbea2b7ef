/**
 * The daily retention job: deletes raw usage logs older than LOG_RETENTION_DAYS
 * in bounded batches (each its own short transaction), so Postgres holds a
 * bounded window of raw rows. Rollups, budget spend, alerts and report figures
 * are unchanged by it (see supabase/migrations/*_log_retention.sql).
 */
import type { PurgeResult, SupabaseSource } from '../supabase/source.js';

/** Batches per run at most: 200 × 5,000 rows is a million, a day at 11.6 calls/s. */
export const MAX_PURGE_BATCHES_PER_RUN = 200;

export interface RetentionJobOptions {
  /** LOG_RETENTION_DAYS; 0 keeps raw logs for ever (the job does nothing). */
  retentionDays: number;
  timezone: string;
  /** Rows per batch (default: the source's, 5000). */
  batchSize?: number;
  /** At most this many batches per run (default MAX_PURGE_BATCHES_PER_RUN); the rest waits for the next run. */
  maxBatches?: number;
  now?: Date;
}

export interface RetentionJobResult {
  /** False when retention is off (LOG_RETENTION_DAYS=0). */
  enabled: boolean;
  deleted: number;
  /** Purged rows whose Notion page still lived: the sync trashes those pages. */
  tombstones: number;
  batches: number;
  /** Rows created before this instant are purged (null when retention is off). */
  cutoff: string | null;
  /** Rows older than the cutoff remain: the batch limit stopped this run. */
  pending: boolean;
}

export async function runRetentionJob(source: SupabaseSource, options: RetentionJobOptions): Promise<RetentionJobResult> {
  const result: RetentionJobResult = { enabled: options.retentionDays > 0, deleted: 0, tombstones: 0, batches: 0, cutoff: null, pending: false };
  if (!result.enabled) return result;
  const maxBatches = options.maxBatches ?? MAX_PURGE_BATCHES_PER_RUN;
  // One instant for every batch, so a run straddling midnight keeps one cutoff.
  const at = options.now ?? new Date();
  let batch: PurgeResult;
  do {
    batch = await source.purgeLogs({
      retentionDays: options.retentionDays,
      timezone: options.timezone,
      at,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    });
    result.batches += 1;
    result.deleted += batch.deleted;
    result.tombstones += batch.tombstones;
    result.cutoff = batch.cutoff;
  } while (batch.hasMore && result.batches < maxBatches);
  result.pending = batch.hasMore;
  return result;
}
