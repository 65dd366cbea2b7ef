/**
 * Direct Postgres transport (DATABASE_URL): one pooled query per call.
 * Sessions run in UTC so timestamps in results read the same as through PostgREST.
 */
import pg from 'pg';
import { DatabaseError, isTransientSqlState } from '../errors.js';
import { assertIdentifier, remedyFor, type JsonValue, type SqlFunctionTransport } from './transport.js';

export interface PostgresTransportOptions {
  databaseUrl: string;
  /** Pool size; the worker needs few connections (default 5). */
  maxConnections?: number;
  /** Let the process exit while connections sit idle in the pool (an SDK inside someone's app; default false). */
  allowExitOnIdle?: boolean;
  /** Shown in pg_stat_activity (default tokensync). */
  applicationName?: string;
}

const DEFAULT_MAX_CONNECTIONS = 5;
/** Socket-level failures after which the same call may succeed. */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export function createPostgresTransport(options: PostgresTransportOptions): SqlFunctionTransport {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    application_name: options.applicationName ?? 'tokensync',
    allowExitOnIdle: options.allowExitOnIdle ?? false,
    options: '-c TimeZone=UTC',
  });
  // An idle client that loses its connection must not crash the process; the next call reconnects.
  pool.on('error', () => undefined);

  // Each call shape (function and argument names) is a named prepared statement: the SDK's budget
  // calls run several times a second per process, and parsing and planning the same text each time
  // was a measurable part of them. node-postgres prepares a name once per connection. Not through a
  // pooler in transaction mode, which cannot keep them (see preparesStatements).
  const prepare = preparesStatements(options.databaseUrl);
  const statementNames = new Map<string, string>();
  const statementName = (text: string) => {
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, (name = `tokensync_${statementNames.size + 1}`));
    return name;
  };

  return {
    kind: 'postgres',
    async call(fn, args) {
      assertIdentifier(fn, 'function');
      // An argument left out (undefined) takes its default, as it does over PostgREST, where JSON drops it.
      const given: Readonly<Record<string, JsonValue | undefined>> = args;
      const names = Object.keys(given).filter((name) => given[name] !== undefined);
      names.forEach((name) => assertIdentifier(name, 'argument'));
      const namedArgs = names.map((name, i) => `${name} => $${i + 1}`).join(', ');
      try {
        const text = `select to_jsonb(public.${fn}(${namedArgs})) as result`;
        const { rows } = await pool.query<{ result: unknown }>({
          ...(prepare ? { name: statementName(text) } : {}),
          text,
          values: names.map((name) => asParameter(given[name]!)),
        });
        return rows[0]?.result ?? null;
      } catch (error) {
        throw toDatabaseError(fn, error, options.databaseUrl);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * Whether named prepared statements may be used: not through a pooler in
 * transaction mode (Supabase's Supavisor on port 6543, PgBouncer on 6432), which
 * hands each transaction a different server connection, nor when the URL says so
 * as Prisma's convention does (`?pgbouncer=true`) or `?prepare=false`.
 */
export function preparesStatements(databaseUrl: string): boolean {
  const url = new URL(databaseUrl);
  const flag = (name: string) => url.searchParams.get(name)?.toLowerCase();
  return !['6543', '6432'].includes(url.port) && flag('pgbouncer') !== 'true' && flag('prepare') !== 'false';
}

/** JSON values go as JSON text (node-postgres would turn an array into a Postgres array literal). */
function asParameter(value: JsonValue): string | number | boolean | null {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

/** The SQLSTATE of an error the server sent; undefined for socket errors (whose codes are ECONNREFUSED and such). */
function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** node-postgres reports a socket closed mid-query by message only, without a code. */
const LOST_CONNECTION_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect/i;

/** Whether `error` says the server could not be reached (or the connection was lost), not that SQL failed. */
export function isConnectionFailure(error: unknown): boolean {
  const pgError = error as { code?: string; message?: string };
  const sqlState = sqlStateOf(error);
  return (
    (pgError.code !== undefined && TRANSIENT_NETWORK_CODES.has(pgError.code)) ||
    (sqlState === undefined && LOST_CONNECTION_MESSAGE.test(pgError.message ?? ''))
  );
}

/** The database did not answer: say which server, and what to check. */
export function unreachableDatabase(databaseUrl: string, error: unknown, what = 'connect'): DatabaseError {
  const host = new URL(databaseUrl).host;
  return new DatabaseError(
    `${what}: PostgreSQL does not answer at ${host} (${(error as Error).message ?? String(error)}); is it running, and is DATABASE_URL right?`,
    { cause: error, retryable: true, context: { host, step: what, transport: 'postgres' } },
  );
}

/** What to do when the server answered and refused the connection, by SQLSTATE. */
const CONNECT_REMEDIES: Record<string, (url: URL) => string> = {
  '3D000': (url) => `create it (createdb ${decodeURIComponent(url.pathname.slice(1)) || 'NAME'}) or fix the database name in DATABASE_URL`,
  '28P01': () => 'check the user and password in DATABASE_URL',
  '28000': () => 'check the user in DATABASE_URL and that pg_hba.conf lets it connect from here',
};

/** Certificate checks node-postgres fails when it verifies the server (it does for sslmode=require). */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * TLS refusals, which come with no SQLSTATE (or with 28000, like any pg_hba
 * refusal): what went wrong, and the DATABASE_URL that works.
 */
function tlsRemedy(error: unknown): string | undefined {
  const { code, message = '' } = error as { code?: string; message?: string };
  if (/does not support SSL/i.test(message)) {
    return 'this server does not offer TLS (a local Postgres or `supabase start`): remove sslmode from DATABASE_URL or set sslmode=disable';
  }
  if (/no encryption|SSL (connection )?(is )?required|SSL off/i.test(message)) {
    return 'this server accepts only encrypted connections: add sslmode=require to DATABASE_URL (e.g. postgres://…/postgres?sslmode=require)';
  }
  if (code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return "the server's TLS certificate is not trusted here (node-postgres checks it for sslmode=require): add sslrootcert=PATH with the server's CA certificate (Supabase: Project Settings → Database → SSL Configuration) to DATABASE_URL, or sslmode=no-verify to encrypt without checking";
  }
  return undefined;
}

/** Whether `error` is the server (or its TLS) refusing to open a connection, as opposed to SQL failing. */
function isConnectRefusal(error: unknown): boolean {
  const sqlState = sqlStateOf(error);
  return (sqlState !== undefined && sqlState in CONNECT_REMEDIES) || tlsRemedy(error) !== undefined;
}

/**
 * Why a connection could not be opened, in one line that names the server and
 * the fix (never the password): not answering, or answering with a refusal.
 */
export function connectError(databaseUrl: string, error: unknown): DatabaseError {
  if (isConnectionFailure(error)) return unreachableDatabase(databaseUrl, error);
  const url = new URL(databaseUrl);
  const pgError = error as { code?: string; message?: string };
  const sqlState = sqlStateOf(error);
  const remedy = tlsRemedy(error) ?? (sqlState ? CONNECT_REMEDIES[sqlState]?.(url) : undefined);
  return new DatabaseError(`connect: PostgreSQL at ${url.host} refused the connection: ${pgError.message ?? String(error)}${remedy ? `; ${remedy}` : ''}`, {
    cause: error,
    sqlState,
    retryable: false,
    context: { host: url.host, step: 'connect', transport: 'postgres', sqlState },
  });
}

function toDatabaseError(fn: string, error: unknown, databaseUrl: string): DatabaseError {
  const pgError = error as Partial<pg.DatabaseError> & { code?: string; message?: string };
  const sqlState = sqlStateOf(error);
  if (isConnectionFailure(error)) return unreachableDatabase(databaseUrl, error, fn);
  // The pool connects on the first call: a refused connection is said as such, with its fix.
  if (isConnectRefusal(error)) return connectError(databaseUrl, error);
  return new DatabaseError(`${fn}: ${pgError.message ?? String(error)}${remedyFor(sqlState)}`, {
    cause: error,
    sqlState,
    constraint: pgError.constraint,
    retryable: isTransientSqlState(sqlState),
    context: { fn, transport: 'postgres', sqlState, constraint: pgError.constraint },
  });
}
