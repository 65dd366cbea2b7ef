/**
 * Notion's webhooks, used only as a doorbell: a verified event about a page or
 * a data source triggers an immediate poll for edits (the poll does the work,
 * so a missed or repeated event changes nothing).
 *
 * Notion signs each event with HMAC-SHA256 over the raw body, keyed by the
 * subscription's verification token, in `X-Notion-Signature: sha256=<hex>`. The
 * token itself arrives once, unsigned, when the subscription is created; the
 * endpoint is public, so anyone can send one: it is handed to the operator,
 * never taken as configuration (see webhook-memory.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Events older than this are not acted on, and their ids are remembered this long: a replay does nothing. */
export const REPLAY_WINDOW_MS = 24 * 3600 * 1000;

/** What a verification token may look like: Notion's are `secret_` and letters and digits. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;
const EVENT_ID_SHAPE = /^[A-Za-z0-9_.:-]{1,200}$/;

export type WebhookDecision =
  | { status: 200; action: 'verification'; token: string }
  | { status: 200; action: 'poll' | 'ignore'; type: string; eventId: string | undefined }
  | { status: 200; action: 'stale'; type: string }
  | { status: 400 | 401; action: 'reject'; reason: string };

function signatureMatches(body: string, header: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.replace(/^sha256=/, ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function verification(token: unknown): WebhookDecision {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
    return { status: 400, action: 'reject', reason: 'the verification_token is not a token (16 to 256 letters, digits, _ or -)' };
  }
  return { status: 200, action: 'verification', token };
}

function isStale(timestamp: unknown, now: number): boolean {
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isFinite(at) && now - at > REPLAY_WINDOW_MS;
}

export function decideNotionWebhook(body: string, signature: string | undefined, secret: string | undefined, now = Date.now()): WebhookDecision {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { status: 400, action: 'reject', reason: 'the body is not JSON' };
  }
  if (payload === null || typeof payload !== 'object') return { status: 400, action: 'reject', reason: 'the body is not a JSON object' };
  if (!signature && 'verification_token' in payload) return verification(payload.verification_token);
  if (!secret) return { status: 401, action: 'reject', reason: 'NOTION_WEBHOOK_SECRET is not set' };
  if (!signature || !signatureMatches(body, signature, secret)) {
    return { status: 401, action: 'reject', reason: 'the X-Notion-Signature does not match' };
  }
  const type = String(payload.type ?? '');
  if (isStale(payload.timestamp, now)) return { status: 200, action: 'stale', type };
  const eventId = typeof payload.id === 'string' && EVENT_ID_SHAPE.test(payload.id) ? payload.id : undefined;
  return { status: 200, action: type.startsWith('page.') || type.startsWith('data_source.') ? 'poll' : 'ignore', type, eventId };
}
