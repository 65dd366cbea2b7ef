/**
 * Supabase API transport (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY): supabase-js
 * `.rpc()`, i.e. PostgREST's POST /rest/v1/rpc/<fn> with the named arguments as
 * JSON, sent with the service-role key.
 *
 * The client holds no session (the key is the credential, never refreshed) and
 * never opens a realtime socket: we only call functions.
 */
import type { SupabaseClient, SupabaseClientOptions } from '@supabase/supabase-js';
import { DatabaseError, isTransientSqlState } from '../errors.js';
import type { Database } from './database.types.js';
import { assertIdentifier, remedyFor, type SqlFunctionTransport } from './transport.js';

export interface RpcTransportOptions {
  supabaseUrl: string;
  serviceRoleKey: string;
  /** Replaces global fetch (tests serve PostgREST's RPC semantics from real Postgres). */
  fetch?: typeof fetch;
}

type RealtimeTransport = NonNullable<NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']>;

/**
 * supabase-js builds a realtime client in its constructor, and on Node 20 (no
 * global WebSocket) that refuses to start unless given a socket class. It only
 * constructs one when a channel is subscribed, which we never do; this one says
 * so if that ever changes.
 */
const NO_REALTIME = function refuseRealtime(): never {
  throw new Error('tokensync does not use Supabase realtime');
} as unknown as RealtimeTransport;

export function createRpcTransport(options: RpcTransportOptions): SqlFunctionTransport {
  // Loaded on the first call: supabase-js and its auth, realtime and storage clients are a
  // fifth of a command's start, and most runs use the postgres transport.
  let client: Promise<SupabaseClient<Database>> | undefined;
  const connect = () =>
    (client ??= import('@supabase/supabase-js').then(({ createClient }) =>
      createClient<Database>(options.supabaseUrl, options.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: { transport: NO_REALTIME },
        ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
      }),
    ));

  return {
    kind: 'rpc',
    async call(fn, args) {
      assertIdentifier(fn, 'function');
      const { data, error, status } = await (await connect()).rpc(fn, args);
      if (!error) return data ?? null;
      // PostgREST puts the SQLSTATE in `code`; PGRST… codes are its own; a failed fetch has none.
      const sqlState = /^[0-9A-Z]{5}$/.test(error.code ?? '') ? error.code : undefined;
      const constraint = /constraint "([^"]+)"/.exec(error.message)?.[1];
      throw new DatabaseError(`${fn}: ${error.message}${error.details ? ` (${error.details})` : ''}${remedyFor(error.code)}`, {
        sqlState,
        constraint,
        retryable: status === 0 || status >= 500 || isTransientSqlState(sqlState),
        context: { fn, transport: 'rpc', sqlState, httpStatus: status, constraint },
      });
    },
    async close() {
      // PostgREST calls are plain HTTP requests, and the client holds no session, timer or socket.
    },
  };
}
