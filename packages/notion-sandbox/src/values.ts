/**
 * Page property values: requests are checked against the data source schema
 * (type, size limits, select options) and stored by property id in response
 * form, so a renamed property keeps its values; responses are keyed by the
 * property's current name.
 */
import { normalizeDateString, parseIsoDate } from './dates.js';
import { notionErrors } from './errors.js';
import { evaluateFormula, type FormulaValue } from './formula.js';
import { parseRichText, plainText, type RichTextItem } from './rich-text.js';
import { findProperty, optionFor } from './schema.js';
import type { PageRecord, PropertySchema, SelectOption, Store } from './store.js';
import { LIMITS, expectObject, fail, isRecord, maxItems, maxLength, type JsonObject } from './validation.js';

const READ_ONLY = new Set(['formula', 'created_time', 'last_edited_time', 'created_by', 'last_edited_by']);

function expected(property: PropertySchema): never {
  throw notionErrors.validation(`${property.name} is expected to be ${property.type}.`);
}

function dateValue(path: string, property: PropertySchema, raw: unknown): JsonObject | null {
  if (raw === null) return null;
  if (!isRecord(raw)) expected(property);
  const start = raw.start;
  if (typeof start !== 'string' || !parseIsoDate(start)) fail(`${path}.start`, 'should be a valid ISO 8601 date string', start);
  const end = raw.end ?? null;
  if (end !== null && (typeof end !== 'string' || !parseIsoDate(end))) fail(`${path}.end`, 'should be a valid ISO 8601 date string', end);
  const zone = raw.time_zone ?? null;
  if (zone !== null && typeof zone !== 'string') fail(`${path}.time_zone`, 'should be a string', zone);
  return { start: normalizeDateString(start), end: end === null ? null : normalizeDateString(end), time_zone: zone };
}

function textLike(path: string, property: PropertySchema, raw: unknown, max: number): string | null {
  if (raw === null) return null;
  if (typeof raw !== 'string') expected(property);
  maxLength(path, raw, max);
  return raw;
}

/** The stored form of one value, after validation; select options may be added to `property`. */
function parseValue(path: string, property: PropertySchema, raw: unknown): unknown {
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return parseRichText(path, raw);
    case 'number':
      if (raw !== null && (typeof raw !== 'number' || !Number.isFinite(raw))) expected(property);
      return raw;
    case 'checkbox':
      if (typeof raw !== 'boolean') expected(property);
      return raw;
    case 'url':
      return textLike(path, property, raw, LIMITS.url);
    case 'email':
      return textLike(path, property, raw, LIMITS.email);
    case 'phone_number':
      return textLike(path, property, raw, LIMITS.phoneNumber);
    case 'date':
      return dateValue(path, property, raw);
    case 'select':
      if (raw === null) return null;
      if (!isRecord(raw)) expected(property);
      return optionFor(property, path, raw).id;
    case 'multi_select': {
      if (!Array.isArray(raw)) expected(property);
      maxItems(path, raw, LIMITS.multiSelect);
      const ids = raw.map((item, i) => optionFor(property, `${path}[${i}]`, expectObject(`${path}[${i}]`, item)).id);
      return [...new Set(ids)];
    }
    default:
      throw notionErrors.validation(`${property.name} is a ${property.type} property, which cannot be set.`);
  }
}

/**
 * Applies `properties` of a page create or update to `values`, using (and, for
 * new select options, changing) `schema`. Callers pass copies and keep them only
 * when this returns.
 */
export function applyValues(path: string, raw: unknown, schema: PropertySchema[], values: Map<string, unknown>): void {
  const body = expectObject(path, raw);
  for (const [key, input] of Object.entries(body)) {
    const property = findProperty(schema, key);
    if (!property) throw notionErrors.validation(`${key} is not a property that exists.`);
    const valuePath = `${path}.${key}`;
    const value = expectObject(valuePath, input);
    if (READ_ONLY.has(property.type)) throw notionErrors.validation(`${property.name} is a ${property.type} property, which cannot be set.`);
    const declared = typeof value.type === 'string' ? value.type : undefined;
    if ((declared !== undefined && declared !== property.type) || value[property.type] === undefined) expected(property);
    values.set(property.id, parseValue(`${valuePath}.${property.type}`, property, value[property.type]));
  }
}

