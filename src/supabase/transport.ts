import type { z } from 'zod';
import { DatabaseError } from '../errors.js';
import type { Database, Json } from './database.types.js';

/**
 * How a SQL function is called. Both transports call the same functions with
 * named arguments and hand back the function's result as JSON, so everything
 * above this layer behaves the same whichever one is configured.
 *
 * Only functions that return one value (a scalar, jsonb or a composite row) are
 * called this way; the worker's functions are written so.
 */
export type JsonValue = Json;

/** The SQL functions either transport may call, with their named arguments (generated: database.types.ts). */
export type SqlFunctions = Database['public']['Functions'];
export type SqlFunctionName = keyof SqlFunctions & string;
/** Named arguments. Arrays and objects go to json/jsonb parameters, as JSON by either transport; one left out takes its default. */
export type SqlFunctionArgs<F extends SqlFunctionName> = SqlFunctions[F]['Args'];

export interface SqlFunctionTransport {
  readonly kind: 'rpc' | 'postgres';
  /** Calls public.<fn>(name => value, …) and returns its result as parsed JSON. */
  call<F extends SqlFunctionName>(fn: F, args: SqlFunctionArgs<F>): Promise<unknown>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Function and argument names are spliced into SQL text, so only plain identifiers pass. */
export function assertIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name)) throw new TypeError(`${what} ${JSON.stringify(name)} is not a plain SQL identifier`);
}

/** Postgres' "undefined function" and PostgREST's "not in the schema cache". */
const MISSING_FUNCTION_CODES = new Set(['42883', 'PGRST202']);

/** What to do about an error code, when there is one obvious step. */
export function remedyFor(code: string | undefined): string {
  return code && MISSING_FUNCTION_CODES.has(code)
    ? '; the tokensync migrations look unapplied: run `npm run db:migrate` (or `supabase db push`)'
    : '';
}

/** Calls a SQL function and checks its result against the shape the caller relies on. */
export async function callFunction<F extends SqlFunctionName, S extends z.ZodType>(
  transport: SqlFunctionTransport,
  fn: F,
  args: SqlFunctionArgs<F>,
  schema: S,
): Promise<z.output<S>> {
  const raw = await transport.call(fn, args);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new DatabaseError(`${fn}: unexpected result shape (${parsed.error.issues[0]?.message}); are the migrations applied?`, {
      context: { fn, transport: transport.kind },
    });
  }
  return parsed.data;
}
