/**
 * Every command, run as a process, against the failures people meet first: a
 * database that is missing, refuses the password, wants TLS or offers none, or
 * does not answer; a Notion token that is rejected, a page not shared, a
 * capability not given; Redis not answering. Each is one line on stderr that
 * says what to do, exit 1, no stack trace; --verbose adds the stack.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, notionIdVariables } from '../../src/datasets.js';
import { startRefusingPostgres, type RefusingPostgres } from '../support/refusing-postgres.js';
import { PARENT, harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { dropPrefix, uniquePrefix } from '../worker/redis.js';
import { runScript } from '../support/cli.js';

const COMMANDS = ['db-migrate', 'db-types', 'setup-notion', 'sync', 'worker', 'job', 'recost', 'verify', 'demo'] as const;
type Command = (typeof COMMANDS)[number];

const HIDDEN_PAGE = '5f0e2d1c-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
/** Shared, and still empty: setup under it has databases to create. */
const EMPTY_PAGE = '6a1f3e2d-4c5b-4d6e-9f70-8b9c0d1e2f3a';
const READ_ONLY_TOKEN = 'secret_read_only_integration';
/** Nothing listens on the discard port. */
const CLOSED = '127.0.0.1:9';
/** Long enough for any of these to fail; a command that hangs instead ends with code null. */
const PROCESS_TIMEOUT_MS = 25_000;

let h: SyncHarness;
let envDir: string;
const prefix = uniquePrefix();
const refusing: RefusingPostgres[] = [];

beforeAll(async () => {
  h = await startSyncHarness({
    tokens: ['secret_fake_notion_token', READ_ONLY_TOKEN],
    readOnlyTokens: [READ_ONLY_TOKEN],
    pages: [{ id: PARENT, title: 'LLM costs' }, { id: HIDDEN_PAGE, title: 'Not shared', shared: false }, { id: EMPTY_PAGE, title: 'Empty' }],
  });
  envDir = await mkdtemp(join(tmpdir(), 'tokensync-errors-'));
});
afterAll(async () => {
  await Promise.all(refusing.map((server) => server.close()));
  await h.close();
  await dropPrefix(prefix);
  await rm(envDir, { recursive: true, force: true });
});

/** A server that refuses every connection with this SQLSTATE and message, as Postgres does. */
async function refusingServer(sqlState: string, message: string): Promise<RefusingPostgres> {
  const server = await startRefusingPostgres(sqlState, message);
  refusing.push(server);
  return server;
}

function cli(command: Command, args: string[], overrides: Record<string, string> = {}) {
  const env = {
    PATH: process.env.PATH ?? '',
    ...harnessEnvironment(h, prefix),
    NOTION_PARENT_PAGE_ID: PARENT,
    NOTION_ENV_FILE: join(envDir, '.env.local'),
    LOG_FORMAT: 'json',
    WORKER_HTTP_PORT: '0',
    ...overrides,
  };
  return runScript(command, args, { env, timeout: PROCESS_TIMEOUT_MS });
}

/** An empty value counts as unset: as before setup:notion ever ran. */
const noRecordedIds = () =>
  Object.fromEntries(DATASETS.flatMap((d) => Object.values(notionIdVariables(d)).map((name) => [name, ''])));

type Result = Awaited<ReturnType<typeof cli>>;

/** node-postgres's sslmode=require warning, said in one line of its own before any error. */
const SSLMODE_NOTE = /^note: node-postgres treats sslmode=require/;

/** Exit 1, stderr exactly one line (besides the sslmode note) matching `line`, and no stack frame anywhere. */
function expectOneLine(result: Result, line: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n').filter((l) => !SSLMODE_NOTE.test(l));
  expect(lines).toEqual([expect.stringMatching(line)]);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at /m);
}

const withDatabase = (name: string) => {
  const url = new URL(h.db.url);
  url.pathname = `/${name}`;
  return url.toString();
};

