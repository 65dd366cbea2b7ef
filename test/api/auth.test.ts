/** Who a bearer credential is, as Supabase issues them: HS256 and JWKS-signed tokens, the service_role key, and what is refused. */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { actingUser, createAuthenticator, type Authenticator } from '../../src/api/auth.js';
import { ApiError } from '../../src/api/errors.js';

const SECRET = 'a-jwt-secret-of-at-least-thirty-two-characters';
const SERVICE_KEY = 'sb_secret_servicekeyfortests';
const hs256 = (claims: Record<string, unknown>, exp: number | string = '1h', secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(new TextEncoder().encode(secret));

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof ApiError ? error.code : `unexpected: ${String(error)}`),
  );

describe('with the JWT secret and the service_role key', () => {
  const auth = createAuthenticator({ serviceRoleKey: SERVICE_KEY, jwtSecret: SECRET, jwksUrl: undefined });

  it('knows the service by its key or a service_role token, and a user by an authenticated token', async () => {
    expect(await auth.authenticate(`Bearer ${SERVICE_KEY}`)).toEqual({ kind: 'service' });
    expect(await auth.authenticate(`Bearer ${await hs256({ role: 'service_role' })}`)).toEqual({ kind: 'service' });
    expect(await auth.authenticate(`bearer ${await hs256({ role: 'authenticated', sub: 'u-1' })}`)).toEqual({ kind: 'user', userId: 'u-1' });
  });

  it('refuses every other credential with its code', async () => {
    expect(await codeOf(auth.authenticate(undefined))).toBe('auth_required');
    expect(await codeOf(auth.authenticate(`Basic ${SERVICE_KEY}`))).toBe('auth_required');
    expect(await codeOf(auth.authenticate(`Bearer ${SERVICE_KEY.slice(0, -1)}`))).toBe('token_invalid');
    expect(await codeOf(auth.authenticate(`Bearer ${await hs256({ role: 'anon' })}`))).toBe('role_not_allowed');
    expect(await codeOf(auth.authenticate(`Bearer ${await hs256({ role: 'authenticated' })}`))).toBe('role_not_allowed');
    expect(await codeOf(auth.authenticate(`Bearer ${await hs256({ role: 'authenticated', sub: 'u' }, Math.floor(Date.now() / 1000) - 1)}`))).toBe('token_expired');
    const forever = await new SignJWT({ role: 'authenticated', sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect(await codeOf(auth.authenticate(`Bearer ${forever}`))).toBe('token_invalid');
    const unsigned = new UnsecuredJWT({ role: 'service_role' }).setExpirationTime('1h').encode();
    expect(await codeOf(auth.authenticate(`Bearer ${unsigned}`))).toBe('token_invalid');
  });
});

describe('with the project\'s JWKS only', () => {
  let auth: Authenticator;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256' };
    auth = createAuthenticator({ serviceRoleKey: undefined, jwtSecret: undefined, jwksUrl: 'https://p.supabase.co/auth/v1/.well-known/jwks.json', jwks: createLocalJWKSet({ keys: [jwk] }) });
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'key-1' }).setExpirationTime('1h').sign(privateKey);
  });

  it('verifies tokens signed with the project\'s key, and refuses HS256 ones it has no secret for', async () => {
    expect(await auth.authenticate(`Bearer ${await sign({ role: 'authenticated', sub: 'u-2' })}`)).toEqual({ kind: 'user', userId: 'u-2' });
    expect(await codeOf(auth.authenticate(`Bearer ${await hs256({ role: 'service_role' })}`))).toBe('token_invalid');
  });
});

it('forces a user to its own id and lets the service name anyone', () => {
  expect(actingUser({ kind: 'user', userId: 'a' }, undefined)).toBe('a');
  expect(actingUser({ kind: 'user', userId: 'a' }, 'a')).toBe('a');
  expect(() => actingUser({ kind: 'user', userId: 'a' }, 'b')).toThrow(expect.objectContaining({ code: 'other_user' }));
  expect(actingUser({ kind: 'service' }, 'b')).toBe('b');
  expect(actingUser({ kind: 'service' }, undefined)).toBeNull();
});
