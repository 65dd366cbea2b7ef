/**
 * Writes src/supabase/database.types.ts: supabase-js's `Database` type for the
 * SQL functions the service-role key may call, read from a migrated database's
 * catalogue (what `supabase gen types typescript` would give for them).
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/db-types.ts
 *
 * test/supabase/database-types.int.test.ts renders it from the migrations and
 * fails when the committed file differs.
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { EXIT_OK, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig, requireDatabaseUrl } from '../src/config/env.js';
import { connectError } from '../src/supabase/postgres-transport.js';

export const DATABASE_TYPES_FILE = 'src/supabase/database.types.ts';

interface FunctionRow {
  name: string;
  retset: boolean;
  arg_names: string[];
  arg_modes: string[];
  arg_types: string[];
  n_defaults: number;
  return_type: string;
  return_columns: { name: string; type: string }[] | null;
}

/** Functions PostgREST serves to service_role: public, not triggers, executable by that role. */
const FUNCTIONS_SQL = `
  select p.proname as name,
         p.proretset as retset,
         coalesce(p.proargnames, '{}') as arg_names,
         coalesce(p.proargmodes::text[], '{}') as arg_modes,
         array(select format_type(t, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t) as arg_types,
         p.pronargdefaults as n_defaults,
         format_type(p.prorettype, null) as return_type,
         (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, null)) order by a.attnum)
            from pg_attribute a
           where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped) as return_columns
    from pg_proc p
    join pg_type rt on rt.oid = p.prorettype
   where p.pronamespace = 'public'::regnamespace
     and p.prokind = 'f'
     and p.prorettype <> 'trigger'::regtype
     and has_function_privilege('service_role', p.oid, 'execute')
   order by p.proname`;

const SCALARS: Record<string, string> = {
  text: 'string',
  uuid: 'string',
  date: 'string',
  'timestamp with time zone': 'string',
  'timestamp without time zone': 'string',
  interval: 'string',
  integer: 'number',
  bigint: 'number',
  smallint: 'number',
  numeric: 'number',
  real: 'number',
  'double precision': 'number',
  boolean: 'boolean',
  json: 'Json',
  jsonb: 'Json',
  void: 'undefined',
};

/** A Postgres type as JSON carries it; a row type (a table's) is a JSON object. */
function tsType(pgType: string): string {
  if (pgType.endsWith('[]')) return `${tsType(pgType.slice(0, -2))}[]`;
  return SCALARS[pgType] ?? 'Json';
}

/** An object type, one field a line (at the indentation of a function's Args and Returns). */
const object = (fields: string[]) =>
  fields.length > 0 ? `{\n${fields.map((f) => `          ${f};\n`).join('')}        }` : 'Record<PropertyKey, never>';

function argsOf(fn: FunctionRow): string {
  const inputs = fn.arg_types
    .map((type, i) => ({ type, name: fn.arg_names[i] ?? '', mode: fn.arg_modes[i] ?? 'i' }))
    .filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
  if (inputs.some((a) => a.name === '')) throw new Error(`${fn.name}: an unnamed argument cannot be passed by name over PostgREST`);
  // Every argument may be null in SQL; the last n_defaults may be left out.
  return object(inputs.map((a, i) => `${a.name}${i >= inputs.length - fn.n_defaults ? '?' : ''}: ${tsType(a.type)} | null`));
}

function returnsOf(fn: FunctionRow): string {
  const tableColumns = fn.arg_types
    .map((type, i) => ({ type, name: fn.arg_names[i] ?? '', mode: fn.arg_modes[i] }))
    .filter((a) => a.mode === 't' || a.mode === 'o');
  const columns = tableColumns.length > 0 ? tableColumns : (fn.return_columns ?? []);
  const one = columns.length > 0 ? object(columns.map((c) => `${c.name}: ${tsType(c.type)} | null`)) : tsType(fn.return_type);
  return fn.retset ? `${one}[]` : one;
}

export async function renderDatabaseTypes(client: pg.Pool | pg.Client): Promise<string> {
  const { rows } = await client.query<FunctionRow>(FUNCTIONS_SQL);
  const overloaded = rows.filter((row, i) => rows[i - 1]?.name === row.name);
  if (overloaded.length > 0) throw new Error(`overloaded functions have no single type: ${overloaded.map((r) => r.name).join(', ')}`);
  const functions = rows.map((fn) => `      ${fn.name}: {\n        Args: ${argsOf(fn)};\n        Returns: ${returnsOf(fn)};\n      };`);
  return `/**
 * The SQL functions the service-role key may call, as supabase-js's \`Database\`
 * type. Generated from the migrations by scripts/db-types.ts; do not edit.
 */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export type Database = {
  public: {
    Tables: { [_ in never]: never };
    Views: { [_ in never]: never };
    Functions: {
${functions.join('\n')}
    };
    Enums: { [_ in never]: never };
    CompositeTypes: { [_ in never]: never };
  };
};
`;
}

const HELP = `Usage: npx tsx scripts/db-types.ts

Writes ${DATABASE_TYPES_FILE}, the Database type of the SQL functions the
service-role key may call, from the catalogue of DATABASE_URL (apply the
migrations there first: npm run db:migrate).

Environment:
  DATABASE_URL  postgres://user:password@host:5432/database (required)
`;

// Run as a command; imported (by its test), it only renders.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommand({
    name: 'db-types',
    help: HELP,
    options: {},
    async run() {
      const config = loadConfig();
      registerSecrets(config.secrets);
      const databaseUrl = requireDatabaseUrl(config, 'db-types');
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect().catch((error: unknown) => {
        throw connectError(databaseUrl, error);
      });
      try {
        await writeFile(DATABASE_TYPES_FILE, await renderDatabaseTypes(client));
      } finally {
        await client.end();
      }
      process.stdout.write(`wrote ${DATABASE_TYPES_FILE}\n`);
      return EXIT_OK;
    },
  });
}
