/**
 * ISO 8601 dates as Notion takes them: a date ("2026-11-01") or a date and time
 * with an optional offset ("2026-11-01T09:30:00.000+02:00"). Date-only values
 * are compared by UTC day.
 */

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface ParsedDate {
  ms: number;
  dateOnly: boolean;
}

export function parseIsoDate(value: string): ParsedDate | undefined {
  if (DATE_ONLY.test(value)) {
    const ms = Date.parse(`${value}T00:00:00.000Z`);
    return Number.isNaN(ms) ? undefined : { ms, dateOnly: true };
  }
  if (!DATE_TIME.test(value)) return undefined;
  // A date-time without an offset is read as UTC.
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : { ms, dateOnly: false };
}

/**
 * A date as Notion echoes it: dates stay as they are; date-times get
 * milliseconds and an explicit offset ("2026-11-01T10:00:00Z" becomes
 * "2026-11-01T10:00:00.000+00:00").
 */
export function normalizeDateString(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m) return value;
  const [, day, hh, mm, ss = '00', frac = '', zone] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const offset = zone === undefined ? '' : zone === 'Z' ? '+00:00' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return `${day}T${hh}:${mm}:${ss}.${ms}${offset}`;
}

export const DAY_MS = 86_400_000;

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Relative dates a date filter may use instead of an ISO string. */
export function relativeDate(value: string, now: number): ParsedDate | undefined {
  const today = startOfUtcDay(now);
  const offsets: Record<string, number> = {
    today: 0,
    tomorrow: DAY_MS,
    yesterday: -DAY_MS,
    one_week_ago: -7 * DAY_MS,
    one_week_from_now: 7 * DAY_MS,
    one_month_ago: -30 * DAY_MS,
    one_month_from_now: 30 * DAY_MS,
  };
  const offset = offsets[value];
  return offset === undefined ? undefined : { ms: today + offset, dateOnly: true };
}
