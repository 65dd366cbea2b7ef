/**
 * A dataset as the sync engine sees it: which rows are valid, and what each
 * Notion property of its catalogue entry shows for a row. One file per dataset.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Dataset } from '../../datasets.js';
import type { DatabaseSpec } from '../../notion/catalogue/index.js';
import { MAPPING_VERSION } from '../mapping.js';

export interface DatasetDefinition<Row extends SourceRow = SourceRow> {
  dataset: Dataset;
  spec: DatabaseSpec;
  /** Rows that fail it are not written; they are reported with the reason. */
  schema: z.ZodType<Row>;
  /** Values by catalogue key: columns as they are plus derived values. */
  values(row: Row): Record<string, unknown>;
  /** Raw logs leave Notion after the configured window; other datasets are kept. */
  windowed: boolean;
  /** The columns a page shows (directly or derived): what the content hash covers. */
  columns: readonly string[];
  /** Mixed into the content hash: changes when the mapping onto Notion changes, so every page is rewritten once. */
  salt: string;
  /**
   * The column that dates a row (default created_at): the raw-log window and the
   * order in which a page budget gives the oldest rows' pages to newer ones.
   * Rollups are dated by the day they describe, not by when they were computed.
   */
  ageColumn: string;
  /**
   * Rows describe whole days (the rollups): a page budget keeps or gives up a
   * day's pages together, so no chart in Notion sums part of a day.
   */
  byDay: boolean;
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
  // Any uuid Postgres stores: z.uuid() also demands RFC 9562 version and variant
  // bits, which a key such as 12345678-1234-1234-1234-123456789abc (legal in a uuid
  // column) lacks, and such rows were refused for good.
  id: z.guid({ message: 'id (the key) must be a uuid' }),
  created_at: z.string(),
  updated_at: z.string(),
};

/**
 * Every column the schema reads. updated_at only counts when a property shows
 * it: otherwise touching a row without changing it would rewrite its page.
 */
function contentColumns(schema: z.ZodObject, spec: DatabaseSpec): string[] {
  const shown = new Set(spec.properties.map((p) => p.key));
  return Object.keys(schema.shape).filter((column) => column !== 'updated_at' || shown.has(column));
}

/**
 * What the mapping depends on besides the row: its version and the catalogue's
 * keys and types. An open select's "(exact)" property is left out: it is empty
 * for every value its select shows as it is, so adding it changes no page that
 * was right, and must not rewrite them all.
 */
function mappingSalt(spec: DatabaseSpec): string {
  const shape = spec.properties.filter((p) => p.exactOf === undefined).map((p) => [p.key, p.type, 'format' in p ? p.format : null]);
  return createHash('sha256').update(JSON.stringify([MAPPING_VERSION, shape])).digest('base64url').slice(0, 16);
}

/** Defines a dataset; `values` defaults to the row itself. */
export function defineDataset<S extends z.ZodObject>(definition: {
  spec: DatabaseSpec;
  schema: S;
  values?: (row: z.output<S>) => Record<string, unknown>;
  windowed?: boolean;
  ageColumn?: keyof z.output<S> & string;
  byDay?: boolean;
}): DatasetDefinition {
  const values = definition.values ?? ((row: z.output<S>) => ({ ...row }));
  return {
    dataset: definition.spec.dataset,
    spec: definition.spec,
    schema: definition.schema as unknown as z.ZodType<SourceRow>,
    values: values as (row: SourceRow) => Record<string, unknown>,
    windowed: definition.windowed ?? false,
    columns: contentColumns(definition.schema, definition.spec),
    salt: mappingSalt(definition.spec),
    ageColumn: definition.ageColumn ?? 'created_at',
    byDay: definition.byDay ?? false,
  };
}
