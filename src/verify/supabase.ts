/**
 * Supabase checks: the connection, every migration file applied, every function
 * they define present, RLS on and anon shut out of every table. Expectations are
 * read from supabase/migrations, so they follow the schema as it grows.
 */
import { readMigrationFiles, DEFAULT_MIGRATIONS_DIR } from '../supabase/migrator.js';
import type { SchemaStatus, SupabaseSource } from '../supabase/source.js';
import { errorMessage, fail, pass, type CheckResult } from './check.js';

export interface ExpectedSchema {
  migrations: string[];
  functions: string[];
  tables: string[];
}

const MIGRATE_FIX = 'apply the migrations: npm run db:migrate (or supabase db push)';

export async function expectedSchema(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<ExpectedSchema> {
  const files = await readMigrationFiles(dir);
  const all = files.map((f) => f.sql).join('\n');
  const names = (pattern: RegExp) => [...new Set([...all.matchAll(pattern)].map((m) => m[1]!))].sort();
  return {
    migrations: files.map((f) => f.version),
    functions: names(/create\s+(?:or\s+replace\s+)?function\s+public\.([a-z0-9_]+)/gi),
    tables: names(/create\s+table\s+public\.([a-z0-9_]+)/gi),
  };
}

const missing = (wanted: string[], have: string[]) => wanted.filter((w) => !have.includes(w));

function schemaChecks(status: SchemaStatus, expected: ExpectedSchema): CheckResult[] {
  const results: CheckResult[] = [];
  const unapplied = missing(expected.migrations, status.migrations);
  results.push(
    unapplied.length === 0
      ? pass('supabase', 'migrations', `${expected.migrations.length} of ${expected.migrations.length} applied`)
      : fail('supabase', 'migrations', `not applied: ${unapplied.join(', ')}`, MIGRATE_FIX),
  );
  const absent = missing(expected.functions, status.functions);
  results.push(
    absent.length === 0
      ? pass('supabase', 'functions', `${expected.functions.length} functions present`)
      : fail('supabase', 'functions', `missing: ${absent.join(', ')}`, MIGRATE_FIX),
  );
  for (const table of expected.tables) {
    const state = status.tables[table];
    if (!state) results.push(fail('supabase', `table ${table}`, 'missing', MIGRATE_FIX));
    else if (!state.rls) results.push(fail('supabase', `table ${table}`, 'row level security is off', `alter table public.${table} enable row level security`));
    else if (state.anon_can_select) results.push(fail('supabase', `table ${table}`, 'the anon role may select from it', `revoke all on public.${table} from anon, authenticated`));
    else results.push(pass('supabase', `table ${table}`, 'RLS on, closed to anon'));
  }
  return results;
}

export async function checkSupabase(source: SupabaseSource, expected: ExpectedSchema): Promise<CheckResult[]> {
  let status: SchemaStatus;
  try {
    status = await source.schemaStatus();
  } catch (error) {
    const message = errorMessage(error);
    // The database answered, but our function is not there: the schema is missing, not the connection.
    if (/migrations look unapplied/.test(message)) {
      return [pass('supabase', 'connection', `reached (${source.transport} transport)`), fail('supabase', 'schema', message, MIGRATE_FIX)];
    }
    return [fail('supabase', 'connection', message, 'check DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, and that the database is up')];
  }
  return [pass('supabase', 'connection', `reached (${source.transport} transport)`), ...schemaChecks(status, expected)];
}
