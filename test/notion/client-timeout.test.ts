/** The Notion client's timeout: one exchange, from sending to the last byte, never the wait for the rate limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { createNotionClient, NotionRequestError, toNotionRequestError } from '../../src/notion/client.js';
import { createMemoryLimiter } from '../../src/notion/rate-limit/limiter.js';

const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
let fake: NotionFake;
beforeAll(async () => {
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'Reports' }] });
});
afterAll(() => fake.close());

const createChild = (client: ReturnType<typeof createNotionClient>, title: string) =>
  client.pages.create({ parent: { page_id: PARENT }, properties: { title: { title: [{ text: { content: title } }] } } } as never);

describe('createNotionClient timeout', () => {
  it('gives up on an answer that stalls mid-body, with a retryable timeout error, instead of waiting for ever', async () => {
    const outcomes: unknown[] = [];
    const client = createNotionClient({
      token: fake.token, baseUrl: fake.url, maxRetries: 0, timeoutMs: 1000,
      limiter: createMemoryLimiter({ requestsPerSecond: 0 }), onResponse: (o) => outcomes.push(o),
    });
    fake.faults.stallResponses(1, { method: 'POST', route: '/v1/pages' });
    const started = Date.now();
    const error = toNotionRequestError(await createChild(client, 'stalled').then(() => undefined, (e: unknown) => e), 'create page');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(NotionRequestError);
    expect(error).toMatchObject({ notionCode: 'notionhq_client_request_timeout', retryable: true });
    expect((error as Error).message).toMatch(/no complete answer within 1 s .*NOTION_TIMEOUT_MS/);
    expect(outcomes).toEqual(['timeout']);
  });

  it('does not count the wait for the rate limit: a request held back by Retry-After longer than the timeout still goes', async () => {
    const limiter = createMemoryLimiter({ requestsPerSecond: 0 });
    const client = createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0, timeoutMs: 1000, limiter });
    await limiter.pauseFor(1500);
    const page = (await createChild(client, 'after a pause')) as { id: string };
    expect(page.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads an HTML 502 from a proxy as a retryable server error, not a JSON parse failure', async () => {
    const client = createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 });
    fake.faults.failFromProxy(502, 1);
    const error = toNotionRequestError(await client.users.me({}).then(() => undefined, (e: unknown) => e), 'who am I');
    expect(error).toMatchObject({ status: 502, retryable: true });
  });
});
