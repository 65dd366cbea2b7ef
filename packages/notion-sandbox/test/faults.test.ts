import { afterEach, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { NOTION_VERSION, PARENT_PAGE_ID, addRow, apiError, clientFor, createUsageDatabase, startFake, text } from './helpers.js';

let fake: NotionFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After once the burst is spent', async () => {
    fake = await startFake({ rateLimit: { requestsPerSecond: 1, burst: 2 } });
    const notion = clientFor(fake, { retry: false });
    await notion.users.me({});
    await notion.users.me({});
    const error = await apiError(() => notion.users.me({}));
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limited');
    const retryAfter = Number((error.headers as Headers).get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect(JSON.parse(error.body)).toMatchObject({ object: 'error', status: 429, code: 'rate_limited', additional_data: { rate_limit_reason: expect.any(String) } });
    expect(fake.count({ route: '/v1/users/me', status: 429 })).toBe(1);
  });

  it('is per token, and the SDK’s retries get through once tokens refill', async () => {
    fake = await startFake({ rateLimit: { requestsPerSecond: 20, burst: 1 }, tokens: ['secret_a', 'secret_b'] });
    const a = clientFor(fake, { auth: 'secret_a', retry: { maxRetries: 5, initialRetryDelayMs: 10, maxRetryDelayMs: 60 } });
    const b = clientFor(fake, { auth: 'secret_b', retry: false });
    await Promise.all([a.users.me({}), a.users.me({}), a.users.me({})]);
    await b.users.me({});
    expect(fake.count({ route: '/v1/users/me', status: 429 })).toBeGreaterThan(0);
    expect(fake.count({ route: '/v1/users/me', status: 200 })).toBe(4);
  });

  it('can be switched off and on at runtime', async () => {
    fake = await startFake({ rateLimit: { requestsPerSecond: 1, burst: 1 } });
    const notion = clientFor(fake, { retry: false });
    fake.setRateLimit(false);
    for (let i = 0; i < 20; i += 1) await notion.users.me({});
    fake.setRateLimit({ requestsPerSecond: 1, burst: 1 });
    await notion.users.me({});
    expect((await apiError(() => notion.users.me({}))).code).toBe('rate_limited');
  });
});

