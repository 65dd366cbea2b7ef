/** Thin processors: parse the payload → call the engine → say what happened. */
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import { SyncBusyError, type PassSummary, type SyncEngine } from '../sync/engine.js';
import { TokensyncError } from '../errors.js';
import { deadLetterJob, DEAD_LETTER_JOB_OPTIONS, syncJob, type SyncJob } from './queues.js';
import type { WorkerMetrics } from './metrics.js';
import type { PassRecords } from './wake.js';

/** A pass left rows behind for a transient reason: BullMQ retries it with backoff. */
export class PassIncompleteError extends TokensyncError {
  readonly code = 'sync_pass_incomplete';
}

export interface SyncProcessorDeps {
  engine: SyncEngine;
  deadLetters: Queue;
  metrics: WorkerMetrics;
  logger: Logger;
  /** Aborted when the worker stops: a pass cut short by it is not a failure. */
  signal?: AbortSignal;
  /** Queues a woken pass of a dataset (see wake.ts). */
  wake?: (dataset: SyncJob['dataset']) => Promise<void>;
  /** When complete passes started, so a woken job already covered ends at once. */
  passes?: PassRecords;
}

export function syncProcessor(deps: SyncProcessorDeps) {
  return async (job: Job): Promise<Omit<PassSummary, 'failed'> & { failed: number } | { skipped: 'busy' | 'stopping' | 'covered' }> => {
    const { dataset, backfill } = syncJob.parse(job.data);
    // A woken job is due at its window's end + settle; a complete pass that started since has read its changes.
    if (job.name === 'wake' && deps.passes && (await deps.passes.lastCompleteStart(dataset)) >= job.timestamp + (job.opts.delay ?? 0)) {
      return { skipped: 'covered' };
    }
    const startedAt = Date.now();
    let summary: PassSummary;
    try {
      summary = await deps.engine.runPass(dataset, { backfill: backfill ?? false });
    } catch (error) {
      if (error instanceof SyncBusyError) {
        // Another run holds the dataset. A scheduled run is then not needed; a woken one may be (the
        // running pass can have read past the horizon before this change was visible): look again soon.
        if (job.name === 'wake') await deps.wake?.(dataset);
        return { skipped: 'busy' };
      }
      if (error instanceof TokensyncError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
    deps.metrics.recordPass(summary, startedAt);
    if (summary.complete) await deps.passes?.recordComplete(dataset, startedAt);
    const permanent = summary.failed.filter((f) => !f.retryable);
    if (permanent.length > 0) {
      await deps.deadLetters.addBulk(
        permanent.map((f) => ({
          name: 'row',
          data: { dataset, key: f.key, reason: f.reason },
          // One dead letter per row and reason, however often the row is read.
          opts: { ...DEAD_LETTER_JOB_OPTIONS, jobId: `${dataset}.${f.key ?? 'no-key'}.${hashOf(f.reason)}` },
        })),
      );
    }
    // Stopped for shutdown: the checkpoint is before what was not sent; the next pass goes on from there.
    if (!summary.complete && deps.signal?.aborted && summary.failed.every((f) => !f.retryable)) return { skipped: 'stopping' };
    if (!summary.complete) {
      const transient = summary.failed.filter((f) => f.retryable);
      throw new PassIncompleteError(
        `${dataset}: ${transient.length} row(s) failed transiently, e.g. ${transient[0]?.key ?? '?'}: ${transient[0]?.reason ?? '?'}`,
        { retryable: true, context: { dataset } },
      );
    }
    return { ...summary, failed: summary.failed.length };
  };
}

/** Dead letters fail at once, carrying the row's key and reason into the failed set. */
export function deadLetterProcessor() {
  return async (job: Job): Promise<never> => {
    const { dataset, key, reason } = deadLetterJob.parse(job.data);
    throw new UnrecoverableError(`${dataset} ${key ?? '(no key)'}: ${reason}`);
  };
}

function hashOf(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
