/**
 * Data source query filters (https://developers.notion.com/reference/filter-data-source-entries):
 * property filters by type, timestamp filters, and `and` / `or` compounds of at
 * most 100 clauses, nested at most two levels deep. A filter is checked when it
 * is compiled; a bad one is a `validation_error`, like Notion's.
 */
import { DAY_MS, parseIsoDate, relativeDate, startOfUtcDay, type ParsedDate } from './dates.js';
import { notionErrors } from './errors.js';
import { plainText, type RichTextItem } from './rich-text.js';
import { findProperty } from './schema.js';
import type { PageRecord, PropertySchema, Store } from './store.js';
import { readValue } from './values.js';
import { LIMITS, expectArray, expectObject, fail, isRecord, maxItems, type JsonObject } from './validation.js';

export type Predicate = (page: PageRecord) => boolean;

export interface FilterContext {
  store: Store;
  schema: readonly PropertySchema[];
  now: number;
  botId: string;
}

/** Compound filters may nest this many levels: a compound inside a compound, holding plain filters. */
const MAX_COMPOUND_DEPTH = 2;

const TEXT_TYPES = ['title', 'rich_text', 'url', 'email', 'phone_number'];

function operator(path: string, condition: JsonObject, allowed: readonly string[]): [string, unknown] {
  const present = Object.keys(condition).filter((k) => condition[k] !== undefined);
  if (present.length !== 1 || !allowed.includes(present[0]!)) {
    throw notionErrors.bodyValidation(path, `should have exactly one of ${allowed.map((a) => `\`${a}\``).join(', ')}, instead was ${JSON.stringify(condition)}`);
  }
  const op = present[0]!;
  const operand = condition[op];
  if ((op === 'is_empty' || op === 'is_not_empty') && operand !== true) fail(`${path}.${op}`, 'should be `true`', operand);
  return [op, operand];
}

function textCondition(path: string, raw: unknown): (value: string) => boolean {
  const [op, operand] = operator(path, expectObject(path, raw), ['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with', 'is_empty', 'is_not_empty']);
  if (op === 'is_empty') return (v) => v === '';
  if (op === 'is_not_empty') return (v) => v !== '';
  if (typeof operand !== 'string') fail(`${path}.${op}`, 'should be a string', operand);
  const needle = operand.toLowerCase();
  switch (op) {
    case 'equals':
      return (v) => v === operand;
    case 'does_not_equal':
      return (v) => v !== operand;
    case 'contains':
      return (v) => v.toLowerCase().includes(needle);
    case 'does_not_contain':
      return (v) => !v.toLowerCase().includes(needle);
    case 'starts_with':
      return (v) => v.toLowerCase().startsWith(needle);
    default:
      return (v) => v.toLowerCase().endsWith(needle);
  }
}

function numberCondition(path: string, raw: unknown): (value: number | null) => boolean {
  const [op, operand] = operator(path, expectObject(path, raw), ['equals', 'does_not_equal', 'greater_than', 'less_than', 'greater_than_or_equal_to', 'less_than_or_equal_to', 'is_empty', 'is_not_empty']);
  if (op === 'is_empty') return (v) => v === null;
  if (op === 'is_not_empty') return (v) => v !== null;
  if (typeof operand !== 'number' || !Number.isFinite(operand)) fail(`${path}.${op}`, 'should be a number', operand);
  const compare: Record<string, (v: number) => boolean> = {
    equals: (v) => v === operand,
    greater_than: (v) => v > operand,
    less_than: (v) => v < operand,
    greater_than_or_equal_to: (v) => v >= operand,
    less_than_or_equal_to: (v) => v <= operand,
  };
  if (op === 'does_not_equal') return (v) => v !== operand;
  const test = compare[op]!;
  return (v) => v !== null && test(v);
}

function checkboxCondition(path: string, raw: unknown): (value: boolean) => boolean {
  const [op, operand] = operator(path, expectObject(path, raw), ['equals', 'does_not_equal']);
  if (typeof operand !== 'boolean') fail(`${path}.${op}`, 'should be a boolean', operand);
  return op === 'equals' ? (v) => v === operand : (v) => v !== operand;
}

function dateOperand(path: string, operand: unknown, now: number): ParsedDate {
  const parsed = typeof operand === 'string' ? parseIsoDate(operand) ?? relativeDate(operand, now) : undefined;
  if (!parsed) fail(path, 'should be a valid ISO 8601 date string', operand);
  return parsed;
}

function dateCondition(path: string, raw: unknown, now: number): (value: ParsedDate | null) => boolean {
  const ranges = ['past_week', 'past_month', 'past_year', 'next_week', 'next_month', 'next_year', 'this_week'];
  const [op, operand] = operator(path, expectObject(path, raw), ['equals', 'before', 'after', 'on_or_before', 'on_or_after', 'is_empty', 'is_not_empty', ...ranges]);
  if (op === 'is_empty') return (v) => v === null;
  if (op === 'is_not_empty') return (v) => v !== null;
  if (ranges.includes(op)) {
    if (!isRecord(operand) || Object.keys(operand).length > 0) fail(`${path}.${op}`, 'should be an empty object', operand);
    const span = op.endsWith('week') ? 7 * DAY_MS : op.endsWith('month') ? 30 * DAY_MS : 365 * DAY_MS;
    const monday = startOfUtcDay(now) - ((new Date(now).getUTCDay() + 6) % 7) * DAY_MS;
    const [from, to] = op === 'this_week' ? [monday, monday + 7 * DAY_MS - 1] : op.startsWith('past') ? [now - span, now] : [now, now + span];
    return (v) => v !== null && v.ms >= from && v.ms <= to;
  }
  const target = dateOperand(`${path}.${op}`, operand, now);
  return (v) => {
    if (v === null) return false;
    const byDay = target.dateOnly || v.dateOnly;
    const a = byDay ? startOfUtcDay(v.ms) : v.ms;
    const b = byDay ? startOfUtcDay(target.ms) : target.ms;
    switch (op) {
      case 'equals':
        return a === b;
      case 'before':
        return a < b;
      case 'after':
        return a > b;
      case 'on_or_before':
        return a <= b;
      default:
        return a >= b;
    }
  };
}

function optionCondition(path: string, raw: unknown, multi: boolean): (names: string[]) => boolean {
  const ops = multi ? ['contains', 'does_not_contain', 'is_empty', 'is_not_empty'] : ['equals', 'does_not_equal', 'is_empty', 'is_not_empty'];
  const [op, operand] = operator(path, expectObject(path, raw), ops);
  if (op === 'is_empty') return (v) => v.length === 0;
  if (op === 'is_not_empty') return (v) => v.length > 0;
  const wanted = Array.isArray(operand) ? operand : [operand];
  if (wanted.length === 0 || wanted.some((w) => typeof w !== 'string')) fail(`${path}.${op}`, 'should be a string or an array of strings', operand);
  const positive = op === 'equals' || op === 'contains';
  return (v) => (positive ? wanted.some((w) => v.includes(w as string)) : !wanted.some((w) => v.includes(w as string)));
}

function peopleCondition(path: string, raw: unknown, botId: string): (ids: string[]) => boolean {
  const [op, operand] = operator(path, expectObject(path, raw), ['contains', 'does_not_contain', 'is_empty', 'is_not_empty']);
  if (op === 'is_empty') return (v) => v.length === 0;
  if (op === 'is_not_empty') return (v) => v.length > 0;
  if (typeof operand !== 'string') fail(`${path}.${op}`, 'should be a user id or `me`', operand);
  const id = operand === 'me' ? botId : operand;
  return op === 'contains' ? (v) => v.includes(id) : (v) => !v.includes(id);
}

function asDate(value: unknown): ParsedDate | null {
  if (typeof value === 'string') return { ms: Date.parse(value), dateOnly: false };
  return isRecord(value) && typeof value.start === 'string' ? parseIsoDate(value.start) ?? null : null;
}

function propertyFilter(path: string, filter: JsonObject, ctx: FilterContext): Predicate {
  const key = filter.property;
  if (typeof key !== 'string') fail(`${path}.property`, 'should be a string', key);
  const property = findProperty(ctx.schema, key);
  if (!property) throw notionErrors.validation(`Could not find property with name or id: ${key}`);
  const kinds = Object.keys(filter).filter((k) => k !== 'property' && k !== 'type' && filter[k] !== undefined);
  const kind = kinds[0];
  const accepts = property.type === 'title' ? ['title', 'rich_text'] : [property.type];
  if (kinds.length !== 1 || kind === undefined || !accepts.includes(kind)) {
    throw notionErrors.validation(`database property ${property.type} does not match filter ${kinds.join(', ') || 'undefined'}`);
  }
  const condPath = `${path}.${kind}`;
  const value = (page: PageRecord) => readValue(ctx.store, ctx.schema, page, property);
  if (TEXT_TYPES.includes(property.type)) {
    const test = textCondition(condPath, filter[kind]);
    return (page) => {
      const v = value(page);
      return test(Array.isArray(v) ? plainText(v as RichTextItem[]) : typeof v === 'string' ? v : '');
    };
  }
  switch (property.type) {
    case 'number': {
      const test = numberCondition(condPath, filter[kind]);
      return (page) => test(value(page) as number | null);
    }
    case 'checkbox': {
      const test = checkboxCondition(condPath, filter[kind]);
      return (page) => test(value(page) as boolean);
    }
    case 'select':
    case 'multi_select': {
      const test = optionCondition(condPath, filter[kind], property.type === 'multi_select');
      return (page) => {
        const v = value(page);
        return test((Array.isArray(v) ? v : v ? [v] : []).map((o) => String((o as JsonObject).name)));
      };
    }
    case 'date':
    case 'created_time':
    case 'last_edited_time': {
      const test = dateCondition(condPath, filter[kind], ctx.now);
      return (page) => test(asDate(value(page)));
    }
    case 'created_by':
    case 'last_edited_by': {
      const test = peopleCondition(condPath, filter[kind], ctx.botId);
      return (page) => test([String((value(page) as JsonObject).id)]);
    }
    case 'formula':
      return formulaFilter(condPath, filter[kind], ctx, value);
    default:
      throw notionErrors.validation(`Filtering on ${property.type} properties is not supported by the Notion fake.`);
  }
}

function formulaFilter(path: string, raw: unknown, ctx: FilterContext, value: (page: PageRecord) => unknown): Predicate {
  const body = expectObject(path, raw);
  const [kind, condition] = operator(path, body, ['string', 'number', 'checkbox', 'date']);
  const result = (page: PageRecord) => {
    const r = value(page) as JsonObject;
    return r[String(r.type)];
  };
  if (kind === 'string') { const t = textCondition(`${path}.string`, condition); return (p) => t(String(result(p) ?? '')); }
  if (kind === 'number') { const t = numberCondition(`${path}.number`, condition); return (p) => { const v = result(p); return t(typeof v === 'number' ? v : null); }; }
  if (kind === 'checkbox') { const t = checkboxCondition(`${path}.checkbox`, condition); return (p) => t(result(p) === true); }
  const t = dateCondition(`${path}.date`, condition, ctx.now);
  return (p) => t(asDate(result(p)));
}

function timestampFilter(path: string, filter: JsonObject, ctx: FilterContext): Predicate {
  const which = filter.timestamp;
  if (which !== 'created_time' && which !== 'last_edited_time') fail(`${path}.timestamp`, 'should be `"created_time"` or `"last_edited_time"`', which);
  const test = dateCondition(`${path}.${which}`, filter[which], ctx.now);
  return (page) => test({ ms: ctx.store.visibleMs(which === 'created_time' ? page.createdMs : page.lastEditedMs), dateOnly: false });
}

/** Compiles `filter` (at `path`, e.g. body.filter) into a predicate over a data source's pages. */
export function compileFilter(path: string, raw: unknown, ctx: FilterContext, depth = 0): Predicate {
  const filter = expectObject(path, raw);
  for (const join of ['and', 'or'] as const) {
    if (filter[join] === undefined) continue;
    if (depth >= MAX_COMPOUND_DEPTH) {
      throw notionErrors.validation(`body failed validation: ${path} is a compound filter nested too deeply; compound filters can be nested at most ${MAX_COMPOUND_DEPTH} levels deep.`);
    }
    const clauses = expectArray(`${path}.${join}`, filter[join]);
    maxItems(`${path}.${join}`, clauses, LIMITS.arrayItems);
    const tests = clauses.map((c, i) => compileFilter(`${path}.${join}[${i}]`, c, ctx, depth + 1));
    return join === 'and' ? (page) => tests.every((t) => t(page)) : (page) => tests.some((t) => t(page));
  }
  if (filter.timestamp !== undefined) return timestampFilter(path, filter, ctx);
  if (filter.property !== undefined) return propertyFilter(path, filter, ctx);
  throw notionErrors.bodyValidation(path, 'should be a property filter, a timestamp filter, or an `and` / `or` compound filter');
}
