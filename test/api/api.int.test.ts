/**
 * The usage API's contract, against the real database, the server on port 0:
 * every response is checked against the OpenAPI document the server serves;
 * budget decisions behave as the SDK's (the same code makes them); a user
 * token acts only for its user; credentials that are not a user's or the
 * service's are 401 with a stable code; admin routes are the service's; the
 * rate limit answers 429 with Retry-After; no secret reaches the log.
 *
 * Prices by hand (OpenAI's pricing page, 2026-12): gpt-4o $2.50 per million
 * input tokens, $10.00 per million output: 25,000 in / 2,500 out = $0.0875.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits } from '../support/fixtures.js';
import { createContractChecker, mintToken, SERVICE_KEY, startTestApi, TEST_JWT_SECRET, type TestApi } from '../support/api.js';
import { TRANSPORTS } from '../support/sources.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const reset = () =>
  db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, agent_pauses, budget_audit, tokensync.budget_holds, feature_gates, subscription_tiers cascade');

const gpt4oCall = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  serviceType: 'workflow',
  provider: 'openai',
  model: 'gpt-4o',
  promptTokens: 25_000,
  completionTokens: 2_500,
  ...extra,
});

/**
 * One operation per endpoint, as a user of `userId` would call it (the hold is that user's).
 * admin: the service's alone (403 admin_only); installation: installation-wide figures (403
 * service_only); anyone: reads no user's figures. The rest act for the user they name.
 */
type Endpoint = {
  method: string;
  template: string;
  path: (holdId: string) => string;
  body: (userId: string) => unknown;
  admin?: boolean;
  installation?: boolean;
  anyone?: boolean;
};
const read = (template: string, path: string, extra: Partial<Endpoint> = {}): Endpoint => ({ method: 'GET', template, path: () => path, body: () => undefined, ...extra });
const ENDPOINTS: Endpoint[] = [
  { method: 'POST', template: '/v1/budget/check', path: () => '/v1/budget/check', body: (userId) => ({ userId, estimatedCost: 0.01 }) },
  { method: 'POST', template: '/v1/budget/reservations', path: () => '/v1/budget/reservations', body: (userId) => ({ userId, estimate: { costUsd: 0.01 } }) },
  {
    method: 'POST',
    template: '/v1/budget/reservations/{holdId}/settle',
    path: (holdId) => `/v1/budget/reservations/${holdId}/settle`,
    body: (userId) => gpt4oCall(`settle-${Math.random()}`, { userId }),
  },
  { method: 'DELETE', template: '/v1/budget/reservations/{holdId}', path: (holdId) => `/v1/budget/reservations/${holdId}`, body: () => undefined },
  { method: 'PUT', template: '/v1/admin/budget/limits/{entityType}/{entityId}', path: () => '/v1/admin/budget/limits/agent/bot', body: () => ({ dailyLimit: 5 }), admin: true },
  { method: 'POST', template: '/v1/admin/budget/limits/{entityType}/{entityId}/reset', path: () => '/v1/admin/budget/limits/agent/bot/reset', body: () => ({ period: 'daily' }), admin: true },
  { method: 'POST', template: '/v1/admin/agents/{agentId}/pause', path: () => '/v1/admin/agents/bot/pause', body: () => ({ reason: 'runaway loop' }), admin: true },
  { method: 'POST', template: '/v1/admin/agents/{agentId}/unpause', path: () => '/v1/admin/agents/bot/unpause', body: () => ({}), admin: true },
  // The usage reads (test/api/usage.int.test.ts checks their figures), each naming alice.
  read('/v1/usage/users/{userId}', '/v1/usage/users/alice'),
  read('/v1/usage/users/{userId}/quota', '/v1/usage/users/alice/quota'),
  read('/v1/usage/users/{userId}/may-run', '/v1/usage/users/alice/may-run?estimatedTokens=10'),
  read('/v1/usage/users/{userId}/models', '/v1/usage/users/alice/models'),
  read('/v1/usage/users/{userId}/operations', '/v1/usage/users/alice/operations'),
  read('/v1/usage/users/{userId}/records', '/v1/usage/users/alice/records?limit=5'),
  read('/v1/usage/sessions/{sessionId}', '/v1/usage/sessions/thread-1?userId=alice'),
  read('/v1/usage/overview', '/v1/usage/overview', { installation: true }),
  read('/v1/usage/summary', '/v1/usage/summary?model=gpt-4o', { installation: true }),
  read('/v1/usage/agents/budgets', '/v1/usage/agents/budgets', { installation: true }),
  read('/v1/usage/costs/models', '/v1/usage/costs/models', { installation: true }),
  read('/v1/usage/costs/operations', '/v1/usage/costs/operations', { installation: true }),
  read('/v1/usage/trends', '/v1/usage/trends?days=7', { installation: true }),
  read('/v1/pricing/estimate', '/v1/pricing/estimate?provider=openai&model=gpt-4o&promptTokens=1000', { anyone: true }),
];

