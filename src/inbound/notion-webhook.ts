/**
 * Notion's webhooks, used only as a doorbell: a verified event about a page or
 * a data source triggers an immediate poll for edits (the poll does the work,
 * so a missed or repeated event changes nothing).
 *
 * Notion signs each event with HMAC-SHA256 over the raw body, keyed by the
 * subscription's verification token, in `X-Notion-Signature: sha256=<hex>`. The
 * token itself arrives once, unsigned, when the subscription is created.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookDecision =
  | { status: 200; action: 'verification'; token: string }
  | { status: 200; action: 'poll' | 'ignore'; type: string }
  | { status: 400 | 401; action: 'reject'; reason: string };

function signatureMatches(body: string, header: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.replace(/^sha256=/, ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function decideNotionWebhook(body: string, signature: string | undefined, secret: string | undefined): WebhookDecision {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { status: 400, action: 'reject', reason: 'the body is not JSON' };
  }
  if (!signature && typeof payload.verification_token === 'string') {
    return { status: 200, action: 'verification', token: payload.verification_token };
  }
  if (!secret) return { status: 401, action: 'reject', reason: 'NOTION_WEBHOOK_SECRET is not set' };
  if (!signature || !signatureMatches(body, signature, secret)) {
    return { status: 401, action: 'reject', reason: 'the X-Notion-Signature does not match' };
  }
  const type = String(payload.type ?? '');
  return { status: 200, action: type.startsWith('page.') || type.startsWith('data_source.') ? 'poll' : 'ignore', type };
}
