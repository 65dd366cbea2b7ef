/** Both transports over one test database: direct Postgres, and supabase-js through the PostgREST shim. */
import { createPostgresTransport } from '../../src/supabase/postgres-transport.js';
import { createRpcTransport } from '../../src/supabase/rpc-transport.js';
import { createSupabaseSource, type SupabaseSource } from '../../src/supabase/source.js';
import type { SqlFunctionTransport } from '../../src/supabase/transport.js';
import type { TestDatabase } from './database.js';
import { createPostgrestFetch } from './postgrest-shim.js';

export const TEST_SERVICE_ROLE_KEY = 'test-service-role-key-not-a-secret';
export const TEST_ANON_KEY = 'test-anon-key-not-a-secret-either';
export const TRANSPORTS = ['postgres', 'rpc'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export function postgrestFetch(db: TestDatabase): typeof fetch {
  return createPostgrestFetch({ pool: db.pool, serviceRoleKey: TEST_SERVICE_ROLE_KEY, anonKey: TEST_ANON_KEY });
}

/** The SQL function transport of `transport` over the test database. */
export function openTransportFor(db: TestDatabase, transport: TransportName, options: { key?: string } = {}): SqlFunctionTransport {
  if (transport === 'postgres') return createPostgresTransport({ databaseUrl: db.url });
  return createRpcTransport({ supabaseUrl: 'http://supabase.test', serviceRoleKey: options.key ?? TEST_SERVICE_ROLE_KEY, fetch: postgrestFetch(db) });
}

export function openSource(db: TestDatabase, transport: TransportName, options: { key?: string } = {}): SupabaseSource {
  return createSupabaseSource(openTransportFor(db, transport, options), { timezone: 'UTC' });
}
