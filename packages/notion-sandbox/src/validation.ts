/**
 * Request shape checks and Notion's documented size limits
 * (https://developers.notion.com/reference/request-limits). Violations are
 * `validation_error` (HTTP 400) with Notion's message style:
 * "body failed validation: body.x.length should be ≤ `2000`, instead was `2001`."
 */
import { notionErrors } from './errors.js';

export const LIMITS = {
  /** rich text `text.content` and `text.link.url` */
  richTextContent: 2000,
  equationExpression: 1000,
  /** any array of rich text objects, of blocks in one children array, of filter clauses */
  arrayItems: 100,
  url: 2000,
  email: 200,
  phoneNumber: 200,
  multiSelect: 100,
  relation: 100,
  people: 100,
  /** options of one select / multi-select property (enforced by Notion, not in the limits table) */
  selectOptions: 100,
  /** characters of a select / multi-select option name (enforced by Notion, not in the limits table) */
  selectOptionName: 100,
  /** request payload: 1000 block elements and 500 KB overall */
  blocksPerRequest: 1000,
  bodyBytes: 500 * 1024,
  pageSize: 100,
  /** rows one data source query can return (https://developers.notion.com/guides/data-apis/query-large-data-sources) */
  queryResults: 10_000,
} as const;

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Notion prints the offending value: `undefined`, `"abc"`, `123`. */
export function shown(value: unknown): string {
  if (value === undefined) return '`undefined`';
  const text = JSON.stringify(value);
  return `\`${text !== undefined && text.length > 80 ? `${text.slice(0, 77)}...` : text}\``;
}

export function fail(path: string, expectation: string, value: unknown): never {
  throw notionErrors.bodyValidation(path, `${expectation}, instead was ${value === undefined ? 'undefined' : shown(value)}`);
}

export function requireDefined(path: string, value: unknown): void {
  if (value === undefined) throw notionErrors.bodyValidation(path, 'should be defined, instead was `undefined`');
}

export function expectObject(path: string, value: unknown): JsonObject {
  requireDefined(path, value);
  if (!isRecord(value)) fail(path, 'should be an object', value);
  return value;
}

export function expectArray(path: string, value: unknown): unknown[] {
  requireDefined(path, value);
  if (!Array.isArray(value)) fail(path, 'should be an array', value);
  return value;
}

export function expectString(path: string, value: unknown): string {
  requireDefined(path, value);
  if (typeof value !== 'string') fail(path, 'should be a string', value);
  return value;
}

export function expectBoolean(path: string, value: unknown): boolean {
  requireDefined(path, value);
  if (typeof value !== 'boolean') fail(path, 'should be a boolean', value);
  return value;
}

export function expectNumber(path: string, value: unknown): number {
  requireDefined(path, value);
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'should be a number', value);
  return value;
}

export function expectOneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  requireDefined(path, value);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `should be one of ${allowed.map((a) => `\`"${a}"\``).join(', ')}`, value);
  }
  return value as T;
}

export function maxLength(path: string, value: string, max: number): void {
  if (value.length > max) {
    throw notionErrors.bodyValidation(`${path}.length`, `should be ≤ \`${max}\`, instead was \`${value.length}\``);
  }
}

export function maxItems(path: string, value: readonly unknown[], max: number): void {
  if (value.length > max) {
    throw notionErrors.bodyValidation(`${path}.length`, `should be ≤ \`${max}\`, instead was \`${value.length}\``);
  }
}

/** page_size: an integer from 1 to 100 (body or query string). */
export function pageSizeOf(raw: unknown, where: 'body' | 'query'): number {
  if (raw === undefined || raw === null) return LIMITS.pageSize;
  const value = typeof raw === 'string' && where === 'query' ? Number(raw) : raw;
  const path = `${where}.page_size`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw notionErrors.validation(`${where} failed validation: ${path} should be an integer, instead was ${shown(raw)}.`);
  }
  if (value < 1) throw notionErrors.validation(`${where} failed validation: ${path} should be ≥ \`1\`, instead was \`${value}\`.`);
  if (value > LIMITS.pageSize) {
    throw notionErrors.validation(`${where} failed validation: ${path} should be ≤ \`${LIMITS.pageSize}\`, instead was \`${value}\`.`);
  }
  return value;
}

/** Returns the one key of `obj` that is in `keys`, or fails when there are none or several. */
export function exactlyOne(path: string, obj: JsonObject, keys: readonly string[], what: string): string {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length !== 1) {
    throw notionErrors.validation(
      `${path}: provide exactly one of ${keys.map((k) => `\`${k}\``).join(', ')} (${what}); got ${present.length ? present.join(', ') : 'none'}.`,
    );
  }
  return present[0]!;
}
