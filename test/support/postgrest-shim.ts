/**
 * A `fetch` that answers supabase-js's RPC calls the way PostgREST does, by
 * calling the function on the real Postgres. PostgREST cannot run here; this
 * keeps the logic under test the real SQL.
 *
 * Faithful where it matters: POST /rest/v1/rpc/<fn> with a JSON object of named
 * arguments (converted with json_to_record, as PostgREST does), the role taken
 * from the key (service_role or anon, via SET LOCAL ROLE), a function resolved
 * by its argument names (404 PGRST202 otherwise), a single value for functions
 * that return one and an array for set-returning ones, and errors as
 * {code, message, details, hint} with PostgREST's SQLSTATE → HTTP status mapping.
 */
import type pg from 'pg';

export interface PostgrestShimOptions {
  pool: pg.Pool;
  serviceRoleKey: string;
  anonKey?: string;
}

interface FunctionSignature {
  retset: boolean;
  args: { name: string; type: string; hasDefault: boolean }[];
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

const postgrestError = (status: number, code: string, message: string, details: string | null = null, hint: string | null = null) =>
  json(status, { code, message, details, hint });

/** PostgREST's mapping of SQLSTATE to HTTP status (docs: "Errors"). */
function httpStatusFor(sqlState: string, role: string): number {
  if (sqlState === '42501') return role === 'anon' ? 401 : 403;
  if (sqlState === '23503' || sqlState === '23505') return 409;
  if (sqlState === '25006') return 405;
  if (sqlState === '42883' || sqlState === '42P01') return 404;
  if (sqlState === 'P0001') return 400;
  if (sqlState.startsWith('08') || sqlState.startsWith('53')) return 503;
  if (sqlState.startsWith('28') || sqlState.startsWith('0L') || sqlState.startsWith('0P')) return 403;
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(sqlState)) return 500;
  return 400;
}

async function findFunction(pool: pg.Pool, fn: string, argNames: string[]): Promise<FunctionSignature | undefined> {
  const { rows } = await pool.query<{ retset: boolean; names: string[]; types: string[]; ndefaults: number }>(
    `select p.proretset as retset,
            coalesce(p.proargnames[1:p.pronargs], '{}') as names,
            array(select format_type(t, null) from unnest(p.proargtypes) t) as types,
            p.pronargdefaults as ndefaults
       from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.proname = $1`,
    [fn],
  );
  for (const row of rows) {
    const args = row.names.map((name, i) => ({
      name,
      type: row.types[i]!,
      hasDefault: i >= row.names.length - row.ndefaults,
    }));
    const known = argNames.every((n) => args.some((a) => a.name === n));
    const complete = args.every((a) => a.hasDefault || argNames.includes(a.name));
    if (known && complete) return { retset: row.retset, args };
  }
  return undefined;
}

function callSql(fn: string, signature: FunctionSignature, argNames: string[]): string {
  const named = argNames.map((n) => `${n} => a.${n}`).join(', ');
  const columns = argNames.map((n) => `${n} ${signature.args.find((a) => a.name === n)!.type}`).join(', ');
  const args = argNames.length > 0 ? `json_to_record($1::json) as a(${columns})` : undefined;
  if (signature.retset) {
    const source = args ? `${args} cross join lateral ` : '';
    return `select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as result from ${source}public.${fn}(${named}) r`;
  }
  return `select to_jsonb(public.${fn}(${named})) as result${args ? ` from ${args}` : ''}`;
}

export function createPostgrestFetch(options: PostgrestShimOptions): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    const match = /^\/rest\/v1\/rpc\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(url.pathname);
    if (!match || (init?.method ?? 'GET') !== 'POST') {
      return postgrestError(404, 'PGRST125', 'Invalid path specified in request URL');
    }
    const token = headers.get('authorization')?.replace(/^Bearer\s+/i, '');
    const role = token === options.serviceRoleKey ? 'service_role' : token === options.anonKey ? 'anon' : undefined;
    if (!role) return postgrestError(401, 'PGRST301', 'JWSError JWSInvalidSignature');

    let args: Record<string, unknown>;
    try {
      args = init?.body ? JSON.parse(String(init.body)) : {};
    } catch {
      return postgrestError(400, 'PGRST102', 'Empty or invalid json');
    }
    const fn = match[1]!;
    const argNames = Object.keys(args).sort();
    const signature = await findFunction(options.pool, fn, argNames);
    if (!signature) {
      return postgrestError(
        404,
        'PGRST202',
        `Could not find the function public.${fn}(${argNames.join(', ')}) in the schema cache`,
        'Searched for the function with the given argument names, but no matches were found in the schema cache.',
      );
    }

    const client = await options.pool.connect();
    try {
      await client.query('begin');
      await client.query(`set local role ${role}`);
      await client.query(`set local timezone = 'UTC'`);
      const { rows } = await client.query<{ result: unknown }>(callSql(fn, signature, argNames), argNames.length ? [JSON.stringify(args)] : []);
      await client.query('commit');
      return json(200, rows[0]?.result ?? null);
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      const e = error as pg.DatabaseError;
      return postgrestError(httpStatusFor(e.code ?? 'XX000', role), e.code ?? 'XX000', e.message, e.detail ?? null, e.hint ?? null);
    } finally {
      client.release();
    }
  };
}
