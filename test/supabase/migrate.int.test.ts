import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.js';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SEED_FILE, migrate, readMigrationFiles } from '../../src/supabase/migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runScript } from '../support/cli.js';
import { SUPABASE_ROLES, SUPABASE_ROLES_QUERY } from '../support/supabase-cli.js';

function runMigrateCli(args: string[], env: Record<string, string>) {
  return runScript('db-migrate', args, { env: { PATH: process.env.PATH ?? '', ...env } });
}

describe('migrations on a fresh database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('dry run lists every file and changes nothing', async () => {
    const files = await readMigrationFiles();
    const result = await migrate({ databaseUrl: db.url, dryRun: true });
    expect(result.pending).toEqual(files.map((f) => f.fileName));
    const { rows } = await db.pool.query(`select to_regclass('public.token_usage_logs') as t, to_regnamespace('supabase_migrations') as s`);
    expect(rows[0]).toEqual({ t: null, s: null });
  });

  it('applies every file once, records it, and a second run is a no-op', async () => {
    const files = await readMigrationFiles();
    const first = await migrate({ databaseUrl: db.url });
    expect(first.applied).toEqual(files.map((f) => f.fileName));

    const second = await migrate({ databaseUrl: db.url });
    expect(second).toMatchObject({ applied: [], alreadyApplied: files.length });

    const { rows } = await db.pool.query('select version, name from supabase_migrations.schema_migrations order by version');
    expect(rows).toEqual(files.map((f) => ({ version: f.version, name: f.name })));
  });

  it('seeds the eight limits of the original setup, and seeding again keeps edited values', async () => {
    await migrate({ databaseUrl: db.url, seedFile: DEFAULT_SEED_FILE });
    await db.pool.query(`update budget_limits set daily_limit = 60 where entity_type = 'organization' and entity_id = 'mvp'`);
    await migrate({ databaseUrl: db.url, seedFile: DEFAULT_SEED_FILE });

    const { rows } = await db.pool.query(
      `select entity_type, entity_id, daily_limit::float8 as daily, monthly_limit::float8 as monthly,
              alert_thresholds::float8[] as thresholds, is_active
         from budget_limits order by entity_type, entity_id`,
    );
    const limit = (entity_type: string, entity_id: string, daily: number, monthly: number) => ({
      entity_type, entity_id, daily, monthly, thresholds: [50, 75, 90, 100], is_active: true,
    });
    expect(rows).toEqual([
      limit('organization', 'mvp', 60, 500),
      limit('service', '1:1_conversation', 5, 100),
      limit('service', 'solution_builder', 20, 400),
      limit('service', 'virtual_panel', 10, 200),
      limit('service', 'workflow', 15, 300),
      limit('tier', 'tier_1', 30, 600),
      limit('tier', 'tier_2', 15, 300),
      limit('tier', 'tier_3', 5, 100),
    ]);
  });

  it('has the Supabase roles, with service_role bypassing RLS and anon not', async () => {
    expect((await db.pool.query(SUPABASE_ROLES_QUERY)).rows).toEqual(SUPABASE_ROLES);
  });
});

describe('a failing migration', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    dir = await mkdtemp(join(tmpdir(), 'tokensync-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, '20991231000000_broken_change.sql'),
      'create table public.half_done (id int);\ninsert into public.half_done values (1);\ncreate tabel public.broken (id int);\n',
    );
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file, the line and the Postgres message, and applies nothing of that file', async () => {
    const failure = migrate({ databaseUrl: db.url, migrationsDir: dir });
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(/20991231000000_broken_change\.sql:3: syntax error at or near "tabel"/);

    const { rows } = await db.pool.query(
      `select to_regclass('public.half_done') as half_done,
              (select count(*)::int from supabase_migrations.schema_migrations where version = '20991231000000') as recorded,
              (select count(*)::int from supabase_migrations.schema_migrations) as applied`,
    );
    expect(rows[0]).toEqual({ half_done: null, recorded: 0, applied: (await readMigrationFiles()).length });
  });

  it('refuses files not named in the Supabase CLI layout', async () => {
    await writeFile(join(dir, 'add-things.sql'), 'select 1;');
    await expect(readMigrationFiles(dir)).rejects.toThrow(/add-things\.sql: migration files must be named/);
  });
});

// Each test starts the CLI (tsx compiling on a cold start) several times.
describe('npm run db:migrate', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('migrates and seeds, then reports nothing to do', async () => {
    const first = await runMigrateCli(['--seed'], { DATABASE_URL: db.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied {2}20261123000100_usage_tables\.sql/);
    expect(first.stdout).toMatch(/seed applied/);

    const again = await runMigrateCli([], { DATABASE_URL: db.url });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^0 applied, \d+ already applied$/m);
  });

  it('exits 2 naming DATABASE_URL when it is missing or malformed, without echoing the value', async () => {
    const missing = await runMigrateCli([], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/DATABASE_URL: is required for db:migrate/);

    const malformed = await runMigrateCli([], { DATABASE_URL: 'mysql://app:hunter2-secret@db.example/app' });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/DATABASE_URL: must be a postgres:\/\//);
    expect(malformed.stderr).not.toContain('hunter2-secret');
  });

  it('exits 1 with one line naming the server when PostgreSQL does not answer, password and stack left out', async () => {
    const down = await runMigrateCli([], { DATABASE_URL: 'postgres://app:hunter2-secret@127.0.0.1:9/app' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: connect: PostgreSQL does not answer at 127\.0\.0\.1:9 \(.+\); is it running, and is DATABASE_URL right\?$/m);
    expect(down.stderr).not.toContain('hunter2-secret');
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 with one line and the fix when the server refuses: a database that does not exist, a wrong password', async () => {
    const server = new URL(db.url);
    const missing = new URL(server);
    missing.pathname = '/tokensync_no_such_db';
    const noDatabase = await runMigrateCli([], { DATABASE_URL: missing.toString() });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toMatch(
      /^error: connect: PostgreSQL at [^ ]+ refused the connection: database "tokensync_no_such_db" does not exist; create it \(createdb tokensync_no_such_db\) or fix the database name in DATABASE_URL$/m,
    );
    expect(noDatabase.stderr).not.toMatch(/\n\s+at /);

    const noRole = new URL(server);
    noRole.username = 'tokensync_no_such_role';
    noRole.password = 'hunter2-secret';
    const refused = await runMigrateCli([], { DATABASE_URL: noRole.toString() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: connect: PostgreSQL at [^ ]+ refused the connection: .*tokensync_no_such_role.*; check the user/m);
    expect(refused.stderr).not.toContain('hunter2-secret');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on an unknown option and prints help on --help', async () => {
    expect((await runMigrateCli(['--sed'], {})).code).toBe(2);
    const help = await runMigrateCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run db:migrate/);
  });
});
