/**
 * Where the demo keeps its Supabase side: an embedded Postgres (PGlite over the
 * wire protocol, in memory) when no database is configured, or a database of its
 * own on the DATABASE_URL server, recreated each run, so nothing of yours is
 * touched either way.
 */
import pg from 'pg';
import type { Config } from '../config/env.js';
import { TokensyncError } from '../errors.js';
import { connectError } from '../supabase/postgres-transport.js';

/** The demo's own database on a configured server. */
export const DEMO_DATABASE = 'tokensync_demo';

/** The demo cannot run as configured; the message says what to do. */
export class DemoError extends TokensyncError {
  readonly code = 'demo_failed';
}

export interface DemoDatabase {
  url: string;
  /** For the summary, e.g. "embedded (PGlite, in memory)". */
  description: string;
  close(): Promise<void>;
}

async function onServer(serverUrl: string): Promise<DemoDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (error) {
    // Not answering, or refusing (with the fix): said as every other command says it.
    throw new DemoError(`${connectError(serverUrl, error).message} (or unset DATABASE_URL: the demo then runs an embedded Postgres)`, {
      cause: error,
    });
  }
  try {
    await admin.query(`drop database if exists ${DEMO_DATABASE} with (force)`);
    await admin.query(`create database ${DEMO_DATABASE}`);
  } catch (error) {
    throw new DemoError(
      `the demo keeps its data in a database of its own (${DEMO_DATABASE}), and this role may not create it: ${(error as Error).message}. ` +
        'Grant CREATEDB, or unset DATABASE_URL to use the embedded Postgres.',
      { cause: error },
    );
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${DEMO_DATABASE}`;
  return { url: url.toString(), description: `database ${DEMO_DATABASE} on ${url.host} (recreated for the demo)`, close: async () => undefined };
}

export async function openDemoDatabase(config: Config): Promise<DemoDatabase> {
  if (config.databaseUrl) return onServer(config.databaseUrl);
  if (config.supabase) {
    throw new DemoError(
      'SUPABASE_URL is set: the demo never writes made-up usage into a Supabase project. ' +
        'Unset SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY to use the embedded Postgres, or set DATABASE_URL to a server where it may create its own database.',
    );
  }
  // Loaded only when used: PGlite is a 27 MB WebAssembly build.
  const { startEmbeddedPostgres } = await import('@tokensync/pglite-server');
  const embedded = await startEmbeddedPostgres();
  return { url: embedded.url, description: `embedded (PGlite, in memory) at ${embedded.host}:${embedded.port}`, close: () => embedded.close() };
}