describe('injected faults', () => {
  it('503s on a read are retried by the SDK; the stats show them', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: { maxRetries: 3, initialRetryDelayMs: 5, maxRetryDelayMs: 20 } });
    fake.faults.fail(503, 2, { method: 'GET', route: '/v1/pages/:page_id' });
    const page = await notion.pages.retrieve({ page_id: PARENT_PAGE_ID });
    expect(page.id).toBe(PARENT_PAGE_ID);
    expect(fake.count({ route: '/v1/pages/:page_id', status: 503 })).toBe(2);
    expect(fake.count({ route: '/v1/pages/:page_id', status: 200 })).toBe(1);
    expect(fake.faults.pending()).toEqual([]);
  });

  it('a 500 on a create is not retried; a 529 service_overload is, honouring Retry-After', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: { maxRetries: 2, initialRetryDelayMs: 5, maxRetryDelayMs: 20 } });
    const { dataSourceId } = await createUsageDatabase(notion);
    fake.faults.fail(500, 1, { method: 'POST', route: '/v1/pages' });
    const error = await apiError(() => addRow(notion, dataSourceId, { requestId: 'a' }));
    expect([error.status, error.code]).toEqual([500, 'internal_server_error']);
    expect(fake.state.pages(dataSourceId)).toHaveLength(0);

    fake.faults.fail(529, 1, { method: 'POST', route: '/v1/pages' });
    await addRow(notion, dataSourceId, { requestId: 'b' });
    expect(fake.count({ route: '/v1/pages', status: 529 })).toBe(1);
    expect(fake.state.pages(dataSourceId)).toHaveLength(1);
  });

  it('a lost response: the page is created but the client gets no answer', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: false });
    const { dataSourceId } = await createUsageDatabase(notion);
    fake.faults.loseResponses(1);
    await expect(addRow(notion, dataSourceId, { requestId: 'lost-1', supabaseId: 'sb-lost' })).rejects.toThrow();
    expect(fake.state.findPages(dataSourceId, 'Supabase ID', 'sb-lost')).toHaveLength(1);
    expect(fake.count({ method: 'POST', route: '/v1/pages', status: 'lost' })).toBe(1);
    // The retry a careful client makes can find it.
    const found = await notion.dataSources.query({ data_source_id: dataSourceId, filter: { property: 'Supabase ID', rich_text: { equals: 'sb-lost' } } });
    expect(found.results).toHaveLength(1);
  });

  it('409 conflict_error and 504 gateway_timeout can be injected too', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: false });
    fake.faults.fail(409, 1, { method: 'PATCH' });
    fake.faults.fail(504, 1, { route: /^\/v1\/users/ });
    expect((await apiError(() => notion.users.me({}))).code).toBe('gateway_timeout');
    expect((await apiError(() => notion.pages.update({ page_id: PARENT_PAGE_ID, properties: {} }))).code).toBe('conflict_error');
    expect((await notion.users.me({})).id).toBe(fake.botId);
  });

  it('429 rate_limited with a Retry-After above 60 s, as the workspace-wide limit answers', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: false });
    fake.faults.fail(429, 1, { route: '/v1/users/me' }, 61);
    const error = await apiError(() => notion.users.me({}));
    expect([error.status, error.code]).toEqual([429, 'rate_limited']);
    expect((error.headers as Headers).get('retry-after')).toBe('61');
    expect(JSON.parse(error.body)).toMatchObject({ additional_data: { rate_limit_reason: expect.any(String) } });
    expect((await notion.users.me({})).id).toBe(fake.botId);
  });

  it('a proxy in front of Notion answers 502 with an HTML page, no request id', async () => {
    fake = await startFake();
    fake.faults.failFromProxy(502, 1, { method: 'GET', route: '/v1/users/me' });
    const response = await fetch(`${fake.url}/v1/users/me`, { headers: { authorization: `Bearer ${fake.token}`, 'notion-version': NOTION_VERSION } });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(response.headers.get('cf-ray')).toMatch(/^[0-9a-f]{16}-FRA$/);
    const body = await response.text();
    expect(body).toContain('<title>502 Bad Gateway</title>');
    expect(() => JSON.parse(body)).toThrow();
    expect(fake.count({ route: '/v1/users/me', status: 502 })).toBe(1);
    // The SDK sees an unknown HTTP response, not one of Notion's error codes.
    fake.faults.failFromProxy(502, 1);
    const error = (await clientFor(fake, { retry: false }).users.me({}).then(() => undefined, (e: unknown) => e)) as { code?: string; status?: number; message?: string };
    expect([error.code, error.status]).toEqual(['notionhq_client_response_error', 502]);
    expect(error.message).toMatch(/Cloudflare Ray ID/);
    expect((await clientFor(fake, { retry: false }).users.me({})).id).toBe(fake.botId);
  });

  it('a stalled answer: the create takes effect, the headers and half the body arrive, then nothing', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: false });
    const { dataSourceId } = await createUsageDatabase(notion);
    fake.faults.stallResponses(1);
    const abort = new AbortController();
    const response = await fetch(`${fake.url}/v1/pages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'notion-version': NOTION_VERSION, 'content-type': 'application/json' },
      body: JSON.stringify({ parent: { data_source_id: dataSourceId }, properties: { 'Request ID': { title: text('stalled-1') }, 'Supabase ID': { rich_text: text('sb-stalled') } } }),
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const declared = Number(response.headers.get('content-length'));
    const reader = response.body!.getReader();
    let received = 0;
    const next = () => reader.read().then((r) => (r.done ? 'done' : ((received += r.value.length), 'chunk')));
    expect(await next()).toBe('chunk');
    // Nothing more comes, nor the end of the body.
    expect(await Promise.race([next(), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))])).toBe('waiting');
    expect(received).toBeLessThan(declared);
    abort.abort();
    expect(fake.state.findPages(dataSourceId, 'Supabase ID', 'sb-stalled')).toHaveLength(1);
    expect(fake.count({ method: 'POST', route: '/v1/pages', status: 'stalled' })).toBe(1);
    expect(fake.faults.pending()).toEqual([]);
  });

  it('400 validation_error can be injected: a refusal no retry mends, the request not applied', async () => {
    fake = await startFake();
    const notion = clientFor(fake, { retry: false });
    const { dataSourceId } = await createUsageDatabase(notion);
    fake.faults.fail(400, 1, { method: 'POST', route: '/v1/pages' });
    expect(await apiError(() => addRow(notion, dataSourceId, { requestId: 'refused' }))).toMatchObject({ status: 400, code: 'validation_error' });
    expect(fake.state.pages(dataSourceId)).toHaveLength(0);
    await addRow(notion, dataSourceId, { requestId: 'taken' });
    expect(fake.count({ status: 400 })).toBe(1);
  });

  it('slow responses', async () => {
    fake = await startFake();
    const notion = clientFor(fake);
    fake.faults.delay(150, { count: 1 });
    const started = performance.now();
    await notion.users.me({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    const quick = performance.now();
    await notion.users.me({});
    expect(performance.now() - quick).toBeLessThan(140);
  });

  it('stats count by method, route and status', async () => {
    fake = await startFake();
    const notion = clientFor(fake);
    await notion.users.me({});
    await apiError(() => notion.pages.retrieve({ page_id: 'a3f1b2c4-5678-4def-abcd-1234567890ab' }));
    const stats = fake.stats();
    expect(stats.total).toBe(2);
    expect(stats.byStatus).toEqual({ 200: 1, 404: 1 });
    expect(stats.entries).toContainEqual({ method: 'GET', route: '/v1/pages/:page_id', status: 404, count: 1 });
    fake.resetStats();
    expect(fake.stats().total).toBe(0);
  });
});
