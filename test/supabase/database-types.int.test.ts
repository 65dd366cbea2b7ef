import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_TYPES_FILE, renderDatabaseTypes } from '../../scripts/db-types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it(`${DATABASE_TYPES_FILE} types the functions the migrations define (else: npx tsx scripts/db-types.ts)`, async () => {
  expect(await renderDatabaseTypes(db.pool)).toBe(await readFile(DATABASE_TYPES_FILE, 'utf8'));
});

it('a function added by a migration changes the types', async () => {
  await db.pool.query(`create function public.tokensync_probe(p_key text, p_limit integer default 10) returns jsonb
                       language sql as $$ select '{}'::jsonb $$`);
  const rendered = await renderDatabaseTypes(db.pool);
  expect(rendered).toContain('      tokensync_probe: {\n        Args: {\n          p_key: string | null;\n          p_limit?: number | null;\n        };\n        Returns: Json;\n      };');
});
