/**
 * The usage API for tests: started on port 0 over a test database, its logs
 * captured, users' tokens minted with a test secret, and every response checked
 * against the OpenAPI document the server itself serves.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { createApiServer } from '../../src/api/server.js';
import { createApiServices } from '../../src/api/services.js';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { openTransport } from '../../src/supabase/source.js';
import { Writable } from 'node:stream';
import type { TestDatabase } from './database.js';
import { openTransportFor, TEST_SERVICE_ROLE_KEY, type TransportName } from './sources.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-of-at-least-thirty-two-characters';
export const SERVICE_KEY = TEST_SERVICE_ROLE_KEY;

/** A token as Supabase Auth signs it: HS256, role and sub, an hour to live unless said otherwise. */
export function mintToken(claims: { sub?: string; role?: string; expiresIn?: string | number }, secret = TEST_JWT_SECRET): Promise<string> {
  const { sub, role = 'authenticated', expiresIn = '1h' } = claims;
  const jwt = new SignJWT({ role, aud: 'authenticated' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(expiresIn);
  return (sub === undefined ? jwt : jwt.setSubject(sub)).sign(new TextEncoder().encode(secret));
}

export interface TestApi {
  url: string;
  /** Every log line, as written (after scrubbing). */
  logText(): string;
  call(method: string, path: string, options?: { token?: string | undefined; body?: unknown }): Promise<{ status: number; headers: Headers; body: unknown }>;
  close(): Promise<void>;
}

/** `transport: 'configured'` opens what the configuration names (e.g. a DATABASE_URL that does not answer). */
export async function startTestApi(db: TestDatabase, transport: TransportName | 'configured', env: Record<string, string> = {}): Promise<TestApi> {
  const config = loadConfig({
    DATABASE_URL: db.url,
    SUPABASE_URL: 'http://supabase.test',
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    SUPABASE_TRANSPORT: 'postgres',
    SUPABASE_JWT_SECRET: TEST_JWT_SECRET,
    API_PORT: '0',
    API_RATE_LIMIT_BURST: '10000',
    // A loaded machine may be slow: a decision by the fail policy is not what is tested here.
    BUDGET_CHECK_TIMEOUT_MS: '30000',
    BUDGET_CHECK_CACHE_TTL_MS: '0',
    ...env,
  });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ destination, format: 'json', level: 'debug', secrets: config.secrets });
  const services = createApiServices({
    config,
    logger,
    transport: transport === 'configured' ? openTransport(config, { allowExitOnIdle: true }) : openTransportFor(db, transport),
  });
  const { app } = await createApiServer({ config, logger, services });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    logText: () => lines.join(''),
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await app.close();
      await services.close();
    },
  };
}

type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** Checks responses against the served OpenAPI document, and remembers which operations were seen. */
export function createContractChecker(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  const seen = new Set<string>();
  return {
    operations: () => Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
    seen: () => [...seen],
    /** The response's status is documented for the operation, and its body is valid against that response's schema. */
    check(method: string, template: string, response: { status: number; body: unknown }) {
      const operation = document.paths[template]?.[method.toLowerCase()];
      expect(operation, `${method} ${template} is in the document`).toBeDefined();
      expect(Object.keys(operation!.responses), `${method} ${template} documents ${response.status}`).toContain(String(response.status));
      const ref = `openapi.json#/${pointer('paths', template, method.toLowerCase(), 'responses', String(response.status), 'content', 'application/json', 'schema')}`;
      const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      const valid = validate(response.body);
      expect(valid ? [] : validate.errors, `${method} ${template} ${response.status}: ${JSON.stringify(response.body)}`).toEqual([]);
      seen.add(`${method.toUpperCase()} ${template}`);
    },
  };
}