describe.each(TRANSPORTS)('the usage API over %s', (transport) => {
  let api: TestApi;
  let contract: ReturnType<typeof createContractChecker>;
  let alice: string;
  let bob: string;
  const minted: string[] = [];

  beforeAll(async () => {
    api = await startTestApi(db, transport);
    const served = await api.call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    contract = createContractChecker(served.body as Parameters<typeof createContractChecker>[0]);
    alice = await mintToken({ sub: 'alice' });
    bob = await mintToken({ sub: 'bob' });
    minted.push(alice, bob);
  });
  afterAll(() => api.close());
  beforeEach(reset);

  /** Calls and checks the answer against the document. */
  const call = async (endpoint: Pick<Endpoint, 'method' | 'template'>, path: string, options: { token?: string; body?: unknown }) => {
    const response = await api.call(endpoint.method, path, options);
    contract.check(endpoint.method, endpoint.template, response);
    return response;
  };
  const reserveFor = async (token: string, body: unknown = { estimate: { costUsd: 0.01 } }) => {
    const response = await call(ENDPOINTS[1]!, '/v1/budget/reservations', { token, body });
    expect(response.status).toBe(200);
    return response.body as { allowed: boolean; hold: { id: string } | null; source: string; reason: string };
  };

  it('decides like the SDK: holds up to the cap, denies past it, settles at the SDK\'s price, releases once', async () => {
    await insertLimits(db.pool, [{ entity_type: 'user', entity_id: 'alice', daily_limit: 0.2, breach_action: 'block', grace_pct: 0 }]);
    const check = await call(ENDPOINTS[0]!, '/v1/budget/check', { token: alice, body: { estimatedCost: 0.15 } });
    expect(check.body).toMatchObject({ allowed: true, remainingBudget: 0.2, source: 'database' });

    const first = await reserveFor(alice, { estimate: { provider: 'openai', model: 'gpt-4o', promptTokens: 25_000, completionTokens: 2_500 } });
    expect(first).toMatchObject({ allowed: true, estimate: 'priced', estimatedCost: 0.0875, source: 'database' });
    const second = await reserveFor(alice, { estimate: { costUsd: 0.0875 } });
    expect(second.allowed).toBe(true);
    const third = await reserveFor(alice, { estimate: { costUsd: 0.0875 } });
    expect(third).toMatchObject({ allowed: false, hold: null });

    const settled = await call(ENDPOINTS[2]!, `/v1/budget/reservations/${first.hold!.id}/settle`, { token: alice, body: gpt4oCall('api-call-1') });
    expect(settled).toMatchObject({ status: 200, body: { via: 'settled' } });
    const logged = await db.pool.query(`select user_id, total_cost = 0.0875 as exact from token_usage_logs where request_id = 'api-call-1'`);
    expect(logged.rows).toEqual([{ user_id: 'alice', exact: true }]);

    const released = await call(ENDPOINTS[3]!, `/v1/budget/reservations/${second.hold!.id}`, { token: alice });
    expect(released).toMatchObject({ status: 200, body: { released: true } });
    const again = await call(ENDPOINTS[3]!, `/v1/budget/reservations/${second.hold!.id}`, { token: alice });
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'hold_not_found' } } });
    expect((await db.pool.query('select count(*)::int as n from tokensync.budget_holds')).rows[0].n).toBe(0);
  });

  it('refuses a settle record() would refuse, with the reason, and drops its hold', async () => {
    const { hold } = await reserveFor(alice);
    const refused = await call(ENDPOINTS[2]!, `/v1/budget/reservations/${hold!.id}/settle`, {
      token: alice,
      body: gpt4oCall('bad-call', { cachedTokens: 30_000 }),
    });
    expect(refused).toMatchObject({ status: 422, body: { error: { code: 'usage_refused' } } });
    expect((refused.body as { error: { message: string } }).error.message).toMatch(/cachedTokens/);
    expect((await db.pool.query('select count(*)::int as n from tokensync.budget_holds')).rows[0].n).toBe(0);
  });

  it('answers a malformed body 400 invalid_request', async () => {
    const response = await call(ENDPOINTS[1]!, '/v1/budget/reservations', { token: alice, body: { estimate: { costUsd: -1 } } });
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  });

  it('lets the service act for any user and administer budgets, each change audited', async () => {
    const reserved = await call(ENDPOINTS[1]!, '/v1/budget/reservations', { token: SERVICE_KEY, body: { userId: 'carol', estimate: { costUsd: 0.01 } } });
    const hold = (reserved.body as { hold: { id: string } }).hold;
    const settled = await call(ENDPOINTS[2]!, `/v1/budget/reservations/${hold.id}/settle`, { token: SERVICE_KEY, body: gpt4oCall('svc-1') });
    expect(settled.body).toEqual({ via: 'settled' });
    expect((await db.pool.query(`select user_id from token_usage_logs where request_id = 'svc-1'`)).rows).toEqual([{ user_id: 'carol' }]);

    const serviceJwt = await mintToken({ role: 'service_role' });
    minted.push(serviceJwt);
    const set = await call(ENDPOINTS[4]!, '/v1/admin/budget/limits/agent/bot', { token: serviceJwt, body: { dailyLimit: 5, breachAction: 'block', actor: 'ops:dana' } });
    expect(set).toMatchObject({ status: 200, body: { entityType: 'agent', entityId: 'bot', dailyLimit: 5, breachAction: 'block' } });
    const resetSpend = await call(ENDPOINTS[5]!, '/v1/admin/budget/limits/agent/bot/reset', { token: SERVICE_KEY, body: { period: 'daily' } });
    expect(resetSpend.status).toBe(200);
    expect((resetSpend.body as { dailyResetAt: string | null }).dailyResetAt).not.toBeNull();
    const paused = await call(ENDPOINTS[6]!, '/v1/admin/agents/bot/pause', { token: SERVICE_KEY, body: { reason: 'runaway loop' } });
    expect(paused).toMatchObject({ status: 200, body: { agentId: 'bot', reason: 'runaway loop', pausedUntil: null, pausedBy: 'api:service' } });

    const denied = await reserveFor(SERVICE_KEY, { agentId: 'bot', estimate: { costUsd: 0.01 } });
    expect(denied).toMatchObject({ allowed: false });
    // No body at all: every field of an unpause is optional.
    const unpaused = await call(ENDPOINTS[7]!, '/v1/admin/agents/bot/unpause', { token: SERVICE_KEY });
    expect(unpaused.body).toEqual({ unpaused: true });
    expect((await reserveFor(SERVICE_KEY, { agentId: 'bot', estimate: { costUsd: 0.01 } })).allowed).toBe(true);

    const audit = await db.pool.query(`select actor, action from budget_audit where entity_id = 'bot' order by id`);
    expect(audit.rows.map((r) => r.actor)).toEqual(['ops:dana', 'api:service', 'api:service', 'api:service']);

    const missing = await call(ENDPOINTS[5]!, '/v1/admin/budget/limits/agent/nobody/reset', { token: SERVICE_KEY, body: {} });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'limit_not_found' } } });
  });

  describe('a user token acts only for its own user', () => {
    it.each(ENDPOINTS.filter((e) => !e.admin && !e.installation && !e.anyone))('$method $template: naming another user, or using their hold, is 403', async (endpoint) => {
      const { hold } = await reserveFor(alice);
      const response = await call(endpoint, endpoint.path(hold!.id), { token: bob, body: endpoint.body('alice') });
      expect(response.status).toBe(403);
      const code = (response.body as { error: { code: string } }).error.code;
      expect(code).toBe(endpoint.template.includes('{holdId}') && endpoint.method === 'DELETE' ? 'hold_not_yours' : 'other_user');
      if (endpoint.template.includes('{holdId}')) {
        // Bob's own user named, Alice's hold: still refused, and the hold is still there.
        const ownName = await call(endpoint, endpoint.path(hold!.id), { token: bob, body: endpoint.body('bob') });
        expect(ownName).toMatchObject({ status: 403, body: { error: { code: 'hold_not_yours' } } });
        expect((await db.pool.query('select count(*)::int as n from tokensync.budget_holds')).rows[0].n).toBe(1);
      }
    });

    it.each(ENDPOINTS.filter((e) => e.admin))('$method $template: admin only, 403 for a user', async (endpoint) => {
      const response = await call(endpoint, endpoint.path(''), { token: alice, body: endpoint.body('alice') });
      expect(response).toMatchObject({ status: 403, body: { error: { code: 'admin_only' } } });
    });

    it.each(ENDPOINTS.filter((e) => e.installation))('$method $template: installation-wide, 403 for a user', async (endpoint) => {
      const response = await call(endpoint, endpoint.path(''), { token: alice });
      expect(response).toMatchObject({ status: 403, body: { error: { code: 'service_only' } } });
    });
  });

  describe('anything but a user\'s or the service\'s credential is 401, with a stable code', () => {
    const credentials = async () => {
      const anonKey = await mintToken({ role: 'anon' });
      const expired = await mintToken({ sub: 'alice', expiresIn: Math.floor(Date.now() / 1000) - 60 });
      const forged = await mintToken({ sub: 'alice' }, 'another-secret-of-at-least-thirty-two-characters');
      minted.push(anonKey, expired, forged);
      return [
        { name: 'no token', token: undefined, code: 'auth_required' },
        { name: 'the anon key', token: anonKey, code: 'role_not_allowed' },
        { name: 'an expired token', token: expired, code: 'token_expired' },
        { name: 'a token signed with another secret', token: forged, code: 'token_invalid' },
        { name: 'a wrong service key', token: `${SERVICE_KEY}x`, code: 'token_invalid' },
      ];
    };
    it.each(ENDPOINTS)('$method $template', async (endpoint) => {
      for (const { name, token, code } of await credentials()) {
        const response = await call(endpoint, endpoint.path('00000000-0000-4000-8000-000000000000'), { ...(token ? { token } : {}), body: endpoint.body('alice') });
        expect({ name, status: response.status, code: (response.body as { error: { code: string } }).error.code }).toEqual({ name, status: 401, code });
      }
    });
  });

  it('serves /healthz, /readyz, /metrics and a reference page whose files are all local', async () => {
    const health = await fetch(`${api.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    const ready = await fetch(`${api.url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/tokensync_api_requests_total\{method="POST",route="\/v1\/budget\/reservations",status="200"\} \d+/);
    expect(metrics).toMatch(/tokensync_api_auth_failures_total\{code="token_expired"\} \d+/);
    const page = await (await fetch(`${api.url}/docs/`)).text();
    expect(page).toMatch(/swagger-ui/);
    const external = [...page.matchAll(/(?:src|href)="(https?:[^"]+)"/g)].map((m) => m[1]);
    expect(external).toEqual([]);
    const bundle = await fetch(`${api.url}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
  });

  it('answers unknown routes 404 not_found in the error envelope', async () => {
    const response = await api.call('GET', '/v1/nothing', { token: alice });
    expect(response).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('checked every operation of the document (and the document has them all)', () => {
    expect(contract.operations().sort()).toEqual(ENDPOINTS.map((e) => `${e.method} ${e.template}`).sort());
    expect(contract.seen().sort()).toEqual(contract.operations().sort());
  });

  it('never writes a key, a secret or a token to the log', () => {
    const log = api.logText();
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of [SERVICE_KEY, TEST_JWT_SECRET, ...minted]) expect(log).not.toContain(secret);
    // Nor a token's signature alone.
    for (const token of minted) expect(log).not.toContain(token.split('.')[2]);
  });
});

describe('the rate limit', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(db, 'postgres', { API_RATE_LIMIT_BURST: '2', API_RATE_LIMIT_PER_SECOND: '0.05' });
  });
  afterAll(() => api.close());

  it('answers 429 with Retry-After past a caller\'s burst, and keeps other callers\' buckets apart', async () => {
    const served = await api.call('GET', '/openapi.json');
    const contract = createContractChecker(served.body as Parameters<typeof createContractChecker>[0]);
    const erin = await mintToken({ sub: 'erin' });
    const check = () => api.call('POST', '/v1/budget/check', { token: erin, body: {} });
    expect((await check()).status).toBe(200);
    expect((await check()).status).toBe(200);
    const limited = await check();
    contract.check('POST', '/v1/budget/check', limited);
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    expect(Number(limited.headers.get('retry-after'))).toBe(20);
    const other = await api.call('POST', '/v1/budget/check', { token: await mintToken({ sub: 'frank' }), body: {} });
    expect(other.status).toBe(200);
  });

  it('limits failed authentication by address, so tokens cannot be guessed at speed', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.call('POST', '/v1/budget/check', { token: `guess-${i}`, body: {} })).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
  });
});

describe('when the database does not answer', () => {
  const PASSWORD = 'pw-that-must-not-be-logged';
  let api: TestApi;
  beforeAll(async () => {
    // Nothing listens on port 1: every call fails fast.
    api = await startTestApi(db, 'configured', { DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:1/nothing`, BUDGET_CHECK_TIMEOUT_MS: '2000' });
  });
  afterAll(() => api.close());

  it('decides by the fail policy as the SDK does, answers 503 where it cannot decide, and logs no password', async () => {
    const served = await api.call('GET', '/openapi.json');
    const contract = createContractChecker(served.body as Parameters<typeof createContractChecker>[0]);
    const token = await mintToken({ sub: 'gina' });
    const check = await api.call('POST', '/v1/budget/check', { token, body: {} });
    contract.check('POST', '/v1/budget/check', check);
    expect(check.body).toMatchObject({ allowed: true, source: 'fail-open' });
    const reserved = await api.call('POST', '/v1/budget/reservations', { token, body: {} });
    contract.check('POST', '/v1/budget/reservations', reserved);
    expect(reserved.body).toMatchObject({ allowed: true, source: 'fail-open', hold: null });

    const released = await api.call('DELETE', '/v1/budget/reservations/00000000-0000-4000-8000-000000000000', { token: SERVICE_KEY });
    contract.check('DELETE', '/v1/budget/reservations/{holdId}', released);
    expect(released).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
    const admin = await api.call('POST', '/v1/admin/agents/bot/unpause', { token: SERVICE_KEY, body: {} });
    contract.check('POST', '/v1/admin/agents/{agentId}/unpause', admin);
    expect(admin).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });

    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).not.toContain(PASSWORD);
    expect(api.logText()).toMatch(/database/);
    expect(api.logText()).not.toContain(PASSWORD);
  });
});
