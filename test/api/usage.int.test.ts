/**
 * The usage reads over HTTP, against the real database, over both transports
 * (REPORT_TIMEZONE America/New_York): every response validates against the
 * served OpenAPI document; each endpoint answers its SQL function's figures
 * (the hand sums of the calls below, distinct powers of two dollars and as
 * many tokens); a user token reads its own user's figures and never another's
 * (403 other_user when naming them; a session counts only its own calls);
 * installation-wide endpoints are the service's (403 service_only for a user,
 * 401 without a credential); recent records page by cursor, each call once.
 *
 * The calls are dated a second ago, so "today" and "this month" hold them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs, insertRows } from '../support/fixtures.js';
import { createContractChecker, mintToken, SERVICE_KEY, startTestApi, type TestApi } from '../support/api.js';
import { TRANSPORTS } from '../support/sources.js';

const TZ = 'America/New_York';
let db: TestDatabase;

const call = (request_id: string, cost: number, fields: Record<string, unknown>) => ({
  request_id, created_at: new Date(Date.now() - 1000).toISOString(), total_cost: cost, input_cost: null, output_cost: null,
  prompt_tokens: cost, completion_tokens: 0, organization_id: null, tier: 'free', service_type: 'workflow', feature: null,
  agent_id: null, provider: 'openai', model: 'gpt-4o', ...fields,
});

beforeAll(async () => {
  db = await createTestDatabase();
  await insertLogs(db.pool, [
    call('a1', 1, { user_id: 'alice', session_id: 'thread-1', feature: 'summarise', agent_id: 'bot' }),
    call('a2', 2, { user_id: 'alice', session_id: 'thread-1', agent_id: 'bot' }),
    call('a3', 4, { user_id: 'alice', session_id: 'thread-2', provider: 'anthropic', model: 'claude' }),
    // Bob shares a thread id with Alice: his calls in it are his alone.
    call('b1', 8, { user_id: 'bob', session_id: 'thread-1', feature: 'translate', agent_id: 'helper' }),
    call('b2', 16, { user_id: 'bob', session_id: 'thread-3' }),
  ]);
  await db.pool.query(`select tokensync_rollup_days(current_date - 2, current_date + 2, $1)`, [TZ]);
  await insertRows(db.pool, 'subscription_tiers', [{ tier: 'free', rank: 1, daily_token_quota: 10, monthly_token_quota: 1000 }]);
  await insertLimits(db.pool, [
    { entity_type: 'user', entity_id: 'alice', daily_limit: 100, monthly_limit: null },
    { entity_type: 'agent', entity_id: 'bot', daily_limit: 10, monthly_limit: null },
  ]);
  await db.pool.query(
    `insert into model_pricing (provider, model, effective_from, input_per_mtok, output_per_mtok) values ('acme', 'house-model', '2026-01-01', 3, 12)`,
  );
});
afterAll(() => db.drop());

describe.each(TRANSPORTS)('usage reads over %s', (transport) => {
  let api: TestApi;
  let contract: ReturnType<typeof createContractChecker>;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    api = await startTestApi(db, transport, { REPORT_TIMEZONE: TZ });
    contract = createContractChecker((await api.call('GET', '/openapi.json')).body as Parameters<typeof createContractChecker>[0]);
    alice = await mintToken({ sub: 'alice' });
    bob = await mintToken({ sub: 'bob' });
  });
  afterAll(() => api.close());

  /** GETs and checks the answer against the document. */
  const get = async (template: string, path: string, token?: string) => {
    const response = await api.call('GET', path, token === undefined ? {} : { token });
    contract.check('GET', template, response);
    return response as { status: number; body: Record<string, unknown> & { error?: { code: string } } };
  };

  /** A user endpoint: Alice's figures for Alice and the service, 403 for Bob naming her. */
  const userEndpoint = async (template: string, path: string) => {
    const own = await get(template, path, alice);
    const service = await get(template, path, SERVICE_KEY);
    const other = await get(template, path, bob);
    expect(own.status).toBe(200);
    expect(service.status).toBe(200);
    expect(other).toMatchObject({ status: 403, body: { error: { code: 'other_user' } } });
    expect(JSON.stringify(own.body)).not.toMatch(/bob|"b[12]"/);
    return { own: own.body, service: service.body };
  };

  it('GET /v1/usage/users/{userId}: today and this month', async () => {
    const { own, service } = await userEndpoint('/v1/usage/users/{userId}', '/v1/usage/users/alice');
    expect(own).toMatchObject({ userId: 'alice', timezone: TZ, today: { spent: 7, tokens: 7, held: 0 }, month: { spent: 7, tokens: 7 } });
    expect({ ...service, asOf: null }).toEqual({ ...own, asOf: null });
  });

  it('GET /v1/usage/users/{userId}/quota: the tier\'s quotas, the user\'s limits, warnings, operations', async () => {
    const { own } = await userEndpoint('/v1/usage/users/{userId}/quota', '/v1/usage/users/alice/quota');
    expect(own).toMatchObject({
      userId: 'alice', tier: 'free',
      quotas: [
        { period: 'daily', tokenQuota: 10, tokensUsed: 7, tokensRemaining: 3, utilisationPct: 70, warningPct: null, exceeded: false },
        { period: 'monthly', tokenQuota: 1000, tokensUsed: 7, tokensRemaining: 993 },
      ],
      limits: [{ period: 'daily', limit: 100, spent: 7, remaining: 93, utilisationPct: 7, breachAction: 'block' }],
      operations: [
        { operation: 'workflow', requests: 2, tokens: 6, spent: 6 },
        { operation: 'summarise', requests: 1, tokens: 1, spent: 1 },
      ],
    });
  });

  it('GET /v1/usage/users/{userId}/may-run: the budget question, tokens needed and remaining', async () => {
    const { own } = await userEndpoint('/v1/usage/users/{userId}/may-run', '/v1/usage/users/alice/may-run?estimatedTokens=5&feature=summarise');
    expect(own).toMatchObject({ allowed: false, tokensNeeded: 5, remainingTokens: 3, requiresUpgrade: false, upgrade: { tier: null, wouldAllow: false } });
    const fits = await get('/v1/usage/users/{userId}/may-run', '/v1/usage/users/alice/may-run?estimatedTokens=3', alice);
    expect(fits.body).toMatchObject({ allowed: true, remainingTokens: 3 });
  });

  it('GET /v1/usage/users/{userId}/models and /operations: by model and by operation', async () => {
    const models = await userEndpoint('/v1/usage/users/{userId}/models', '/v1/usage/users/alice/models');
    expect(models.own).toMatchObject({
      userId: 'alice', source: 'user_calls',
      models: [
        { provider: 'anthropic', model: 'claude', requests: 1, spent: 4 },
        { provider: 'openai', model: 'gpt-4o', requests: 2, spent: 3 },
      ],
    });
    const operations = await userEndpoint('/v1/usage/users/{userId}/operations', '/v1/usage/users/alice/operations');
    expect(operations.own).toMatchObject({ operations: [{ operation: 'workflow', spent: 6 }, { operation: 'summarise', spent: 1 }] });
  });

  it('GET /v1/usage/users/{userId}/records: newest first, by cursor, each call once; a bad cursor is 400', async () => {
    await userEndpoint('/v1/usage/users/{userId}/records', '/v1/usage/users/alice/records?limit=2');
    const seen: string[] = [];
    let path: string | null = '/v1/usage/users/alice/records?limit=2';
    let pages = 0;
    while (path && pages < 5) {
      const page = await get('/v1/usage/users/{userId}/records', path, alice);
      const body = page.body as unknown as { items: { requestId: string; userId: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((i) => i.requestId));
      expect(body.items.every((i) => i.userId === 'alice')).toBe(true);
      path = body.nextCursor ? `/v1/usage/users/alice/records?limit=2&cursor=${body.nextCursor}` : null;
      pages += 1;
    }
    expect(seen.sort()).toEqual(['a1', 'a2', 'a3']);
    expect(pages).toBe(2);
    const thread = await get('/v1/usage/users/{userId}/records', '/v1/usage/users/alice/records?sessionId=thread-1', alice);
    expect((thread.body as unknown as { items: { requestId: string }[] }).items.map((i) => i.requestId).sort()).toEqual(['a1', 'a2']);
    const bad = await get('/v1/usage/users/{userId}/records', '/v1/usage/users/alice/records?cursor=not-a-cursor', alice);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  });

  it('GET /v1/usage/sessions/{sessionId}: a user counts only its own calls in a thread', async () => {
    const template = '/v1/usage/sessions/{sessionId}';
    expect((await get(template, '/v1/usage/sessions/thread-1', alice)).body).toMatchObject({ userId: 'alice', calls: 2, spent: 3 });
    expect((await get(template, '/v1/usage/sessions/thread-1', bob)).body).toMatchObject({ userId: 'bob', calls: 1, spent: 8 });
    // Alice's own thread asked for by Bob: none of Alice's calls.
    expect((await get(template, '/v1/usage/sessions/thread-2', bob)).body).toMatchObject({ userId: 'bob', calls: 0, spent: 0, models: [] });
    expect(await get(template, '/v1/usage/sessions/thread-2?userId=alice', bob)).toMatchObject({ status: 403, body: { error: { code: 'other_user' } } });
    expect((await get(template, '/v1/usage/sessions/thread-1', SERVICE_KEY)).body).toMatchObject({ userId: null, calls: 3, spent: 11 });
  });

  describe('installation-wide figures: the service\'s, 403 for a user, 401 without a credential', () => {
    const installation = async (template: string, path: string) => {
      expect(await get(template, path, alice)).toMatchObject({ status: 403, body: { error: { code: 'service_only' } } });
      expect(await get(template, path)).toMatchObject({ status: 401, body: { error: { code: 'auth_required' } } });
      const response = await get(template, path, SERVICE_KEY);
      expect(response.status).toBe(200);
      return response.body;
    };

    it('GET /v1/usage/overview', async () => {
      expect(await installation('/v1/usage/overview', '/v1/usage/overview')).toMatchObject({
        timezone: TZ,
        today: { spent: 31, requests: 5, tokens: 31 },
        month: { spent: 31, requests: 5 },
        topModels: [{ model: 'gpt-4o', spent: 27 }, { model: 'claude', spent: 4 }],
        topAgents: [{ agentId: 'helper', spent: 8 }, { agentId: 'bot', spent: 3 }],
      });
    });

    it('GET /v1/usage/summary', async () => {
      expect(await installation('/v1/usage/summary', '/v1/usage/summary?model=gpt-4o')).toMatchObject({
        requests: 4, spent: 27, filters: { model: 'gpt-4o', provider: null, serviceType: null },
      });
      const reversed = await get('/v1/usage/summary', '/v1/usage/summary?from=2026-12-31&to=2026-01-01', SERVICE_KEY);
      expect(reversed).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    });

    it('GET /v1/usage/agents/budgets', async () => {
      expect(await installation('/v1/usage/agents/budgets', '/v1/usage/agents/budgets')).toMatchObject({
        agents: [{ agentId: 'bot', paused: false, limits: [{ period: 'daily', limit: 10, spent: 3, remaining: 7, utilisationPct: 30 }] }],
      });
    });

    it('GET /v1/usage/costs/models and /costs/operations', async () => {
      expect(await installation('/v1/usage/costs/models', '/v1/usage/costs/models')).toMatchObject({
        userId: null, source: 'daily_cost_breakdown', models: [{ model: 'gpt-4o', spent: 27 }, { model: 'claude', spent: 4 }],
      });
      expect(await installation('/v1/usage/costs/operations', '/v1/usage/costs/operations')).toMatchObject({
        operations: [{ operation: 'workflow', spent: 22 }, { operation: 'translate', spent: 8 }, { operation: 'summarise', spent: 1 }],
      });
    });

    it('GET /v1/usage/trends', async () => {
      const body = (await installation('/v1/usage/trends', '/v1/usage/trends?days=3')) as { days: { spent: number }[]; month: { spent: number; confidence: string } };
      expect(body.days.map((d) => d.spent)).toEqual([0, 0, 31]);
      expect(body.month).toMatchObject({ spent: 31 });
    });
  });

  it('GET /v1/pricing/estimate: the SDK\'s price, catalogue or model_pricing override', async () => {
    const template = '/v1/pricing/estimate';
    // gpt-4o: $2.50 / $10.00 per million tokens: 25,000 in and 2,500 out is $0.0875.
    const catalogue = await get(template, '/v1/pricing/estimate?provider=openai&model=gpt-4o&promptTokens=25000&completionTokens=2500', bob);
    expect(catalogue).toMatchObject({ status: 200, body: { known: true, totalCost: 0.0875, totalUsd: '0.087500', source: 'catalogue', estimated: false } });
    // The override: $3 / $12 per million: 1,000,000 in and 500,000 out is $9.
    const override = await get(template, '/v1/pricing/estimate?provider=acme&model=house-model&promptTokens=1000000&completionTokens=500000', alice);
    expect(override.body).toMatchObject({ known: true, totalCost: 9, source: 'override' });
    const invalid = await get(template, '/v1/pricing/estimate?provider=openai&model=gpt-4o&promptTokens=-1', alice);
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  });

  it('exercised every usage operation of the document', () => {
    const usage = contract.operations().filter((o) => / \/v1\/(usage|pricing)\//.test(o));
    expect(usage).toHaveLength(14);
    expect(contract.seen().filter((o) => usage.includes(o)).sort()).toEqual(usage.sort());
  });
});
