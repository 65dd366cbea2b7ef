/**
 * Migrates one template database per test run; each test file then copies it
 * (CREATE DATABASE … TEMPLATE), which is far faster than migrating per file.
 * Before that it clears what killed runs of the same prefixes left behind (databases,
 * roles, Redis keys older than STALE_AFTER_MS), and nothing outside them.
 */
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/supabase/migrator.js';
import { connectOnce } from '../../src/worker/redis-tools.js';
import {
  databaseUrl,
  isStaleName,
  isStaleQueuePrefix,
  REDIS_URL,
  TEST_DB_PREFIX,
  TEST_QUEUE_PREFIX,
  uniqueName,
  withAdminClient,
} from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** `like` matches `_` as any character; the prefix is matched literally. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}\\_%`;

async function dropStaleDatabasesAndRoles(): Promise<void> {
  await withAdminClient(async (admin) => {
    const { rows: databases } = await admin.query<{ name: string }>('select datname as name from pg_database where datname like $1', [likePrefix(TEST_DB_PREFIX)]);
    for (const { name } of databases.filter((d) => isStaleName(d.name))) {
      await admin.query(`drop database if exists ${name} with (force)`);
    }
    const { rows: roles } = await admin.query<{ name: string }>('select rolname as name from pg_roles where rolname like $1', [likePrefix(TEST_DB_PREFIX)]);
    for (const { name } of roles.filter((r) => isStaleName(r.name))) {
      await admin.query(`drop role if exists ${name}`);
    }
  });
}

/** Redis down is for the tests that use it to report, with the command that starts it. */
async function dropStaleQueueKeys(): Promise<void> {
  const redis = await connectOnce(REDIS_URL).catch(() => undefined);
  if (!redis) return;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${TEST_QUEUE_PREFIX}-*`, 'COUNT', 1000);
      const stale = keys.filter((key) => isStaleQueuePrefix(key.split(':', 1)[0]!));
      if (stale.length > 0) await redis.del(...stale);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * One template for the run. The projects that list this setup (integration and
 * alone) each load their own copy of this module, in the one vitest process: what
 * they share is kept on globalThis. The last teardown drops the template.
 */
const shared = ((globalThis as { [key: symbol]: unknown })[Symbol.for('tokensync.test.template')] ??= { users: 0 }) as {
  users: number;
  template?: Promise<string>;
};

async function makeTemplate(): Promise<string> {
  await Promise.all([dropStaleDatabasesAndRoles(), dropStaleQueueKeys()]);
  const name = uniqueName('tpl');
  await withAdminClient((admin) => admin.query(`create database ${name}`));
  await migrate({ databaseUrl: databaseUrl(name) });
  return name;
}

export default async function setup(project: TestProject) {
  shared.users++;
  shared.template ??= makeTemplate();
  const name = await shared.template;
  project.provide('templateDatabase', name);

  return async () => {
    if (--shared.users > 0) return;
    shared.template = undefined;
    await withAdminClient((admin) => admin.query(`drop database if exists ${name} with (force)`));
  };
}
