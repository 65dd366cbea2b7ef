/** How far the sync has come: per dataset, rows in scope and rows whose page is up to date. */
import { DATASETS, type Dataset } from '../datasets.js';
import type { SupabaseSource, SyncProgress } from '../supabase/source.js';
import { DATASET_DEFINITIONS } from './datasets/index.js';

const DAY_MS = 86_400_000;

export async function syncProgress(
  source: SupabaseSource,
  options: { tokenLogWindowDays: number; datasets?: readonly Dataset[]; now?: Date },
): Promise<SyncProgress[]> {
  const now = (options.now ?? new Date()).getTime();
  return source.syncProgress(
    (options.datasets ?? DATASETS).map((dataset) => {
      const definition = DATASET_DEFINITIONS[dataset];
      return {
        dataset,
        columns: definition.columns,
        salt: definition.salt,
        createdAfter: definition.windowed ? new Date(now - options.tokenLogWindowDays * DAY_MS) : null,
      };
    }),
  );
}
