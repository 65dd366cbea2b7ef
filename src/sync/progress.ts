/**
 * How far the sync has come: per dataset, rows in scope and rows whose page is
 * up to date (for Token Usage Logs: rows a pass has covered, mirrored or left out).
 */
import { DATASETS, type Dataset } from '../datasets.js';
import type { SupabaseSource, SyncProgress, SyncProgressRequest } from '../supabase/source.js';
import { DATASET_DEFINITIONS } from './datasets/index.js';

const DAY_MS = 86_400_000;

/** What the database compares for `dataset`: its content columns and salt, and for the raw logs the window's start. */
export function progressRequestOf(dataset: Dataset, now: number, tokenLogWindowDays: number): SyncProgressRequest {
  const definition = DATASET_DEFINITIONS[dataset];
  return {
    dataset,
    columns: definition.columns,
    salt: definition.salt,
    createdAfter: definition.windowed ? new Date(now - tokenLogWindowDays * DAY_MS) : null,
  };
}

export async function syncProgress(
  source: SupabaseSource,
  options: { tokenLogWindowDays: number; datasets?: readonly Dataset[]; now?: Date },
): Promise<SyncProgress[]> {
  const now = (options.now ?? new Date()).getTime();
  const progress = await source.syncProgress(
    (options.datasets ?? DATASETS).map((dataset) => progressRequestOf(dataset, now, options.tokenLogWindowDays)),
  );
  // Token Usage Logs is a window: a call is done once a pass covered it (mirrored, or left out and
  // counted), so what is left to write is what no pass has covered yet.
  const logs = progress.find((p) => p.dataset === 'token_usage_logs');
  if (logs) {
    const window = await source.logWindowStatus({ windowDays: options.tokenLogWindowDays, at: new Date(now) });
    logs.synced = Math.max(0, logs.rows - window.unmirrored);
  }
  return progress;
}
