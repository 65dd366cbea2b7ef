/**
 * One foreground pass over datasets, as `npm run sync -- --once` runs it. A pass
 * stopped by a transient failure is run again (after a pause) up to
 * `maxAttempts` times: this is the CLI's retry layer, the one BullMQ attempts
 * play in the worker.
 */
import type { Dataset } from '../datasets.js';
import { TokensyncError } from '../errors.js';
import { emptySummary, PASS_COUNTS, type PassSummary, type SyncEngine } from './engine.js';

export const DEFAULT_ONCE_ATTEMPTS = 5;
export const DEFAULT_ONCE_RETRY_DELAY_MS = 1000;

export interface SyncOnceOptions {
  engine: SyncEngine;
  datasets: readonly Dataset[];
  backfill?: boolean;
  maxAttempts?: number;
  retryDelayMs?: number;
  onAttempt?: (summary: PassSummary, attempt: number) => void;
}

/** Counts summed over the attempts; `failed` holds the rows still failing after the last one. */
export type DatasetTotals = PassSummary;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function syncOnce(options: SyncOnceOptions): Promise<DatasetTotals[]> {
  const totals: DatasetTotals[] = [];
  for (const dataset of options.datasets) {
    const sum: DatasetTotals = { ...emptySummary(dataset), complete: false };
    const maxAttempts = options.maxAttempts ?? DEFAULT_ONCE_ATTEMPTS;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let pass: PassSummary;
      try {
        pass = await options.engine.runPass(dataset, { backfill: options.backfill === true && attempt === 1 });
      } catch (error) {
        // The whole dataset failed (no data source, Notion or Postgres down): report it, go on with the next.
        const retryable = error instanceof TokensyncError ? error.retryable : true;
        pass = { ...emptySummary(dataset), complete: false, failed: [{ key: null, reason: error instanceof Error ? error.message : String(error), retryable }] };
        if (!retryable) {
          sum.failed.push(...pass.failed);
          break;
        }
      }
      options.onAttempt?.(pass, attempt);
      for (const count of PASS_COUNTS) sum[count] += pass[count];
      // Rows that failed for good are reported; transient ones only if the last attempt still failed them.
      sum.failed.push(...pass.failed.filter((f) => !f.retryable));
      sum.complete = pass.complete;
      if (pass.complete) break;
      if (attempt === maxAttempts) sum.failed.push(...pass.failed.filter((f) => f.retryable));
      else await sleep((options.retryDelayMs ?? DEFAULT_ONCE_RETRY_DELAY_MS) * attempt);
    }
    totals.push(sum);
  }
  return totals;
}
