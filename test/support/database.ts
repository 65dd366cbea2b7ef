/** A migrated database of its own for one test file, dropped afterwards. */
import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl, uniqueName, withAdminClient } from './services.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Superuser pool, for arranging data and inspecting results. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName('db');
  const template = options.migrated === false ? 'template1' : inject('templateDatabase');
  await withAdminClient((admin) => admin.query(`create database ${name} template ${template}`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: '-c TimeZone=UTC' });
  // drop() ends the pool, then force-drops the database, which terminates any
  // backend still closing; an idle client then reports 57P01. That is expected.
  pool.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') throw error;
  });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await withAdminClient((admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}
