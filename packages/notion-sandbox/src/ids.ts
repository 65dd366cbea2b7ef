/**
 * Notion ids: UUIDs, accepted with or without dashes and answered dashed.
 * Property ids are short, URL-encoded strings, except the title's, which is
 * always `title`.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { notionErrors } from './errors.js';
import { shown } from './validation.js';

const HEX32 = /^[0-9a-f]{32}$/i;
const DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function newId(): string {
  return randomUUID();
}

/** The dashed lowercase form of an id, or undefined when it is not a UUID. */
export function normalizeId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  if (DASHED.test(value)) return value.toLowerCase();
  if (!HEX32.test(value)) return undefined;
  const h = value.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A path parameter id, e.g. path.page_id; Notion answers 400 for a malformed one. */
export function pathId(name: string, raw: string): string {
  const id = normalizeId(raw);
  if (!id) {
    throw notionErrors.validation(`path failed validation: path.${name} should be a valid uuid, instead was ${shown(raw)}.`);
  }
  return id;
}

/** An id inside the body, e.g. body.parent.page_id. */
export function bodyId(path: string, raw: unknown): string {
  const id = normalizeId(raw);
  if (!id) {
    if (raw === undefined) throw notionErrors.bodyValidation(path, 'should be defined, instead was `undefined`');
    throw notionErrors.bodyValidation(path, `should be a valid uuid, instead was ${shown(raw)}`);
  }
  return id;
}

export function compactId(id: string): string {
  return id.replace(/-/g, '');
}

const PROPERTY_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:;<=>?@[]^_{|}~`';

/** A new property id, unique within `taken`, URL-encoded like Notion's ("%3AUPp"). */
export function newPropertyId(taken: ReadonlySet<string>): string {
  for (;;) {
    let raw = '';
    for (let i = 0; i < 4; i += 1) raw += PROPERTY_ID_CHARS[randomInt(PROPERTY_ID_CHARS.length)];
    const id = encodeURIComponent(raw);
    if (id !== 'title' && !taken.has(id)) return id;
  }
}

/** Property ids arrive URL-encoded or decoded; compare them decoded. */
export function samePropertyId(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return decodeURIComponent(a) === decodeURIComponent(b);
  } catch {
    return false;
  }
}
