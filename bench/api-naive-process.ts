/**
 * The naive baseline of the API benchmark (api.ts), as its own process: the
 * same HTTP routes answered by a trivial handler that asks the raw logs on
 * every request, with no spend buckets, no rollups and no cache. Fastify and
 * jose verify the caller's token as the API does, over a pool of the API's
 * size, so what differs between the two is only how the answer is computed.
 *
 * A decision: the limits that apply (organization and tier from the user's
 * latest call, service, user, agent), then for each a `select sum(total_cost)
 * from token_usage_logs where <entity> = … and created_at >= <month start>`
 * (today's spend in the same scan); a reservation does it under a transaction
 * lock per limit and inserts a hold the next sums count; a release deletes it.
 *
 * Argument: JSON { databaseUrl, port, jwtSecret, poolSize }. Prints
 * {"ready":true} once listening; SIGTERM closes it.
 */
import { randomUUID } from 'node:crypto';
import fastify from 'fastify';
import { jwtVerify } from 'jose';
import pg from 'pg';

export interface NaiveApiOptions {
  databaseUrl: string;
  port: number;
  jwtSecret: string;
  poolSize: number;
}

const COLUMN: Record<string, string> = { organization: 'organization_id', service: 'service_type', tier: 'tier', user: 'user_id', agent: 'agent_id' };

interface Question {
  userId: string;
  serviceType: string | null;
  agentId: string | null;
  cost: number;
}

type Limit = { entity_type: string; entity_id: string; daily_limit: string | null; monthly_limit: string | null; breach_action: string };

const options = JSON.parse(process.argv[2] ?? '{}') as NaiveApiOptions;
const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize, application_name: 'tokensync-bench-naive', options: '-c TimeZone=UTC' });
pool.on('error', () => undefined);
const key = new TextEncoder().encode(options.jwtSecret);

await pool.query(`create table if not exists public.bench_naive_holds (
  id uuid primary key, organization_id text, service_type text, tier text, user_id text, agent_id text, cost numeric not null)`);

async function userOf(authorization: string | undefined): Promise<{ sub: string | undefined; role: string }> {
  const token = authorization?.replace(/^Bearer /, '') ?? '';
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
  return { sub: payload.sub, role: String(payload.role) };
}

/** Every limit that applies to the question, with the entity ids it names. */
async function limitsFor(client: pg.PoolClient, q: Question): Promise<{ limits: Limit[]; ids: Record<string, string | null> }> {
  const { rows: [who] } = await client.query<{ organization_id: string | null; tier: string | null }>(
    'select organization_id, tier from public.token_usage_logs where user_id = $1 order by created_at desc limit 1',
    [q.userId],
  );
  const ids: Record<string, string | null> = { organization: who?.organization_id ?? null, tier: who?.tier ?? null, service: q.serviceType, user: q.userId, agent: q.agentId };
  const { rows: limits } = await client.query<Limit>(
    `select entity_type, entity_id, daily_limit, monthly_limit, breach_action from public.budget_limits
      where is_active and (entity_type, entity_id) in (select * from unnest($1::text[], $2::text[])) order by entity_type, entity_id`,
    [Object.keys(ids).filter((t) => ids[t]), Object.keys(ids).filter((t) => ids[t]).map((t) => ids[t])],
  );
  return { limits, ids };
}

/** Spend today and this month of one limit's entity, summed from the raw logs (and the naive holds). */
async function spendOf(client: pg.PoolClient, limit: Limit): Promise<{ day: number; month: number }> {
  const column = COLUMN[limit.entity_type]!;
  const { rows: [spend] } = await client.query<{ day: string; month: string }>(
    `select coalesce(sum(total_cost) filter (where created_at >= date_trunc('day', now())), 0) as day, coalesce(sum(total_cost), 0) as month
       from public.token_usage_logs where ${column} = $1 and created_at >= date_trunc('month', now())`,
    [limit.entity_id],
  );
  const { rows: [held] } = await client.query<{ held: string }>(`select coalesce(sum(cost), 0) as held from public.bench_naive_holds where ${column} = $1`, [limit.entity_id]);
  return { day: Number(spend!.day) + Number(held!.held), month: Number(spend!.month) + Number(held!.held) };
}

