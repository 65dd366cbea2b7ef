/** The Supabase side: a direct Postgres connection, the Supabase API, and which of them calls the SQL functions. */
import { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { hasProtocol, POSTGRES_URL_HINT, type Parsed } from './fields.js';

export const databaseVariables = {
  DATABASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['postgres:', 'postgresql:']), `must be ${POSTGRES_URL_HINT}`)
    .optional(),
  SUPABASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['http:', 'https:']), 'must be the project URL, e.g. https://PROJECT.supabase.co')
    .optional(),
  SUPABASE_SERVICE_ROLE_KEY: z
    .string()
    .min(20, 'looks truncated; copy the service_role key from Project Settings → API keys')
    .optional(),
  SUPABASE_TRANSPORT: z.enum(['rpc', 'postgres']).optional(),
};

type DatabaseEnv = Parsed<typeof databaseVariables>;

export interface SupabaseApiConfig {
  url: string;
  serviceRoleKey: string;
}

export interface DatabaseConfig {
  /** Direct Postgres connection; needed by db:migrate and the `postgres` transport. */
  databaseUrl: string | undefined;
  /** Supabase API (PostgREST) access; needed by the `rpc` transport. */
  supabase: SupabaseApiConfig | undefined;
  /** How SQL functions are called; undefined when no database is configured at all. */
  sourceTransport: 'rpc' | 'postgres' | undefined;
}

/** The Supabase pair goes together, and a chosen transport needs what it connects with. */
export function databaseIssues(env: DatabaseEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
    issues.push({ variable: 'SUPABASE_SERVICE_ROLE_KEY', problem: 'is required when SUPABASE_URL is set' });
  }
  if (env.SUPABASE_SERVICE_ROLE_KEY && !env.SUPABASE_URL) {
    issues.push({ variable: 'SUPABASE_URL', problem: 'is required when SUPABASE_SERVICE_ROLE_KEY is set' });
  }
  if (env.SUPABASE_TRANSPORT === 'rpc' && !(env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY)) {
    issues.push({
      variable: 'SUPABASE_TRANSPORT',
      problem: 'is rpc, which needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; set them or use postgres',
    });
  }
  if (env.SUPABASE_TRANSPORT === 'postgres' && !env.DATABASE_URL) {
    issues.push({ variable: 'SUPABASE_TRANSPORT', problem: 'is postgres, which needs DATABASE_URL; set it or use rpc' });
  }
  return issues;
}

function chooseTransport(env: DatabaseEnv): DatabaseConfig['sourceTransport'] {
  if (env.SUPABASE_TRANSPORT) return env.SUPABASE_TRANSPORT;
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) return 'rpc';
  if (env.DATABASE_URL) return 'postgres';
  return undefined;
}

export const databaseConfig = (e: DatabaseEnv): DatabaseConfig => ({
  databaseUrl: e.DATABASE_URL,
  supabase: e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY ? { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY } : undefined,
  sourceTransport: chooseTransport(e),
});
