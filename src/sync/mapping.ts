/**
 * Row values → Notion property values, within every Notion limit.
 *
 * Sanitisation (each one reported as a warning, never silently; docs/limits.md):
 * - control characters other than tab and newline are dropped from text;
 * - text longer than MAX_TEXT_CHARS is cut and ends with "…" (one rich-text item);
 * - in select names control characters become spaces, commas become ";" (Notion
 *   forbids commas there), and names are cut to MAX_SELECT_CHARS;
 * - an open select shows the option `choose` gives (see select-options.ts): the
 *   value itself, an option differing only in case, or the overflow option; its
 *   "(exact)" property then holds the exact value;
 * - NaN and ±Infinity become an empty number;
 * - a date Notion does not take (Postgres's `infinity`, a year past 9999, not
 *   ISO 8601) becomes an empty date;
 * - objects for text properties are written as JSON.
 */
import type { DatabaseSpec, PropertySpec } from '../notion/catalogue/index.js';

/**
 * Bump when what a row maps to changes (a new sanitisation, a new derived
 * value): the salt changes with it, and the first pass that writes after the
 * upgrade rewrites every page once (tokensync_sync_note_properties).
 */
export const MAPPING_VERSION = 1;

/** Notion's limit for one rich-text item. */
export const MAX_TEXT_CHARS = 2000;
/** Notion's limit for a select option name. */
export const MAX_SELECT_CHARS = 100;
export const ELLIPSIS = '…';

export type PropertyValue = Record<string, unknown>;

export interface MappedPage {
  /** Keyed by live property id, in catalogue order. */
  properties: Record<string, PropertyValue>;
  warnings: string[];
}

/** Cuts text to `max` UTF-16 units with a visible ellipsis, never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** C0 and C1 control characters but tab and newline: terminal escapes, bells and NULs have no place in a page. */
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Every control character, line breaks included: an option name is one line. */
const ANY_CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text as a page shows it: without control characters other than tab and newline. */
export function cleanText(text: string): string {
  return text.replace(CONTROL_CHARS, '');
}

function richText(value: unknown, key: string, warnings: string[]): PropertyValue[] {
  const raw = asText(value);
  if (raw === null || raw === '') return [];
  const text = cleanText(raw);
  if (text.length !== raw.length) warnings.push(`${key}: ${raw.length - text.length} control characters dropped`);
  if (text.length > MAX_TEXT_CHARS) warnings.push(`${key}: ${text.length} characters cut to ${MAX_TEXT_CHARS}`);
  return text === '' ? [] : [{ type: 'text', text: { content: truncate(text, MAX_TEXT_CHARS) } }];
}

/** The option name a value is sent as (null: none): one line, no commas, at most MAX_SELECT_CHARS. */
export function optionNameOf(value: unknown): string | null {
  const text = asText(value)?.replace(ANY_CONTROL_CHAR, ' ').trim();
  if (!text) return null;
  return truncate(text.replaceAll(',', ';'), MAX_SELECT_CHARS);
}

/** The option an open select shows for `name`: itself, an option differing in case, the overflow option, or none. */
export type ChooseOption = (key: string, name: string) => string | null;

function selectName(value: unknown, key: string, warnings: string[], choose?: ChooseOption): { name: string } | null {
  const name = optionNameOf(value);
  if (name === null) return null;
  const text = asText(value)!.trim();
  if (text.includes(',')) warnings.push(`${key}: commas replaced in select name`);
  if (text.replace(ANY_CONTROL_CHAR, '') !== text) warnings.push(`${key}: control characters replaced in select name`);
  if (text.length > MAX_SELECT_CHARS) warnings.push(`${key}: select name cut to ${MAX_SELECT_CHARS} characters`);
  const shown = choose ? choose(key, name) : name;
  if (shown === null) {
    warnings.push(`${key}: no room for another option and no overflow option; left empty, the value is in its exact property`);
    return null;
  }
  if (shown !== name) {
    warnings.push(
      shown.toLowerCase() === name.toLowerCase()
        ? `${key}: shown as the option “${shown}” (Notion matches option names ignoring case)`
        : `${key}: the select has no room for another option; shown as “${shown}”, the value is in its exact property`,
    );
  }
  return { name: shown };
}

/** An open select's exact value, when the option shown is not it. */
function exactValue(value: unknown, shown: string | undefined, key: string, warnings: string[]): PropertyValue[] {
  const text = asText(value);
  if (text === null || cleanText(text) === '' || cleanText(text) === shown) return [];
  return richText(text, key, warnings);
}

function numberValue(value: unknown, key: string, warnings: string[]): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) {
    warnings.push(`${key}: ${String(value)} is not a finite number; left empty`);
    return null;
  }
  return n;
}

/** What Notion takes as a date: ISO 8601 with a four-digit year, a time and an offset optional. */
const NOTION_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function dateValue(value: unknown, key: string, warnings: string[]): { start: string } | null {
  if (value === null || value === undefined || value === '') return null;
  const text = value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : String(value);
  if (!NOTION_DATE.test(text) || Number.isNaN(Date.parse(text))) {
    warnings.push(`${key}: ${truncate(text, 40)} is not a date Notion takes (ISO 8601, years 0000-9999); left empty`);
    return null;
  }
  return { start: text };
}

function propertyValue(spec: PropertySpec, value: unknown, warnings: string[], choose?: ChooseOption): PropertyValue | undefined {
  switch (spec.type) {
    case 'title':
      return { title: richText(value, spec.key, warnings) };
    case 'rich_text':
      return { rich_text: richText(value, spec.key, warnings) };
    case 'number':
      return { number: numberValue(value, spec.key, warnings) };
    case 'select':
      return { select: selectName(value, spec.key, warnings, choose) };
    case 'date':
      return { date: dateValue(value, spec.key, warnings) };
    case 'checkbox':
      return { checkbox: value === true };
    case 'formula':
      return undefined; // computed by Notion
  }
}

/**
 * Maps values (by catalogue key) onto the properties `ids` knows; keys without a
 * live property are skipped. `choose` says which option an open select shows.
 */
export function mapProperties(
  spec: DatabaseSpec,
  values: Readonly<Record<string, unknown>>,
  ids: ReadonlyMap<string, string>,
  choose?: ChooseOption,
): MappedPage {
  const warnings: string[] = [];
  const properties: Record<string, PropertyValue> = {};
  const shown = new Map<string, string | undefined>();
  for (const property of spec.properties) {
    if (property.exactOf !== undefined) {
      const id = ids.get(property.key);
      if (id !== undefined) properties[id] = { rich_text: exactValue(values[property.exactOf], shown.get(property.exactOf), property.key, warnings) };
      continue;
    }
    const mapped = propertyValue(property, values[property.key], warnings, choose);
    if (property.type === 'select') shown.set(property.key, (mapped?.select as { name: string } | null)?.name);
    const id = ids.get(property.key);
    if (id !== undefined && mapped !== undefined) properties[id] = mapped;
  }
  return { properties, warnings };
}