describe('one line with the fix, for every kind of expected failure', () => {
  it('db:migrate: a server that accepts only TLS (pg_hba hostssl) says to add sslmode=require', async () => {
    const tlsOnly = await refusingServer('28000', 'no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption');
    expectOneLine(
      await cli('db-migrate', [], { DATABASE_URL: tlsOnly.url() }),
      /^error: connect: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection: .*no encryption; this server accepts only encrypted connections: add sslmode=require to DATABASE_URL/,
    );
  });

  it('recost: sslmode=require against a server without TLS says to drop it, the pg warning in one line', async () => {
    const result = await cli('recost', ['--from', '2026-01-01', '--dry-run'], { DATABASE_URL: `${h.db.url}?sslmode=require` });
    expectOneLine(result, /^error: connect: PostgreSQL at [^ ]+ refused the connection: The server does not support SSL connections; .*remove sslmode from DATABASE_URL or set sslmode=disable$/);
    expect(result.stderr.split('\n').filter((l) => SSLMODE_NOTE.test(l))).toHaveLength(1);
  });

  it('recost: a database that does not exist; --verbose adds the stack and its cause', async () => {
    const args = ['--from', '2026-01-01', '--dry-run'];
    const missing = { DATABASE_URL: withDatabase('tokensync_no_such_db') };
    expectOneLine(await cli('recost', args, missing), /^error: connect: .*database "tokensync_no_such_db" does not exist; create it \(createdb tokensync_no_such_db\)/);

    const verbose = await cli('recost', [...args, '--verbose'], missing);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^error: connect: .*does not exist/);
    expect(verbose.stderr).toMatch(/^DatabaseError: connect: /m);
    expect(verbose.stderr).toMatch(/^\s+at /m);
    expect(verbose.stderr).toMatch(/^caused by: error: database "tokensync_no_such_db" does not exist/m);
  });

  it('sync --once: a server that does not answer is said once, at once, not retried per dataset', async () => {
    expectOneLine(
      await cli('sync', ['--once'], { DATABASE_URL: `postgres://postgres@${CLOSED}/tokensync` }),
      /^error: .*PostgreSQL does not answer at 127\.0\.0\.1:9 .*is it running, and is DATABASE_URL right\?$/,
    );
  });

  it('sync --once: a rejected Notion token is one line, not a failed row per dataset', async () => {
    const result = await cli('sync', ['--once'], { NOTION_TOKEN: 'secret_revoked_token' });
    expectOneLine(result, /^error: NOTION_TOKEN was rejected by Notion \(unauthorized\)\. Copy the internal integration secret again/);
    expect(result.stdout).toBe('');
  });

  it('job: a rejected Notion token is one line with where to copy it again', async () => {
    expectOneLine(
      await cli('job', ['report'], { NOTION_TOKEN: 'secret_revoked_token' }),
      /^error: .*\(unauthorized, HTTP 401, request [^)]+\); NOTION_TOKEN was rejected: copy the internal integration secret again/,
    );
  });

  it('db-types: a database that does not exist is one line, not a stack trace', async () => {
    expectOneLine(
      await cli('db-types', [], { DATABASE_URL: withDatabase('tokensync_no_such_db') }),
      /^error: connect: .*database "tokensync_no_such_db" does not exist; create it/,
    );
  });

  it('worker: a wrong password stops it at start instead of failing every job', async () => {
    const wrongPassword = await refusingServer('28P01', 'password authentication failed for user "postgres"');
    expectOneLine(
      await cli('worker', [], { DATABASE_URL: wrongPassword.url() }),
      /^error: connect: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection: password authentication failed for user "postgres"; check the user and password in DATABASE_URL$/,
    );
  });

  it('worker: a rejected Notion token stops it at start', async () => {
    expectOneLine(await cli('worker', [], { NOTION_TOKEN: 'secret_revoked_token' }), /^error: NOTION_TOKEN was rejected by Notion/);
  });

  it('setup:notion: a parent page not shared with the integration (404) says how to share it', async () => {
    expectOneLine(
      await cli('setup-notion', [], { NOTION_PARENT_PAGE_ID: HIDDEN_PAGE }),
      /^error: Notion cannot find page .*, or it is not shared with the integration\. Open the page in Notion → ••• → Connections/,
    );
  });

  it('setup:notion: an integration without the insert capability (403) says which capabilities to give', async () => {
    expectOneLine(
      await cli('setup-notion', [], { NOTION_TOKEN: READ_ONLY_TOKEN, NOTION_PARENT_PAGE_ID: EMPTY_PAGE, ...noRecordedIds() }),
      /^error: create database .*\(restricted_resource, HTTP 403, request [^)]+\); the integration lacks a capability this needs: give it Read, Update and Insert content/,
    );
  });

  it('verify: Redis not answering is a failed check that says so, with its fix', async () => {
    const result = await cli('verify', ['--only', 'redis'], { REDIS_URL: `redis://${CLOSED}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}✗ connection: Redis does not answer at 127\.0\.0\.1:9 \(.+\)\n {6}fix: check REDIS_URL and that Redis is running/m);
    expect(result.stderr).toBe('');
  });

  it('demo: a refused DATABASE_URL is said as a refusal with its fix, not as a server that does not answer', async () => {
    const wrongPassword = await refusingServer('28P01', 'password authentication failed for user "postgres"');
    expectOneLine(
      await cli('demo', ['--exit'], { DATABASE_URL: wrongPassword.url() }),
      /^error: connect: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection: password authentication failed for user "postgres"; check the user and password in DATABASE_URL \(or unset DATABASE_URL/,
    );
  });
});

describe('--verbose', () => {
  it('is listed in the help of every command', async () => {
    const helps = await Promise.all(COMMANDS.map((command) => cli(command, ['--help'])));
    for (const [i, help] of helps.entries()) {
      expect(help.code, COMMANDS[i]).toBe(0);
      expect(help.stdout, COMMANDS[i]).toMatch(/^ {2}--verbose +on failure, also print the stack trace/m);
    }
  }, 90_000); // nine processes at once on a machine that may be busy
});
