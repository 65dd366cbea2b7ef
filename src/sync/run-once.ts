/**
 * One foreground pass over datasets, as `npm run sync -- --once` runs it. A pass
 * stopped by a transient failure is run again (after a pause that doubles) up to
 * `maxAttempts` times: this is the CLI's retry layer, the one BullMQ attempts
 * play in the worker.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Dataset } from '../datasets.js';
import { TokensyncError } from '../errors.js';
import { emptySummary, PASS_COUNTS, type PassSummary, type RowFailure, type SyncEngine } from './engine.js';

export const DEFAULT_ONCE_ATTEMPTS = 5;
/** Pause before the second attempt; it doubles before each one after. */
export const DEFAULT_ONCE_RETRY_DELAY_MS = 1000;

export interface SyncOnceOptions {
  engine: SyncEngine;
  datasets: readonly Dataset[];
  backfill?: boolean;
  maxAttempts?: number;
  retryDelayMs?: number;
  onAttempt?: (summary: PassSummary, attempt: number) => void;
  /** Aborted: no further attempt or dataset is started (the engine, given the same signal, stops its pass). */
  signal?: AbortSignal;
}

/** Counts summed over the attempts; `failed` holds the rows still failing after the last one. */
export type DatasetTotals = PassSummary;

/** A pass that a transient failure stopped early: the one outcome that is tried again. */
class PassIncomplete extends Error {
  constructor(readonly pass: PassSummary) {
    super(`${pass.dataset}: pass stopped by a transient failure`);
  }
}

/** The whole dataset failed in a way no attempt can mend (no data source, bad configuration). */
class DatasetFailed extends Error {
  constructor(readonly failure: RowFailure) {
    super(failure.reason);
  }
}

/** Runs one pass; a dataset that fails as a whole (Notion or Postgres down) becomes an incomplete pass. */
async function runAttempt(options: SyncOnceOptions, dataset: Dataset, attempt: number): Promise<PassSummary> {
  try {
    return await options.engine.runPass(dataset, { backfill: options.backfill === true && attempt === 1 });
  } catch (error) {
    const retryable = error instanceof TokensyncError ? error.retryable : true;
    const failure: RowFailure = { key: null, reason: error instanceof Error ? error.message : String(error), retryable };
    if (!retryable) throw new AbortError(new DatasetFailed(failure));
    return { ...emptySummary(dataset), complete: false, failed: [failure] };
  }
}

async function syncDataset(options: SyncOnceOptions, dataset: Dataset): Promise<DatasetTotals> {
  const sum: DatasetTotals = { ...emptySummary(dataset), complete: false };
  try {
    await pRetry(
      async (attempt) => {
        const pass = await runAttempt(options, dataset, attempt);
        options.onAttempt?.(pass, attempt);
        for (const count of PASS_COUNTS) sum[count] += pass[count];
        // Rows that failed for good are reported; transient ones only if the last attempt still failed them.
        sum.failed.push(...pass.failed.filter((f) => !f.retryable));
        sum.complete = pass.complete;
        // A pass stopped by the abort is not run again: what it did is counted, what it left waits for the next.
        if (!pass.complete && !options.signal?.aborted) throw new PassIncomplete(pass);
      },
      {
        retries: (options.maxAttempts ?? DEFAULT_ONCE_ATTEMPTS) - 1,
        minTimeout: options.retryDelayMs ?? DEFAULT_ONCE_RETRY_DELAY_MS,
        factor: 2,
        // Anything else thrown in an attempt (a failing onAttempt) is a bug, not a reason to run the pass again.
        shouldRetry: ({ error }) => error instanceof PassIncomplete,
        // Ends the pause between attempts at once.
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (error) {
    if (options.signal?.aborted) return sum;
    if (error instanceof PassIncomplete) sum.failed.push(...error.pass.failed.filter((f) => f.retryable));
    else if (error instanceof DatasetFailed) sum.failed.push(error.failure);
    else throw error;
  }
  return sum;
}

export async function syncOnce(options: SyncOnceOptions): Promise<DatasetTotals[]> {
  const totals: DatasetTotals[] = [];
  // One dataset after the other, as before: their passes share one rate limit.
  for (const dataset of options.datasets) {
    if (options.signal?.aborted) break;
    totals.push(await syncDataset(options, dataset));
  }
  return totals;
}
