/**
 * What the budget benchmark (budget.ts) and its processes (budget-process.ts)
 * share: the history it runs over, the limits, and the calls they reserve.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import type { ReserveRequest } from '../src/sdk/reservations.js';
import type { UsageEvent } from '../src/sdk/usage-event.js';
import { asBulkLoad, inChunks } from './fixtures.js';

export const HISTORY_LOGS = 1_000_000;
export const HISTORY_DAYS = 30;
export const USERS = 10_000;
export const AGENTS = 100;
export const ORGANIZATIONS = ['mvp', 'acme', 'globex', 'initech'] as const;
export const SERVICES = ['1:1_conversation', 'virtual_panel', 'workflow', 'solution_builder'] as const;

/** The user and agent with limits of their own (blocking, the default 10 % grace), on top of the seeded ones. */
export const LIMITED_USER = 'user-40'; // of organization mvp (40 % 4 = 0), the one with a limit; tier_2
export const LIMITED_AGENT = 'agent-7';

/**
 * A realistic spread over the last 30 days, generated in SQL: 4 organizations, 3
 * tiers and an organization per user (10,000 users), 4 services, half the calls
 * by one of 100 agents, 200,000 sessions, 6 OpenAI models, ~3 % failures. Seconds
 * are spread by a multiplier prime to the span, so every hour up to now has calls.
 * $1 first number, $2 the newest created_at, $3 how many, $4 the span in seconds.
 */
const INSERT_HISTORY = `
  insert into public.token_usage_logs
    (request_id, created_at, organization_id, user_id, session_id, tier, service_type, agent_id, feature,
     provider, model, prompt_tokens, completion_tokens, total_tokens, input_cost, output_cost, total_cost, latency_ms, success)
  select 'hist-' || g,
         $2::timestamptz - ((g * 7919) % $4) * interval '1 second',
         (array['mvp','acme','globex','initech'])[1 + u % 4],
         'user-' || u, 'session-' || (g % 200000), 'tier_' || (1 + u % 3),
         (array['1:1_conversation','virtual_panel','workflow','solution_builder'])[1 + g % 4],
         case when g % 2 = 0 then 'agent-' || (g / 2) % ${AGENTS} end,
         (array['chat','summaries','search', null])[1 + g % 4],
         'openai', (array['gpt-4o','gpt-4o-mini','o3','gpt-4.1','gpt-4.1-mini','o4-mini'])[1 + g % 6],
         200 + g % 4000, 50 + g % 900, 250 + g % 4000 + g % 900,
         (200 + g % 4000) * 0.0000025, (50 + g % 900) * 0.00001, (200 + g % 4000) * 0.0000025 + (50 + g % 900) * 0.00001,
         100 + (g * 7919) % 5000, g % 33 <> 0
    from generate_series($1::bigint, $1::bigint + $3 - 1) g,
         lateral (select (g * 7) % ${USERS} as u) x`;

/**
 * Loads the history as a bulk load (triggers off), then fills the hourly spend
 * buckets in one statement the way the spend migration does for rows that
 * existed before it, and adds the limits: the seed's eight (organization,
 * services, tiers: alert only) and a blocking user and agent limit.
 */
export async function seedHistory(client: pg.Client, now: Date, logs = HISTORY_LOGS): Promise<void> {
  const spanSeconds = HISTORY_DAYS * 86_400;
  const bulk = await asBulkLoad(client, () =>
    inChunks(logs, 'budget: generated', 'logs', (start, size) => client.query(INSERT_HISTORY, [start, now.toISOString(), size, spanSeconds])),
  );
  if (bulk) {
    await client.query(`do $$ begin
      execute public.tokensync_spend_delta_sql(
        'select created_at, total_cost, total_tokens, 1 as sign, organization_id, service_type, tier, agent_id, user_id, feature from public.token_usage_logs');
    end $$`);
  }
  await client.query(await readFile(join(import.meta.dirname, '../supabase/seed.sql'), 'utf8'));
  await client.query(
    `insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, breach_action)
     values ('user', $1, 100000, 1000000, 'block'), ('agent', $2, 100000, 1000000, 'block')`,
    [LIMITED_USER, LIMITED_AGENT],
  );
  await client.query('vacuum analyze public.token_usage_logs');
  await client.query('vacuum analyze tokensync.spend_hourly');
}

/** The gpt-4o call of 25,000 in / 2,500 out ($0.0875 by OpenAI's price sheet): what each reservation estimates and settles. */
const CALL = { provider: 'openai', model: 'gpt-4o', promptTokens: 25_000, completionTokens: 2_500 } as const;

/**
 * The k-th call of a load: on the limited user and agent (hot: every call takes
 * the same locks), or on a user of its own (distinct: 10,000 users in turn, the
 * services in turn, organization and tier found from the user's latest call).
 */
export function reservation(k: number, hot: boolean): ReserveRequest {
  return hot
    ? { userId: LIMITED_USER, agentId: LIMITED_AGENT, serviceType: 'workflow', estimate: CALL }
    : { userId: `user-${k % USERS}`, serviceType: SERVICES[k % SERVICES.length]!, estimate: CALL };
}

/** The call that settles reservation(k, …), with a request id unique to `prefix`. */
export function settledCall(request: ReserveRequest, prefix: string, k: number): UsageEvent {
  return {
    requestId: `${prefix}-${k}`,
    userId: request.userId ?? null,
    ...(request.agentId ? { agentId: request.agentId } : {}),
    serviceType: request.serviceType!,
    ...CALL,
    latencyMs: 900,
  } as UsageEvent;
}

/** The q-th quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
