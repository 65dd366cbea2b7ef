/** One source row → validated and mapped, or rejected with the reason. */
import type { DatasetDefinition } from './datasets/index.js';
import { mapProperties, type ChooseOption, type PropertyValue } from './mapping.js';

export interface PreparedRow {
  ok: true;
  key: string;
  /** When the row is dated (its dataset's ageColumn): the window and page budgets go by it. */
  createdAt: string;
  properties: Record<string, PropertyValue>;
  warnings: string[];
}

export interface RejectedRow {
  ok: false;
  /** Null when the row has no usable key. */
  key: string | null;
  reason: string;
}

export function prepareRow(
  definition: DatasetDefinition,
  row: Record<string, unknown>,
  ids: ReadonlyMap<string, string>,
  choose?: ChooseOption,
): PreparedRow | RejectedRow {
  const parsed = definition.schema.safeParse(row);
  if (!parsed.success) {
    const key = typeof row.id === 'string' && row.id !== '' ? row.id : null;
    const reason = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, key, reason: `invalid row: ${reason}` };
  }
  const { properties, warnings } = mapProperties(definition.spec, definition.values(parsed.data), ids, choose);
  const age = (parsed.data as unknown as Record<string, unknown>)[definition.ageColumn];
  return { ok: true, key: parsed.data.id, createdAt: asTimestamp(typeof age === 'string' ? age : parsed.data.created_at), properties, warnings };
}

/** The last year a Postgres timestamptz holds; a date column goes on to 5874897. */
const LAST_TIMESTAMP_YEAR = 294276;

/**
 * A row's age as the sync state stores it (timestamptz). A date past the last
 * timestamp is later than every one: 'infinity' keeps it in order, where the
 * date itself would fail the cast and with it the whole pass.
 */
function asTimestamp(value: string): string {
  const year = /^(\d{4,})-/.exec(value)?.[1];
  return year !== undefined && !/ BC$/.test(value) && Number(year) > LAST_TIMESTAMP_YEAR ? 'infinity' : value;
}
