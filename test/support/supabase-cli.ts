/** What the Supabase CLI does to a database, for tests that check the migrator agrees with it. */
import pg from 'pg';
import type { MigrationFile } from '../../src/supabase/migrator.js';

/**
 * What `supabase db push` does to a database (supabase/cli pkg/migration):
 * creates its history table (an older CLI: `version` only), then per pending
 * file runs the file's SQL and records the version, all in one transaction.
 */
export async function pushLikeTheSupabaseCli(databaseUrl: string, files: MigrationFile[], cli: { versionOnly?: boolean } = {}) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);`);
    if (!cli.versionOnly) {
      await client.query(`
        alter table supabase_migrations.schema_migrations add column if not exists statements text[];
        alter table supabase_migrations.schema_migrations add column if not exists name text;`);
    }
    for (const file of files) {
      await client.query('begin');
      await client.query(file.sql);
      if (cli.versionOnly) await client.query('insert into supabase_migrations.schema_migrations (version) values ($1)', [file.version]);
      else {
        await client.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [
          file.version,
          file.name,
          [file.sql],
        ]);
      }
      await client.query('commit');
    }
  } finally {
    await client.end();
  }
}

export const SUPABASE_ROLES_QUERY = `select rolname, rolbypassrls, rolcanlogin from pg_roles
  where rolname in ('anon', 'authenticated', 'service_role') order by rolname`;
export const SUPABASE_ROLES = [
  { rolname: 'anon', rolbypassrls: false, rolcanlogin: false },
  { rolname: 'authenticated', rolbypassrls: false, rolcanlogin: false },
  { rolname: 'service_role', rolbypassrls: true, rolcanlogin: false },
];
