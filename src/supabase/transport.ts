/**
 * How a SQL function is called. Both transports call the same functions with
 * named arguments and hand back the function's result as JSON, so everything
 * above this layer behaves the same whichever one is configured.
 *
 * Only functions that return one value (a scalar, jsonb or a composite row) are
 * called this way; the worker's functions are written so.
 */
export type SqlArgs = Readonly<Record<string, string | number | boolean | null>>;

export interface SqlFunctionTransport {
  readonly kind: 'rpc' | 'postgres';
  /** Calls public.<fn>(name => value, …) and returns its result as parsed JSON. */
  call(fn: string, args: SqlArgs): Promise<unknown>;
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
