/**
 * Applies supabase/migrations/*.sql to a Postgres database, the way `supabase db push`
 * would: in file order, each file in its own transaction, recorded in
 * supabase_migrations.schema_migrations (the Supabase CLI's own table, so the two
 * tools agree on what is applied: a version recorded by either is skipped by
 * both). Running it again is a no-op.
 *
 * The roles Supabase provides (anon, authenticated, service_role) are created by
 * the first migration where they are missing, so `supabase db push` against a
 * plain Postgres gets them too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { connectError } from './postgres-transport.js';
import { MigrationError } from '../errors.js';

export const DEFAULT_MIGRATIONS_DIR = 'supabase/migrations';
export const DEFAULT_SEED_FILE = 'supabase/seed.sql';

/** Serialises concurrent runs (two deploys at once) on one database. */
const MIGRATION_LOCK_KEY = 7_310_451_002;
const MIGRATION_FILE_PATTERN = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  sql: string;
}

export type MigrationEvent =
  | { kind: 'applying'; file: MigrationFile }
  | { kind: 'applied'; file: MigrationFile; durationMs: number }
  | { kind: 'seeding'; fileName: string }
  | { kind: 'seeded'; fileName: string; durationMs: number };

export interface MigrateOptions {
  databaseUrl: string;
  migrationsDir?: string;
  /** Also run this seed file (idempotent SQL) after the migrations. */
  seedFile?: string | undefined;
  /** List what would be applied; change nothing. */
  dryRun?: boolean;
  onEvent?: (event: MigrationEvent) => void;
}

export interface MigrateResult {
  applied: string[];
  pending: string[];
  alreadyApplied: number;
  seeded: boolean;
}

export async function readMigrationFiles(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const fileName of entries) {
    const match = MIGRATION_FILE_PATTERN.exec(fileName);
    if (!match) {
      throw new MigrationError(
        `${join(dir, fileName)}: migration files must be named <14-digit timestamp>_<snake_case_name>.sql`,
        { context: { file: fileName } },
      );
    }
    files.push({ version: match[1]!, name: match[2]!, fileName, sql: await readFile(join(dir, fileName), 'utf8') });
  }
  return files;
}

/**
 * The history table as the Supabase CLI creates it (pkg/migration/history.go):
 * `version` first, then the columns later CLI versions added, so a table an
 * older CLI made gets them too.
 */
async function ensureHistoryTable(client: pg.Client): Promise<void> {
  await client.query(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
    alter table supabase_migrations.schema_migrations add column if not exists statements text[];
    alter table supabase_migrations.schema_migrations add column if not exists name text;`);
}

/** 1-based line of a character position (pg reports error positions as offsets). */
function lineAt(sql: string, position: string | undefined): number | undefined {
  const offset = Number(position);
  if (!Number.isFinite(offset) || offset < 1) return undefined;
  return sql.slice(0, offset - 1).split('\n').length;
}

async function runInTransaction(client: pg.Client, fileName: string, sql: string, record?: MigrationFile) {
  await client.query('begin');
  try {
    await client.query(sql);
    if (record) {
      await client.query(
        'insert into supabase_migrations.schema_migrations (version, statements, name) values ($1, $2, $3)',
        [record.version, [record.sql], record.name],
      );
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    const pgError = error as pg.DatabaseError;
    const line = lineAt(sql, pgError.position);
    throw new MigrationError(
      `${fileName}${line ? `:${line}` : ''}: ${pgError.message}${pgError.detail ? ` (${pgError.detail})` : ''}; nothing of this file was applied`,
      { cause: error, context: { file: fileName, line, sqlState: pgError.code } },
    );
  }
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const files = await readMigrationFiles(options.migrationsDir);
  const emit = options.onEvent ?? (() => undefined);
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: 'tokensync-migrate' });
  await client.connect().catch((error: unknown) => {
    throw connectError(options.databaseUrl, error);
  });
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    if (!options.dryRun) await ensureHistoryTable(client);
    const applied = await appliedVersions(client);
    const pending = files.filter((f) => !applied.has(f.version));
    const result: MigrateResult = {
      applied: [],
      pending: pending.map((f) => f.fileName),
      alreadyApplied: files.length - pending.length,
      seeded: false,
    };
    if (options.dryRun) return result;

    for (const file of pending) {
      emit({ kind: 'applying', file });
      const started = performance.now();
      await runInTransaction(client, file.fileName, file.sql, file);
      emit({ kind: 'applied', file, durationMs: performance.now() - started });
      result.applied.push(file.fileName);
    }
    result.pending = [];

    if (options.seedFile) {
      emit({ kind: 'seeding', fileName: options.seedFile });
      const started = performance.now();
      await runInTransaction(client, options.seedFile, await readFile(options.seedFile, 'utf8'));
      emit({ kind: 'seeded', fileName: options.seedFile, durationMs: performance.now() - started });
      result.seeded = true;
    }
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function appliedVersions(client: pg.Client): Promise<Set<string>> {
  try {
    const { rows } = await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
    return new Set(rows.map((r) => r.version));
  } catch (error) {
    // A dry run on a database that was never migrated: nothing is applied yet.
    if ((error as pg.DatabaseError).code === '42P01') return new Set();
    throw error;
  }
}
