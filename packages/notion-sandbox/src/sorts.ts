/**
 * Query sorts: by property (name or id) or by `created_time` / `last_edited_time`,
 * applied in order. Empty values sort last; select options sort in option order,
 * as in Notion; creation order breaks ties, so paging is stable.
 */
import { parseIsoDate } from './dates.js';
import { notionErrors } from './errors.js';
import { plainText, type RichTextItem } from './rich-text.js';
import { findProperty } from './schema.js';
import type { PageRecord, PropertySchema, Store } from './store.js';
import { expectArray, expectObject, expectOneOf, fail, isRecord, type JsonObject } from './validation.js';
import { readValue } from './values.js';

type Key = number | string | null;
export type Comparator = (a: PageRecord, b: PageRecord) => number;

function keyOf(store: Store, schema: readonly PropertySchema[], property: PropertySchema, page: PageRecord): Key {
  const value = readValue(store, schema, page, property);
  switch (property.type) {
    case 'title':
    case 'rich_text': {
      const text = plainText(value as RichTextItem[]);
      return text === '' ? null : text;
    }
    case 'number':
      return value as number | null;
    case 'checkbox':
      return value === true ? 1 : 0;
    case 'select':
    case 'multi_select': {
      const first = Array.isArray(value) ? value[0] : value;
      if (!isRecord(first)) return null;
      return (property.config.options ?? []).findIndex((o) => o.id === first.id);
    }
    case 'date':
      return isRecord(value) ? parseIsoDate(String(value.start))?.ms ?? null : null;
    case 'created_time':
    case 'last_edited_time':
      return Date.parse(String(value));
    case 'created_by':
    case 'last_edited_by':
      return String((value as JsonObject).id);
    case 'formula': {
      const result = value as JsonObject;
      const inner = result[String(result.type)];
      if (isRecord(inner)) return Date.parse(String(inner.start));
      return typeof inner === 'boolean' ? Number(inner) : (inner as Key) ?? null;
    }
    default:
      return typeof value === 'string' && value !== '' ? value : null;
  }
}

function compareKeys(a: Key, b: Key): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { sensitivity: 'base', numeric: true });
}

/** Compiles `sorts` (body.sorts) into a comparator; without sorts, pages come in creation order. */
export function compileSorts(path: string, raw: unknown, store: Store, schema: readonly PropertySchema[]): Comparator {
  const entries = raw === undefined ? [] : expectArray(path, raw);
  const keys = entries.map((value, i) => {
    const entryPath = `${path}[${i}]`;
    const entry = expectObject(entryPath, value);
    const direction = expectOneOf(`${entryPath}.direction`, entry.direction, ['ascending', 'descending']) === 'ascending' ? 1 : -1;
    if (entry.timestamp !== undefined) {
      const which = expectOneOf(`${entryPath}.timestamp`, entry.timestamp, ['created_time', 'last_edited_time']);
      return { direction, key: (p: PageRecord): Key => store.visibleMs(which === 'created_time' ? p.createdMs : p.lastEditedMs) };
    }
    if (typeof entry.property !== 'string') fail(`${entryPath}.property`, 'should be a string', entry.property);
    const property = findProperty(schema, entry.property);
    if (!property) throw notionErrors.validation(`Could not find sort property with name or id: ${entry.property}`);
    return { direction, key: (p: PageRecord) => keyOf(store, schema, property, p) };
  });
  return (a, b) => {
    for (const { direction, key } of keys) {
      const ka = key(a);
      const kb = key(b);
      // Empty values go last whichever the direction.
      if (ka === null || kb === null) {
        if (ka !== kb) return ka === null ? 1 : -1;
        continue;
      }
      const order = compareKeys(ka, kb) * direction;
      if (order !== 0) return order;
    }
    return a.seq - b.seq;
  };
}
