import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { NOTION_VERSION, PARENT_PAGE_ID, PRIVATE_PAGE_ID, apiError, bodyOf, clientFor, startFake, text } from './helpers.js';

let fake: NotionFake;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(() => fake.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function raw(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(`${fake.url}${path}`, init);
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: (await response.json()) as Record<string, unknown> };
}

const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${fake.token}`, 'notion-version': NOTION_VERSION, ...extra });

describe('errors have Notion’s exact shape', () => {
  it('401 unauthorized without a bearer token, with x-request-id equal to request_id', async () => {
    const res = await raw('/v1/users/me', { headers: { 'notion-version': NOTION_VERSION } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ object: 'error', status: 401, code: 'unauthorized', message: 'API token is invalid.', request_id: res.requestId });
    expect(res.requestId).toMatch(UUID);
    expect(Object.keys(res.body)).toEqual(['object', 'status', 'code', 'message', 'request_id']);
  });

  it('401 unauthorized for a token the fake does not know (through the SDK)', async () => {
    const error = await apiError(() => clientFor(fake, { auth: 'secret_wrong' }).users.me({}));
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.request_id).toBe(error.headers instanceof Headers ? error.headers.get('x-request-id') : undefined);
  });

  it('400 missing_version without a Notion-Version header', async () => {
    const res = await raw('/v1/users/me', { headers: { authorization: `Bearer ${fake.token}` } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      object: 'error',
      status: 400,
      code: 'missing_version',
      message: 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
      request_id: res.requestId,
    });
  });

  it('400 invalid_json for a body that is not JSON', async () => {
    const res = await raw('/v1/pages', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: '{"parent": ' });
    expect(res.body).toMatchObject({ object: 'error', status: 400, code: 'invalid_json', message: 'Error parsing JSON body.' });
  });

  it('400 validation_error for a body over 500 KB', async () => {
    const body = JSON.stringify({ parent: { page_id: PARENT_PAGE_ID }, padding: 'x'.repeat(520 * 1024) });
    const res = await raw('/v1/pages', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
  });

  it('400 invalid_request_url for an unknown endpoint', async () => {
    const res = await raw('/v1/nothing/here', { headers: headers() });
    expect(res.body).toMatchObject({ status: 400, code: 'invalid_request_url' });
  });

  it('every success carries x-request-id too', async () => {
    const response = await fetch(`${fake.url}/v1/users/me`, { headers: headers() });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(body.request_id);
  });
});

describe('pages the integration cannot see', () => {
  it('a page not shared with the integration is object_not_found, exactly like a missing one', async () => {
    const notion = clientFor(fake);
    const hidden = await apiError(() => notion.pages.retrieve({ page_id: PRIVATE_PAGE_ID }));
    const missing = await apiError(() => notion.pages.retrieve({ page_id: 'a3f1b2c4-5678-4def-abcd-1234567890ab' }));
    for (const [error, id] of [[hidden, PRIVATE_PAGE_ID], [missing, 'a3f1b2c4-5678-4def-abcd-1234567890ab']] as const) {
      expect(error.status).toBe(404);
      expect(bodyOf(error)).toEqual({
        object: 'error',
        status: 404,
        code: 'object_not_found',
        message: `Could not find page with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
        request_id: error.request_id,
      });
    }
  });

  it('nothing can be created under an unshared page, and sharing it later makes it visible', async () => {
    const notion = clientFor(fake);
    const error = await apiError(() => notion.databases.create({ parent: { type: 'page_id', page_id: PRIVATE_PAGE_ID }, title: text('x') }));
    expect(error.code).toBe('object_not_found');
    fake.share(PRIVATE_PAGE_ID, true);
    const page = await notion.pages.retrieve({ page_id: PRIVATE_PAGE_ID.replace(/-/g, '') });
    expect(page.id).toBe(PRIVATE_PAGE_ID);
    fake.share(PRIVATE_PAGE_ID, false);
  });

  it('a malformed id is a validation_error, a database id given as a page is a validation_error', async () => {
    const notion = clientFor(fake);
    expect((await apiError(() => notion.pages.retrieve({ page_id: 'not-an-id' }))).code).toBe('validation_error');
    const db = await notion.databases.create({ parent: { type: 'page_id', page_id: PARENT_PAGE_ID }, title: text('Kinds') });
    const error = await apiError(() => notion.pages.retrieve({ page_id: db.id }));
    expect(error.code).toBe('validation_error');
    expect(error.message).toContain('is a database, not a page');
  });
});

describe('users', () => {
  it('users.me is the integration’s bot', async () => {
    const me = await clientFor(fake).users.me({});
    expect(me).toMatchObject({ object: 'user', id: fake.botId, type: 'bot', bot: { owner: { type: 'workspace', workspace: true } } });
    expect(me.name).toBeTruthy();
  });
});

describe('an integration with only the Read content capability (readOnlyTokens)', () => {
  let readOnly: NotionFake;
  beforeAll(async () => {
    readOnly = await startFake({ tokens: ['secret_full', 'secret_read'], readOnlyTokens: ['secret_read'] });
  });
  afterAll(() => readOnly.close());

  it('reads and queries, and gets 403 restricted_resource on every write', async () => {
    const reader = clientFor(readOnly, { auth: 'secret_read' });
    await expect(reader.pages.retrieve({ page_id: PARENT_PAGE_ID })).resolves.toMatchObject({ id: PARENT_PAGE_ID });
    const error = await apiError(() =>
      reader.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: [{ text: { content: 'x' } }] } } }),
    );
    expect(error).toMatchObject({ status: 403, code: 'restricted_resource', message: 'Insufficient permissions for this endpoint.' });

    const writer = clientFor(readOnly, { auth: 'secret_full' });
    await expect(
      writer.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: [{ text: { content: 'x' } }] } } }),
    ).resolves.toMatchObject({ object: 'page' });
  });
});