/** The title of a page that is not in a data source. */
export function applyPlainPageTitle(path: string, raw: unknown, values: Map<string, unknown>): void {
  const body = expectObject(path, raw);
  for (const [key, input] of Object.entries(body)) {
    if (key !== 'title' && !(isRecord(input) && input.title !== undefined)) {
      throw notionErrors.validation(`${key} is not a property that exists. A page that is not in a data source only has a title.`);
    }
    const value = expectObject(`${path}.${key}`, input);
    values.set('title', parseRichText(`${path}.${key}.title`, value.title));
  }
}

function optionsById(property: PropertySchema): Map<string, SelectOption> {
  return new Map((property.config.options ?? []).map((o) => [o.id, o]));
}

const partialOption = (o: SelectOption) => ({ id: o.id, name: o.name, color: o.color });

/** One value in response form (the part under the type key). */
export function readValue(store: Store, schema: readonly PropertySchema[], page: PageRecord, property: PropertySchema, depth = 0): unknown {
  const stored = page.values.get(property.id);
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return Array.isArray(stored) ? stored : [];
    case 'number':
      return typeof stored === 'number' ? stored : null;
    case 'checkbox':
      return stored === true;
    case 'url':
    case 'email':
    case 'phone_number':
      return typeof stored === 'string' ? stored : null;
    case 'date':
      return isRecord(stored) ? stored : null;
    case 'select': {
      const option = typeof stored === 'string' ? optionsById(property).get(stored) : undefined;
      return option ? partialOption(option) : null;
    }
    case 'multi_select': {
      const options = optionsById(property);
      return (Array.isArray(stored) ? stored : []).flatMap((id) => (options.has(id) ? [partialOption(options.get(id)!)] : []));
    }
    case 'formula':
      return evaluateFormula(property.config.expression ?? '', {
        prop: (name) => {
          const target = schema.find((p) => p.name === name);
          return target && depth < 8 ? formulaInput(store, schema, page, target, depth + 1) : null;
        },
      });
    case 'created_time':
      return store.iso(page.createdMs);
    case 'last_edited_time':
      return store.iso(page.lastEditedMs);
    case 'created_by':
      return { object: 'user', id: page.createdBy };
    case 'last_edited_by':
      return { object: 'user', id: page.lastEditedBy };
  }
}

function formulaInput(store: Store, schema: readonly PropertySchema[], page: PageRecord, property: PropertySchema, depth: number): FormulaValue {
  const value = readValue(store, schema, page, property, depth);
  if (Array.isArray(value)) {
    return property.type === 'multi_select' ? value.map((o) => (o as SelectOption).name).join(', ') : plainText(value as RichTextItem[]);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    return property.type === 'created_time' || property.type === 'last_edited_time' ? { date: Date.parse(value as string) } : value;
  }
  if (!isRecord(value)) return null;
  if (property.type === 'select') return String(value.name);
  if (property.type === 'date') return { date: parseIsoDate(String(value.start))?.ms ?? 0 };
  if (property.type === 'formula') {
    const inner = value[String(value.type)];
    return isRecord(inner) ? { date: Date.parse(String(inner.start)) } : (inner as FormulaValue) ?? null;
  }
  return null;
}

/** A page's properties as Notion returns them; `only` limits them to some ids (filter_properties). */
export function serializeValues(store: Store, schema: readonly PropertySchema[], page: PageRecord, only?: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const property of schema) {
    if (only && !only.some((k) => k === property.id || k === property.name || decodeSafe(k) === decodeSafe(property.id))) continue;
    out[property.name] = { id: property.id, type: property.type, [property.type]: readValue(store, schema, page, property) };
  }
  return out;
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The schema of a page outside any data source: just its title. */
export const PLAIN_PAGE_SCHEMA: readonly PropertySchema[] = [{ id: 'title', name: 'title', type: 'title', description: null, config: {} }];
