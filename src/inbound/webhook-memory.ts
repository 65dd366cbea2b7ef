/**
 * What the worker remembers of Notion's webhook requests, in its Redis:
 *
 * - the verification tokens that arrived, until an operator reads them with
 *   `npm run webhook -- --show-token`. Anyone who can reach the public endpoint
 *   can send one, so a token is never written into configuration: the operator
 *   sees it, pastes it into Notion, and sets NOTION_WEBHOOK_SECRET by hand.
 * - the ids of the events already acted on, for the replay window, so a signed
 *   event sent again does nothing.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { REPLAY_WINDOW_MS } from './notion-webhook.js';

/** Tokens not read within a day are forgotten; the subscription can send another. */
const TOKEN_TTL_S = 24 * 3600;
/** Enough to see that more than one arrived (someone else sent one), bounded whatever is sent. */
const KEPT_TOKENS = 5;

export interface ArrivedToken {
  token: string;
  /** ISO instant it arrived. */
  at: string;
  /** The address it came from, as the worker saw it (a reverse proxy's, behind one). */
  from: string;
}

const tokensKey = (prefix: string) => `${prefix}:notion-webhook:verification-tokens`;
/** Event ids are hashed: the key stays short whatever the id. */
const eventKey = (prefix: string, eventId: string) => `${prefix}:notion-webhook:event:${createHash('sha256').update(eventId).digest('hex').slice(0, 32)}`;

export async function keepVerificationToken(redis: Redis, prefix: string, arrived: ArrivedToken): Promise<void> {
  const key = tokensKey(prefix);
  await redis.multi().lpush(key, JSON.stringify(arrived)).ltrim(key, 0, KEPT_TOKENS - 1).expire(key, TOKEN_TTL_S).exec();
}

/** The tokens kept, newest first, and forgets them: each is shown once. */
export async function takeVerificationTokens(redis: Redis, prefix: string): Promise<ArrivedToken[]> {
  const key = tokensKey(prefix);
  const results = await redis.multi().lrange(key, 0, -1).del(key).exec();
  const listed = (results?.[0]?.[1] ?? []) as string[];
  return listed.map((entry) => JSON.parse(entry) as ArrivedToken);
}

/** True the first time an event id is seen within the replay window. */
export async function firstDelivery(redis: Redis, prefix: string, eventId: string): Promise<boolean> {
  return (await redis.set(eventKey(prefix, eventId), '1', 'PX', REPLAY_WINDOW_MS, 'NX')) === 'OK';
}
