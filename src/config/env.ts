/**
 * The whole environment, validated once at start. Nothing else reads process.env.
 *
 * Values come from the process environment, then `.env.local`, then `.env`
 * (the first that sets a variable wins; an empty value counts as unset).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const POSTGRES_URL_HINT =
  'a postgres:// or postgresql:// URL, e.g. postgres://postgres:PASSWORD@db.PROJECT.supabase.co:5432/postgres';
const REDIS_URL_HINT = 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379';

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const envSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
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
  REDIS_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['redis:', 'rediss:']), `must be ${REDIS_URL_HINT}`)
    .default('redis://127.0.0.1:6379'),
  REPORT_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone, e.g. UTC or Europe/Berlin')
    .default('UTC'),
});

/** Every variable the program reads; docs (.env.example, README) are checked against it. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

type Env = z.infer<typeof envSchema>;

export interface SupabaseApiConfig {
  url: string;
  serviceRoleKey: string;
}

export interface Config {
  logLevel: LogLevel;
  logFormat: 'auto' | 'json' | 'pretty';
  /** Direct Postgres connection; needed by db:migrate and the `postgres` transport. */
  databaseUrl: string | undefined;
  /** Supabase API (PostgREST) access; needed by the `rpc` transport. */
  supabase: SupabaseApiConfig | undefined;
  /** How SQL functions are called; undefined when no database is configured at all. */
  sourceTransport: 'rpc' | 'postgres' | undefined;
  redisUrl: string;
  reportTimezone: string;
  /** Secret values, for the logger to scrub from every line. */
  secrets: readonly string[];
}

export type RawEnvironment = Readonly<Record<string, string | undefined>>;

/** The process environment over `.env.local` over `.env`, from `cwd`. */
export function readEnvironment(cwd: string = process.cwd(), env: RawEnvironment = process.env): RawEnvironment {
  const fromFile = (name: string): Record<string, string> => {
    const path = join(cwd, name);
    return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
  };
  const merged: Record<string, string | undefined> = { ...fromFile('.env'), ...fromFile('.env.local') };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') merged[key] = value;
  }
  return merged;
}

function withoutEmptyValues(env: RawEnvironment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[key] = value.trim();
  }
  return result;
}

function crossFieldIssues(env: Env): ConfigIssue[] {
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

function chooseTransport(env: Env): Config['sourceTransport'] {
  if (env.SUPABASE_TRANSPORT) return env.SUPABASE_TRANSPORT;
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) return 'rpc';
  if (env.DATABASE_URL) return 'postgres';
  return undefined;
}

function secretsOf(env: Env): string[] {
  const secrets = [env.SUPABASE_SERVICE_ROLE_KEY];
  for (const url of [env.DATABASE_URL, env.REDIS_URL]) {
    if (!url) continue;
    const password = new URL(url).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return [...new Set(secrets.filter((s): s is string => Boolean(s)))];
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: RawEnvironment = readEnvironment()): Config {
  const parsed = envSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        problem: issue.code === 'invalid_type' ? 'is required' : issue.message,
      })),
    );
  }
  const crossIssues = crossFieldIssues(parsed.data);
  if (crossIssues.length > 0) throw new ConfigError(crossIssues);

  const e = parsed.data;
  return {
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    databaseUrl: e.DATABASE_URL,
    supabase:
      e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY
        ? { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY }
        : undefined,
    sourceTransport: chooseTransport(e),
    redisUrl: e.REDIS_URL,
    reportTimezone: e.REPORT_TIMEZONE,
    secrets: secretsOf(e),
  };
}

/** DATABASE_URL, or a ConfigError that says what needs it. */
export function requireDatabaseUrl(config: Config, purpose: string): string {
  if (config.databaseUrl) return config.databaseUrl;
  throw new ConfigError([{ variable: 'DATABASE_URL', problem: `is required for ${purpose}; set it to ${POSTGRES_URL_HINT}` }]);
}
