/**
 * A dataset as the sync engine sees it: which rows are valid, and what each
 * Notion property of its catalogue entry shows for a row. One file per dataset.
 */
import { z } from 'zod';
import type { Dataset } from '../../datasets.js';
import type { DatabaseSpec } from '../../notion/catalogue/index.js';

export interface DatasetDefinition<Row extends SourceRow = SourceRow> {
  dataset: Dataset;
  spec: DatabaseSpec;
  /** Rows that fail it are not written; they are reported with the reason. */
  schema: z.ZodType<Row>;
  /** Values by catalogue key: columns as they are plus derived values. */
  values(row: Row): Record<string, unknown>;
  /** Raw logs leave Notion after the configured window; other datasets are kept. */
  windowed: boolean;
}

export interface SourceRow {
  id: string;
  created_at: string;
  updated_at: string;
}

/** Postgres numeric arrives as a JSON number, or as the string "NaN". */
export const numeric = z.union([z.number(), z.string().transform(Number)]);
export const nonNegative = numeric.refine((n) => Number.isNaN(n) || n >= 0, 'must not be negative');
export const text = z.string();

export const baseRow = {
  id: z.uuid({ message: 'id (the key) must be a uuid' }),
  created_at: z.string(),
  updated_at: z.string(),
};

/** Defines a dataset; `values` defaults to the row itself. */
export function defineDataset<S extends z.ZodType<SourceRow>>(definition: {
  spec: DatabaseSpec;
  schema: S;
  values?: (row: z.output<S>) => Record<string, unknown>;
  windowed?: boolean;
}): DatasetDefinition {
  const values = definition.values ?? ((row: z.output<S>) => ({ ...row }));
  return {
    dataset: definition.spec.dataset,
    spec: definition.spec,
    schema: definition.schema as unknown as z.ZodType<SourceRow>,
    values: values as (row: SourceRow) => Record<string, unknown>,
    windowed: definition.windowed ?? false,
  };
}
