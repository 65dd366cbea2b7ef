/** The usage API (`npm run api`): where it listens, how callers prove who they are, how fast each may call. */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { hasProtocol, milliseconds, type Parsed } from './fields.js';

const port = (example: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a port number, e.g. ${example}`)
    .transform(Number)
    .refine((v) => v < 65536, `must be a port number below 65536, e.g. ${example}`);

const positiveNumber = (example: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number, e.g. ${example}`)
    .transform(Number)
    .refine((v) => v > 0, `must be more than 0, e.g. ${example}`);

export const DEFAULT_API_PORT = 8787;

export const apiVariables = {
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port(DEFAULT_API_PORT).default(DEFAULT_API_PORT),
  API_RATE_LIMIT_PER_SECOND: positiveNumber('10').default(10),
  API_RATE_LIMIT_BURST: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of requests, e.g. 20')
    .transform(Number)
    .refine((v) => v >= 1, 'must be at least 1, e.g. 20')
    .default(20),
  API_SHUTDOWN_TIMEOUT_MS: milliseconds('e.g. 10000').default(10_000),
  API_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+|[0-9A-Fa-f:./]+(,[0-9A-Fa-f:./]+)*)$/, 'must be true, false, a number of proxies, or proxy addresses/CIDRs separated by commas, e.g. 127.0.0.1,10.0.0.0/8')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v))
    .default(false),
  SUPABASE_JWT_SECRET: z
    .string()
    .min(32, 'looks truncated; copy the JWT secret from Project Settings → API → JWT Settings')
    .optional(),
  SUPABASE_JWKS_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['https:', 'http:']), 'must be a URL, e.g. https://PROJECT.supabase.co/auth/v1/.well-known/jwks.json')
    .optional(),
};

export interface ApiConfig {
  host: string;
  port: number;
  /** Each caller's token bucket: refilled at this many requests per second… */
  rateLimitPerSecond: number;
  /** …holding at most this many (a burst). */
  rateLimitBurst: number;
  /** How long a stopping API waits for requests in flight. */
  shutdownTimeoutMs: number;
  /**
   * Which proxies' X-Forwarded-For to believe for a client's address (the bucket
   * of failed authentication): false (none), true (any), a hop count, or addresses/CIDRs.
   */
  trustProxy: boolean | number | string;
  /** HS256 secret that signs the project's access tokens (legacy JWT secret). */
  jwtSecret: string | undefined;
  /** The project's JSON Web Key Set (asymmetric signing keys). */
  jwksUrl: string | undefined;
}

export const apiConfig = (e: Parsed<typeof apiVariables>): ApiConfig => ({
  host: e.API_HOST,
  port: e.API_PORT,
  rateLimitPerSecond: e.API_RATE_LIMIT_PER_SECOND,
  rateLimitBurst: e.API_RATE_LIMIT_BURST,
  shutdownTimeoutMs: e.API_SHUTDOWN_TIMEOUT_MS,
  trustProxy: e.API_TRUST_PROXY,
  jwtSecret: e.SUPABASE_JWT_SECRET,
  jwksUrl: e.SUPABASE_JWKS_URL,
});

/**
 * What the API needs beyond what every command needs: a way to verify users'
 * tokens, and a key for the hold ids it hands out (the service_role key or the
 * JWT secret). Checked when the API starts, not by the other commands.
 */
export function apiIssues(api: ApiConfig, serviceRoleKey: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!api.jwtSecret && !api.jwksUrl) {
    issues.push({
      variable: 'SUPABASE_JWT_SECRET',
      problem: 'is required by the API to verify access tokens (or set SUPABASE_JWKS_URL for asymmetric signing keys)',
    });
  }
  if (!serviceRoleKey && !api.jwtSecret) {
    issues.push({
      variable: 'SUPABASE_SERVICE_ROLE_KEY',
      problem: 'is required by the API (admin callers present it, and it keys the hold ids) unless SUPABASE_JWT_SECRET is set',
    });
  }
  return issues;
}

export function requireApiConfig(api: ApiConfig, serviceRoleKey: string | undefined): void {
  const issues = apiIssues(api, serviceRoleKey);
  if (issues.length > 0) throw new ConfigError(issues);
}
