/**
 * Supabase API transport (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY): PostgREST's
 * POST /rest/v1/rpc/<fn> with the named arguments as JSON, through
 * @supabase/postgrest-js — the client that implements supabase-js's `.rpc()`.
 * (supabase-js itself also builds a realtime client, which on Node 20 demands a
 * WebSocket package we would never use.)
 */
import { PostgrestClient } from '@supabase/postgrest-js';
import { DatabaseError, isTransientSqlState } from '../errors.js';
import { assertIdentifier, remedyFor, type SqlFunctionTransport } from './transport.js';

export interface RpcTransportOptions {
  supabaseUrl: string;
  serviceRoleKey: string;
  /** Replaces global fetch (tests serve PostgREST's RPC semantics from real Postgres). */
  fetch?: typeof fetch;
}

export function createRpcTransport(options: RpcTransportOptions): SqlFunctionTransport {
  const restUrl = new URL('rest/v1', options.supabaseUrl.endsWith('/') ? options.supabaseUrl : `${options.supabaseUrl}/`);
  const client = new PostgrestClient(restUrl.toString(), {
    headers: { apikey: options.serviceRoleKey, Authorization: `Bearer ${options.serviceRoleKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  return {
    kind: 'rpc',
    async call(fn, args) {
      assertIdentifier(fn, 'function');
      const { data, error, status } = await client.rpc(fn, args);
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
      // PostgREST calls are plain HTTP requests; nothing is held open.
    },
  };
}
