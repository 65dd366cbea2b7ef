// A file of its own because it starts an embedded Postgres (PGlite) in the test
// process: vitest.config.ts runs such files one per process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@tokensync/pglite-server';
import { migrate, readMigrationFiles } from '../../src/supabase/migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pushLikeTheSupabaseCli, SUPABASE_ROLES, SUPABASE_ROLES_QUERY } from '../support/supabase-cli.js';

describe('the Supabase CLI and the migrator agree on what is applied', () => {
  // A cluster of its own, as a plain Postgres is: none of Supabase's roles (the shared test server has them).
  let server: EmbeddedPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    server = await startEmbeddedPostgres();
    client = new pg.Client({ connectionString: server.url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.close();
  });

  it('files pushed by the CLI to a plain Postgres create the missing roles, and the migrator then applies nothing', async () => {
    expect((await client.query(SUPABASE_ROLES_QUERY)).rows).toEqual([]);
    // One role already there, as on Supabase, with a mark of its own: the migrations must leave it be.
    await client.query('create role authenticated nologin noinherit connection limit 7');
    const files = await readMigrationFiles();
    await pushLikeTheSupabaseCli(server.url, files);

    expect((await client.query(SUPABASE_ROLES_QUERY)).rows).toEqual(SUPABASE_ROLES);
    const { rows } = await client.query(`select rolconnlimit from pg_roles where rolname = 'authenticated'`);
    expect(rows).toEqual([{ rolconnlimit: 7 }]);

    const result = await migrate({ databaseUrl: server.url });
    expect(result).toMatchObject({ applied: [], alreadyApplied: files.length });
  });
});

describe('a database an older Supabase CLI began', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('gets the columns the CLI added later, and only the files the CLI did not apply', async () => {
    const files = await readMigrationFiles();
    await pushLikeTheSupabaseCli(db.url, files.slice(0, 3), { versionOnly: true });

    const result = await migrate({ databaseUrl: db.url });
    expect(result).toMatchObject({ applied: files.slice(3).map((f) => f.fileName), alreadyApplied: 3 });

    const { rows } = await db.pool.query<{ version: string; name: string | null; statements: string[] | null }>(
      'select version, name, statements from supabase_migrations.schema_migrations order by version',
    );
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => f.version));
    expect(rows.slice(3)).toEqual(files.slice(3).map((f) => ({ version: f.version, name: f.name, statements: [f.sql] })));
  });
});
