/**
 * Grouping rows by a property, as a board's columns, a chart's x axis or its
 * stacks do: by select option (in option order), by day/week/month/year of a
 * date, by exact text or its first letter, by number or checkbox. Rows without
 * a value fall into one "No <property>" group, always last.
 */
import { DAY_MS, parseIsoDate } from '../dates.js';
import { findProperty } from '../schema.js';
import { plainText } from '../rich-text.js';
import type { PageRecord, PropertySchema, Store } from '../store.js';
import { isRecord } from '../validation.js';
import { readValue } from '../values.js';
import { formatNumber } from './format.js';

export interface Group {
  key: string;
  label: string;
  /** What groups are ordered by: option index, time, text or number. */
  rank: number | string;
  /** The select option's colour, for chips and chart series. */
  color?: string;
  empty?: boolean;
}

export interface Grouping {
  property: PropertySchema;
  /** day, week, month, year, exact, alphabet_prefix… as the view configures it. */
  by: string;
  sort: 'manual' | 'ascending' | 'descending';
}

/** A view's `group_by` / `x_axis` / `stack_by`, resolved against the schema; undefined when absent or stale. */
export function groupingOf(schema: readonly PropertySchema[], raw: unknown): Grouping | undefined {
  if (!isRecord(raw) || typeof raw.property_id !== 'string') return undefined;
  const property = findProperty(schema, raw.property_id);
  if (!property) return undefined;
  const sort = isRecord(raw.sort) && (raw.sort.type === 'ascending' || raw.sort.type === 'descending') ? raw.sort.type : 'manual';
  return { property, by: typeof raw.group_by === 'string' ? raw.group_by : 'exact', sort };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The group of a time: a day ("2026-11-03", shown "Nov 3"), the Monday of its week, its month or year. */
export function timeGroup(ms: number, by: string): Group {
  const d = new Date(ms);
  const iso = d.toISOString().slice(0, 10);
  const shortDay = (t: Date) => `${MONTHS[t.getUTCMonth()]} ${t.getUTCDate()}`;
  if (by === 'week') {
    const monday = Math.floor(ms / DAY_MS) * DAY_MS - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    const m = new Date(monday);
    return { key: m.toISOString().slice(0, 10), label: `Week of ${shortDay(m)}`, rank: monday };
  }
  if (by === 'month') return { key: iso.slice(0, 7), label: `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`, rank: Date.UTC(d.getUTCFullYear(), d.getUTCMonth()) };
  if (by === 'year') return { key: iso.slice(0, 4), label: iso.slice(0, 4), rank: Date.UTC(d.getUTCFullYear(), 0) };
  return { key: iso, label: shortDay(d), rank: Math.floor(ms / DAY_MS) * DAY_MS };
}

function textGroup(text: string, by: string): Group[] {
  if (text === '') return [];
  const key = by === 'alphabet_prefix' ? text.slice(0, 1).toUpperCase() : text;
  return [{ key, label: key, rank: key }];
}

function dateMs(value: unknown): number | undefined {
  if (typeof value === 'string') return parseIsoDate(value)?.ms ?? (Number.isNaN(Date.parse(value)) ? undefined : Date.parse(value));
  return isRecord(value) && typeof value.start === 'string' ? dateMs(value.start) : undefined;
}

function formulaGroup(value: unknown): Group[] {
  if (!isRecord(value)) return [];
  const inner = value[String(value.type)];
  if (inner === null || inner === undefined || inner === '') return [];
  const ms = dateMs(inner);
  if (ms !== undefined) return [timeGroup(ms, 'day')];
  const label = typeof inner === 'number' ? formatNumber(inner, undefined) : String(inner);
  return [{ key: String(inner), label, rank: typeof inner === 'number' ? inner : label }];
}

/** The groups a row belongs to: none when its value is empty, several for a multi-select. */
export function groupsOf(store: Store, schema: readonly PropertySchema[], grouping: Grouping, page: PageRecord): Group[] {
  const { property, by } = grouping;
  const value = readValue(store, schema, page, property);
  const options = property.config.options ?? [];
  switch (property.type) {
    case 'select':
    case 'multi_select':
      return (Array.isArray(value) ? value : [value]).filter(isRecord).map((o) => ({
        key: String(o.name),
        label: String(o.name),
        rank: options.findIndex((opt) => opt.id === o.id),
        color: String(o.color),
      }));
    case 'date':
    case 'created_time':
    case 'last_edited_time': {
      const ms = dateMs(value);
      return ms === undefined ? [] : [timeGroup(ms, by)];
    }
    case 'number':
      return typeof value === 'number' ? [{ key: String(value), label: formatNumber(value, property.config.format), rank: value }] : [];
    case 'checkbox':
      return [value === true ? { key: 'checked', label: 'Checked', rank: 0 } : { key: 'unchecked', label: 'Unchecked', rank: 1 }];
    case 'formula':
      return formulaGroup(value);
    case 'title':
    case 'rich_text':
      return textGroup(plainText(value as { plain_text?: unknown }[]), by);
    default:
      return textGroup(typeof value === 'string' ? value : '', by);
  }
}

export function emptyGroup(grouping: Grouping): Group {
  return { key: '', label: `No ${grouping.property.name}`, rank: '', empty: true };
}

/** Every option of a select, in option order, so a board shows empty columns too. */
export function optionGroups(grouping: Grouping): Group[] {
  return (grouping.property.config.options ?? []).map((o, i) => ({ key: o.name, label: o.name, rank: i, color: o.color }));
}

function compareRanks(a: Group, b: Group): number {
  if (typeof a.rank === 'number' && typeof b.rank === 'number') return a.rank - b.rank;
  return String(a.rank).localeCompare(String(b.rank), 'en', { numeric: true, sensitivity: 'base' });
}

/** Groups in the view's order; `manual` keeps option order for selects and ascending order otherwise. */
export function sortGroups(groups: readonly Group[], grouping: Grouping): Group[] {
  const filled = groups.filter((g) => !g.empty).sort(compareRanks);
  if (grouping.sort === 'descending') filled.reverse();
  return [...filled, ...groups.filter((g) => g.empty)];
}
