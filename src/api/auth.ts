/**
 * Who is calling, from the Authorization header, as Supabase issues credentials:
 *
 * - the service_role key (compared in constant time), or a JWT whose `role` is
 *   `service_role`: the service, which sees everything and may administer;
 * - a user's access token (a JWT with `role: authenticated`, verified with the
 *   project's HS256 secret or its JWKS): that user (`sub`), and only them;
 * - anything else (no token, the anon key, a bad, expired or unsigned token): 401.
 *
 * Tokens are never logged: the logger scrubs JWT and Bearer shapes, and the
 * messages here never quote what was sent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ApiError } from './errors.js';

export type Caller = { kind: 'service' } | { kind: 'user'; userId: string };

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Caller>;
}

export interface AuthOptions {
  serviceRoleKey: string | undefined;
  /** HS256 secret of the project's tokens. */
  jwtSecret: string | undefined;
  /** The project's JWKS URL, for asymmetric signing keys. */
  jwksUrl: string | undefined;
  /** Replaces the remote key set (tests). */
  jwks?: JWTVerifyGetKey;
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant time whatever the lengths: both sides are hashed first. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerOf(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) {
    throw new ApiError('auth_required', 'send Authorization: Bearer <a Supabase access token or the service_role key>');
  }
  return match[1]!;
}

function callerOf(payload: JWTPayload): Caller {
  const role = payload['role'];
  if (role === 'service_role') return { kind: 'service' };
  if (role === 'authenticated' && typeof payload.sub === 'string' && payload.sub !== '') return { kind: 'user', userId: payload.sub };
  throw new ApiError('role_not_allowed', `a token with role ${JSON.stringify(role ?? null)} cannot use this API; sign the user in and send their access token`);
}

export function createAuthenticator(options: AuthOptions): Authenticator {
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  const jwks = options.jwks ?? (options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined);

  async function verify(token: string): Promise<JWTPayload> {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new ApiError('token_invalid', 'the bearer token is neither the service_role key nor a JWT');
    }
    try {
      if (algorithm === 'HS256' && secret) {
        return (await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp'] })).payload;
      }
      if (algorithm !== 'HS256' && jwks) {
        return (await jwtVerify(token, jwks, { algorithms: ASYMMETRIC_ALGORITHMS, requiredClaims: ['exp'] })).payload;
      }
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new ApiError('token_expired', 'the access token has expired; refresh the session and retry');
      if (error instanceof errors.JOSEError) throw new ApiError('token_invalid', `the access token was refused (${error.code})`);
      throw error;
    }
    throw new ApiError('token_invalid', `tokens signed with ${JSON.stringify(algorithm ?? null)} are not accepted here`);
  }

  return {
    async authenticate(authorization) {
      const token = bearerOf(authorization);
      if (options.serviceRoleKey && sameSecret(token, options.serviceRoleKey)) return { kind: 'service' };
      return callerOf(await verify(token));
    },
  };
}

/** The one user a caller may act for: its own for a user, whoever it names for the service. */
export function actingUser(caller: Caller, named: string | null | undefined): string | null {
  if (caller.kind === 'service') return named ?? null;
  if (named != null && named !== caller.userId) {
    throw new ApiError('other_user', 'a user token acts only for its own user: user_id must be the token\'s sub, or left out');
  }
  return caller.userId;
}

export function requireService(caller: Caller): void {
  if (caller.kind !== 'service') throw new ApiError('admin_only', 'admin endpoints need the service_role key or a service_role token');
}

/** Installation-wide figures (every user's, every agent's) are the service's alone. */
export function requireServiceRole(caller: Caller): void {
  if (caller.kind !== 'service') throw new ApiError('service_only', 'installation-wide figures need the service_role key or a service_role token; a user token reads its own user\'s');
}
