/** Field builders and hints the concern schemas share: every value arrives as text. */
import { z } from 'zod';
import { parseNotionId } from '../notion/ids.js';

/** What one concern's variables parse to. */
export type Parsed<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

export const POSTGRES_URL_HINT =
  'a postgres:// or postgresql:// URL, e.g. postgres://postgres:PASSWORD@db.PROJECT.supabase.co:5432/postgres';
export const REDIS_URL_HINT = 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379';
export const NOTION_PAGE_HINT =
  'a page id (32 hex characters) or the page URL, e.g. https://www.notion.so/LLM-Costs-0123456789abcdef0123456789abcdef';

export function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A whole number of milliseconds, as text in the environment. */
export const milliseconds = (example: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number of milliseconds, ${example}`)
    .transform(Number);

/** Milliseconds with a floor, e.g. an interval that must not spin. */
export const millisecondsAtLeast = (floor: number, example: number) =>
  milliseconds(`e.g. ${example}`).refine((v) => v >= floor, `must be at least ${floor}, e.g. ${example}`);

export const notionId = (hint: string) =>
  z
    .string()
    .refine((v) => parseNotionId(v) !== undefined, `must be ${hint}`)
    .transform((v) => parseNotionId(v)!);
