import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { decideNotionWebhook } from '../../src/inbound/notion-webhook.js';

const SECRET = 'secret_verification_token_0123456789';
const sign = (body: string, key = SECRET) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
const event = (type: string) => JSON.stringify({ id: 'evt', type, entity: { id: 'page-1', type: 'page' } });

it('hands over the one-time verification token', () => {
  expect(decideNotionWebhook(JSON.stringify({ verification_token: SECRET }), undefined, undefined)).toEqual({ status: 200, action: 'verification', token: SECRET });
});

it('refuses a verification token that is not one: line breaks, spaces, quotes, too short or too long, not a string', () => {
  for (const token of [`${SECRET}\nNOTION_BASE_URL=http://attacker.example`, 'secret abc def ghi jkl', `"${SECRET}`, 'short', 'x'.repeat(257), 42, null]) {
    expect(decideNotionWebhook(JSON.stringify({ verification_token: token }), undefined, undefined), String(token)).toMatchObject({ status: 400, action: 'reject' });
  }
});

it('names the event for replay checks, and ignores a signed event older than the replay window', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  const fresh = JSON.stringify({ id: 'evt-9', timestamp: '2026-12-05T11:59:00Z', type: 'page.created' });
  expect(decideNotionWebhook(fresh, sign(fresh), SECRET, now)).toMatchObject({ action: 'poll', eventId: 'evt-9' });
  const old = JSON.stringify({ id: 'evt-8', timestamp: '2026-12-04T11:59:00Z', type: 'page.created' });
  expect(decideNotionWebhook(old, sign(old), SECRET, now)).toMatchObject({ status: 200, action: 'stale' });
  const odd = JSON.stringify({ id: 'evt 8\nx', type: 'page.created' });
  expect(decideNotionWebhook(odd, sign(odd), SECRET, now)).toMatchObject({ action: 'poll', eventId: undefined });
});

it('polls on a correctly signed page or data source event, ignores other events', () => {
  expect(decideNotionWebhook(event('page.properties_updated'), sign(event('page.properties_updated')), SECRET)).toMatchObject({ status: 200, action: 'poll' });
  expect(decideNotionWebhook(event('data_source.schema_updated'), sign(event('data_source.schema_updated')), SECRET)).toMatchObject({ action: 'poll' });
  expect(decideNotionWebhook(event('comment.created'), sign(event('comment.created')), SECRET)).toMatchObject({ status: 200, action: 'ignore' });
});

it('rejects a wrong, missing or truncated signature, a body changed after signing, and anything when no secret is set', () => {
  const body = event('page.properties_updated');
  expect(decideNotionWebhook(body, sign(body, 'another-key'), SECRET)).toMatchObject({ status: 401 });
  expect(decideNotionWebhook(body, undefined, SECRET)).toMatchObject({ status: 401 });
  expect(decideNotionWebhook(body, sign(body).slice(0, 20), SECRET)).toMatchObject({ status: 401 });
  expect(decideNotionWebhook(body.replace('page-1', 'page-2'), sign(body), SECRET)).toMatchObject({ status: 401 });
  expect(decideNotionWebhook(body, sign(body), undefined)).toMatchObject({ status: 401, reason: 'NOTION_WEBHOOK_SECRET is not set' });
  expect(decideNotionWebhook('not json', sign('not json'), SECRET)).toMatchObject({ status: 400 });
});