async function decide(client: pg.PoolClient, q: Question, lock: boolean) {
  const { limits, ids } = await limitsFor(client, q);
  if (lock) {
    for (const limit of limits) await client.query('select pg_advisory_xact_lock(hashtext($1))', [`${limit.entity_type}:${limit.entity_id}`]);
  }
  let allowed = true;
  let remaining: number | null = null;
  const warnings: string[] = [];
  for (const limit of limits) {
    const spend = await spendOf(client, limit);
    for (const [period, spent, cap] of [['daily', spend.day, limit.daily_limit], ['monthly', spend.month, limit.monthly_limit]] as const) {
      if (cap === null) continue;
      const left = Number(cap) - spent;
      remaining = remaining === null ? left : Math.min(remaining, left);
      if (spent + q.cost > Number(cap)) {
        if (limit.breach_action === 'block') allowed = false;
        else warnings.push(`${limit.entity_type} ${limit.entity_id} ${period} limit exceeded`);
      }
    }
  }
  return { allowed, remaining, warnings, ids };
}

const app = fastify({ logger: false });

app.post('/v1/budget/check', async (request) => {
  const { sub } = await userOf(request.headers.authorization);
  const body = request.body as { serviceType?: string; agentId?: string; estimatedCost?: number };
  const client = await pool.connect();
  try {
    const d = await decide(client, { userId: sub!, serviceType: body.serviceType ?? null, agentId: body.agentId ?? null, cost: body.estimatedCost ?? 0 }, false);
    return { allowed: d.allowed, remainingBudget: d.remaining, warnings: d.warnings };
  } finally {
    client.release();
  }
});

app.post('/v1/budget/reservations', async (request) => {
  const { sub } = await userOf(request.headers.authorization);
  const body = request.body as { serviceType?: string; agentId?: string; estimate?: { costUsd?: number } };
  const client = await pool.connect();
  try {
    await client.query('begin');
    const q = { userId: sub!, serviceType: body.serviceType ?? null, agentId: body.agentId ?? null, cost: body.estimate?.costUsd ?? 0 };
    const d = await decide(client, q, true);
    let hold: { id: string } | null = null;
    if (d.allowed) {
      hold = { id: randomUUID() };
      await client.query(
        'insert into public.bench_naive_holds (id, organization_id, service_type, tier, user_id, agent_id, cost) values ($1, $2, $3, $4, $5, $6, $7)',
        [hold.id, d.ids.organization, q.serviceType, d.ids.tier, q.userId, q.agentId, q.cost],
      );
    }
    await client.query('commit');
    return { allowed: d.allowed, hold, remainingBudget: d.remaining, warnings: d.warnings };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

app.delete('/v1/budget/reservations/:holdId', async (request, reply) => {
  const { sub } = await userOf(request.headers.authorization);
  const { rowCount } = await pool.query('delete from public.bench_naive_holds where id = $1 and user_id = $2', [(request.params as { holdId: string }).holdId, sub]);
  if (rowCount === 0) return reply.code(404).send({ error: { code: 'hold_not_found' } });
  return { released: true };
});

// The reads: the same questions as the API's overview and a user's statistics, asked of the raw logs.
app.get('/v1/usage/dashboard', async (request) => {
  await userOf(request.headers.authorization);
  const month = `created_at >= date_trunc('month', now())`;
  const [totals, agents, models] = await Promise.all([
    pool.query(`select coalesce(sum(total_cost) filter (where created_at >= date_trunc('day', now())), 0) as today,
                       coalesce(sum(total_cost), 0) as month, count(*)::int as calls
                  from public.token_usage_logs where ${month}`),
    pool.query(`select agent_id, sum(total_cost) as spent from public.token_usage_logs
                 where ${month} and agent_id is not null group by 1 order by 2 desc nulls last limit 5`),
    pool.query(`select model, sum(total_cost) as spent from public.token_usage_logs
                 where ${month} group by 1 order by 2 desc nulls last limit 5`),
  ]);
  return { ...totals.rows[0], topAgents: agents.rows, topModels: models.rows };
});

app.get('/v1/usage/users/:userId', async (request) => {
  const { sub, role } = await userOf(request.headers.authorization);
  const userId = (request.params as { userId: string }).userId;
  if (role !== 'service_role' && sub !== userId) throw new Error('other user');
  const { rows } = await pool.query(
    `select coalesce(sum(total_cost) filter (where created_at >= date_trunc('day', now())), 0) as today,
            coalesce(sum(total_cost), 0) as month, count(*)::int as calls, coalesce(sum(total_tokens), 0)::bigint as tokens
       from public.token_usage_logs where user_id = $1 and created_at >= date_trunc('month', now())`,
    [userId],
  );
  return { userId, ...rows[0] };
});

await app.listen({ host: '127.0.0.1', port: options.port });
process.stdout.write('{"ready":true}\n');
process.on('SIGTERM', () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});
