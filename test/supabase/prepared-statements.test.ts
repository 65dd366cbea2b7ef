import { expect, it } from 'vitest';
import { preparesStatements } from '../../src/supabase/postgres-transport.js';

it.each([
  ['postgres://postgres@127.0.0.1:5432/postgres', true],
  ['postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres', true],
  // Supavisor and PgBouncer in transaction mode hand each transaction another server connection.
  ['postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres', false],
  ['postgres://app@pgbouncer.internal:6432/app', false],
  ['postgres://app@db.internal:5432/app?pgbouncer=true', false],
  ['postgres://app@db.internal:5432/app?prepare=false', false],
])('%s prepares statements: %s', (url, expected) => {
  expect(preparesStatements(url)).toBe(expected);
});
