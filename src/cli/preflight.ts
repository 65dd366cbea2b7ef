/**
 * Before a command starts work that touches every dataset: can it reach the
 * database, and does Notion accept the token? One call each, so that a wrong
 * DATABASE_URL or NOTION_TOKEN is one line with its fix, said once, instead of
 * one failure per dataset (or retries until a timeout, or a worker that runs
 * on and fails every job).
 */
import type { Config } from '../config/env.js';
import { createNotionClient } from '../notion/client.js';
import { checkToken } from '../notion/provision/locate.js';
import { openTransport } from '../supabase/source.js';

/** Throws the DatabaseError of the first call (unreachable, refused, unmigrated). */
export async function checkDatabase(config: Config): Promise<void> {
  const transport = openTransport(config, { allowExitOnIdle: true });
  try {
    await transport.call('tokensync_schema_status', {});
  } finally {
    await transport.close().catch(() => undefined);
  }
}

/** Throws when Notion rejects NOTION_TOKEN (with where to copy it again), or does not answer. */
export async function checkNotionToken(config: Config): Promise<void> {
  // A missing token is the command's own ConfigError, which names what needs it.
  if (!config.notion.token) return;
  await checkToken(createNotionClient({ token: config.notion.token, baseUrl: config.notion.baseUrl, maxRetries: 1 }));
}

export async function preflight(config: Config): Promise<void> {
  await checkDatabase(config);
  await checkNotionToken(config);
}
