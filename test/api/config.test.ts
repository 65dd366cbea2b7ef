import { describe, expect, it } from 'vitest';
import { requireApiConfig } from '../../src/config/api.js';
import { loadConfig } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => i.variable);
    throw error;
  }
  return [];
};

describe('the API configuration', () => {
  it('defaults to 127.0.0.1:8787 and a bucket of 20 refilled at 10 per second', () => {
    expect(loadConfig({}).api).toMatchObject({ host: '127.0.0.1', port: 8787, rateLimitBurst: 20, rateLimitPerSecond: 10 });
  });

  it('names each bad variable', () => {
    expect(issuesOf(() => loadConfig({ API_PORT: '70000', API_RATE_LIMIT_PER_SECOND: '0', SUPABASE_JWKS_URL: 'not a url', SUPABASE_JWT_SECRET: 'short' }))).toEqual(
      ['API_PORT', 'API_RATE_LIMIT_PER_SECOND', 'SUPABASE_JWT_SECRET', 'SUPABASE_JWKS_URL'],
    );
  });

  it('needs a way to verify tokens and a key for hold ids, said when the API starts', () => {
    expect(issuesOf(() => requireApiConfig(loadConfig({}).api, undefined))).toEqual(['SUPABASE_JWT_SECRET', 'SUPABASE_SERVICE_ROLE_KEY']);
    expect(issuesOf(() => requireApiConfig(loadConfig({ SUPABASE_JWKS_URL: 'https://p.supabase.co/auth/v1/.well-known/jwks.json' }).api, 'k'.repeat(40)))).toEqual([]);
  });

  it('reads which proxies to believe: none by default, any, a hop count, or addresses', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: 'true' }).api.trustProxy).toBe(true);
    expect(loadConfig({ API_TRUST_PROXY: '1' }).api.trustProxy).toBe(1);
    expect(loadConfig({ API_TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }).api.trustProxy).toBe('127.0.0.1,10.0.0.0/8');
    expect(issuesOf(() => loadConfig({ API_TRUST_PROXY: 'everyone' }))).toEqual(['API_TRUST_PROXY']);
  });

  it('treats the JWT secret as a secret', () => {
    const secret = 'a-jwt-secret-of-at-least-thirty-two-characters';
    expect(loadConfig({ SUPABASE_JWT_SECRET: secret }).secrets).toContain(secret);
  });
});
