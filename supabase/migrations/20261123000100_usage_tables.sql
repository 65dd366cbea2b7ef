-- tokensync: the five tables of the contract (DESIGN.md §2).
--
-- Supabase provides the roles anon, authenticated and service_role, and every
-- file here grants to or revokes from them. A plain Postgres lacks them: create
-- them as Supabase defines them (no login; service_role bypasses RLS), so these
-- files apply the same way with `supabase db push` and `npm run db:migrate`.
-- Where they exist (every Supabase project) nothing of them is changed.
do $$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin noinherit%s', role_name,
                       case when role_name = 'service_role' then ' bypassrls' else '' end);
      exception when duplicate_object then
        null; -- another database of this cluster created it a moment ago
      end;
    end if;
  end loop;
end;
$$;

-- Every constraint is named so that a rejected row says which rule it broke.
-- numeric accepts 'NaN', and NaN compares greater than every number, so a bare
-- "x >= 0" would let it through: money checks also compare against 'NaN'.

-- updated_at is forced by trigger on INSERT and UPDATE, from the wall clock at
-- write time (not now(), which is the transaction start): the sync reads changed
-- rows by the keyset (updated_at, id), so a client-supplied or back-dated stamp
-- would make a row invisible to it.
create or replace function public.tokensync_touch_updated_at()
returns trigger
language plpgsql
as $$
begin
  new.updated_at := clock_timestamp();
  return new;
end;
$$;

-- ---------------------------------------------------------------------------
-- token_usage_logs: one row per model call.
-- ---------------------------------------------------------------------------
create table public.token_usage_logs (
  id                 uuid primary key default gen_random_uuid(),
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default clock_timestamp(),
  request_id         text not null,
  organization_id    text,
  user_id            text,
  session_id         text,
  tier               text,
  service_type       text not null,
  agent_id           text,
  agent_name         text,
  workflow_id        text,
  workflow_step      text,
  provider           text not null,
  model              text not null,
  prompt_tokens      integer not null default 0,
  completion_tokens  integer not null default 0,
  cached_tokens      integer not null default 0,
  cache_write_tokens integer not null default 0,
  reasoning_tokens   integer not null default 0,
  total_tokens       integer,
  input_cost         numeric(14,6),
  output_cost        numeric(14,6),
  total_cost         numeric(14,6),
  latency_ms         integer,
  success            boolean not null default true,
  error_type         text,
  metadata           jsonb not null default '{}'::jsonb,

  constraint token_usage_logs_request_id_key unique (request_id),
  constraint token_usage_logs_request_id_not_blank check (btrim(request_id) <> '' and char_length(request_id) <= 255),
  constraint token_usage_logs_service_type_not_blank check (btrim(service_type) <> '' and char_length(service_type) <= 100),
  constraint token_usage_logs_provider_not_blank check (btrim(provider) <> '' and char_length(provider) <= 100),
  constraint token_usage_logs_model_not_blank check (btrim(model) <> '' and char_length(model) <= 200),
  constraint token_usage_logs_ids_bounded check (
    char_length(organization_id) <= 255 and char_length(user_id) <= 255 and char_length(session_id) <= 255
    and char_length(tier) <= 100 and char_length(agent_id) <= 255 and char_length(agent_name) <= 255
    and char_length(workflow_id) <= 255 and char_length(workflow_step) <= 255 and char_length(error_type) <= 255
  ),
  constraint token_usage_logs_tokens_non_negative check (
    prompt_tokens >= 0 and completion_tokens >= 0 and cached_tokens >= 0
    and cache_write_tokens >= 0 and reasoning_tokens >= 0 and total_tokens >= 0
  ),
  constraint token_usage_logs_input_cost_non_negative check (input_cost >= 0 and input_cost <> 'NaN'),
  constraint token_usage_logs_output_cost_non_negative check (output_cost >= 0 and output_cost <> 'NaN'),
  constraint token_usage_logs_total_cost_non_negative check (total_cost >= 0 and total_cost <> 'NaN'),
  constraint token_usage_logs_latency_non_negative check (latency_ms >= 0),
  constraint token_usage_logs_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);

comment on table public.token_usage_logs is 'One row per LLM call; request_id makes ingest idempotent.';
comment on column public.token_usage_logs.total_tokens is 'prompt + completion when not given.';
comment on column public.token_usage_logs.total_cost is 'input + output when not given; null when the price is unknown.';

-- Totals are derived when the writer leaves them out, so every row is complete.
create or replace function public.tokensync_fill_usage_totals()
returns trigger
language plpgsql
as $$
begin
  if new.total_tokens is null then
    new.total_tokens := new.prompt_tokens + new.completion_tokens;
  end if;
  if new.total_cost is null and new.input_cost is not null and new.output_cost is not null then
    new.total_cost := new.input_cost + new.output_cost;
  end if;
  return new;
end;
$$;

create trigger token_usage_logs_fill_totals
  before insert or update on public.token_usage_logs
  for each row execute function public.tokensync_fill_usage_totals();
create trigger token_usage_logs_touch_updated_at
  before insert or update on public.token_usage_logs
  for each row execute function public.tokensync_touch_updated_at();

-- Time ranges per dimension (reports, budgets) and the sync keyset.
create index token_usage_logs_created_at_idx   on public.token_usage_logs (created_at);
create index token_usage_logs_org_time_idx     on public.token_usage_logs (organization_id, created_at);
create index token_usage_logs_service_time_idx on public.token_usage_logs (service_type, created_at);
create index token_usage_logs_tier_time_idx    on public.token_usage_logs (tier, created_at);
create index token_usage_logs_user_time_idx    on public.token_usage_logs (user_id, created_at);
create index token_usage_logs_session_time_idx on public.token_usage_logs (session_id, created_at);
create index token_usage_logs_model_time_idx   on public.token_usage_logs (model, created_at);
create index token_usage_logs_agent_time_idx   on public.token_usage_logs (agent_id, created_at) where agent_id is not null;
create index token_usage_logs_workflow_time_idx on public.token_usage_logs (workflow_id, workflow_step, created_at) where workflow_id is not null;
create index token_usage_logs_keyset_idx       on public.token_usage_logs (updated_at, id);

-- ---------------------------------------------------------------------------
-- budget_limits: spend limits per entity; stakeholders may edit them in Notion.
-- ---------------------------------------------------------------------------
create table public.budget_limits (
  id               uuid primary key default gen_random_uuid(),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default clock_timestamp(),
  entity_type      text not null,
  entity_id        text not null,
  daily_limit      numeric(14,6),
  monthly_limit    numeric(14,6),
  session_limit    numeric(14,6),
  alert_thresholds numeric[] not null default '{50,75,90,100}',
  breach_action    text not null default 'alert',
  is_active        boolean not null default true,
  description      text,

  constraint budget_limits_entity_key unique (entity_type, entity_id),
  constraint budget_limits_entity_type_check check (entity_type in ('organization', 'service', 'tier', 'user', 'session', 'agent')),
  constraint budget_limits_entity_id_not_blank check (btrim(entity_id) <> '' and char_length(entity_id) <= 255),
  constraint budget_limits_daily_limit_non_negative check (daily_limit >= 0 and daily_limit <> 'NaN'),
  constraint budget_limits_monthly_limit_non_negative check (monthly_limit >= 0 and monthly_limit <> 'NaN'),
  constraint budget_limits_session_limit_non_negative check (session_limit >= 0 and session_limit <> 'NaN'),
  constraint budget_limits_has_a_limit check (coalesce(daily_limit, monthly_limit, session_limit) is not null),
  -- 1000 >= ALL also rejects NaN; array_position finds NULL elements.
  constraint budget_limits_alert_thresholds_valid check (
    cardinality(alert_thresholds) between 1 and 20
    and array_position(alert_thresholds, null) is null
    and 0 < all (alert_thresholds) and 1000 >= all (alert_thresholds)
  ),
  constraint budget_limits_breach_action_check check (breach_action in ('alert', 'block')),
  constraint budget_limits_description_bounded check (char_length(description) <= 2000)
);

comment on column public.budget_limits.alert_thresholds is 'Percentages of a limit at which an alert is raised.';
comment on column public.budget_limits.breach_action is 'alert: allow and warn; block: check_user_budget denies.';

create trigger budget_limits_touch_updated_at
  before insert or update on public.budget_limits
  for each row execute function public.tokensync_touch_updated_at();
create index budget_limits_keyset_idx on public.budget_limits (updated_at, id);

-- ---------------------------------------------------------------------------
-- cost_alerts: one per entity x period x threshold crossing.
-- ---------------------------------------------------------------------------
create table public.cost_alerts (
  id               uuid primary key default gen_random_uuid(),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default clock_timestamp(),
  budget_limit_id  uuid references public.budget_limits (id) on delete set null,
  entity_type      text not null,
  entity_id        text not null,
  period           text not null,
  period_start     timestamptz not null,
  session_id       text,
  threshold_pct    numeric(7,2) not null,
  amount_spent     numeric(14,6) not null,
  limit_amount     numeric(14,6) not null,
  severity         text not null,
  message          text not null,
  acknowledged     boolean not null default false,
  acknowledged_by  text,
  acknowledged_at  timestamptz,

  constraint cost_alerts_once_per_period unique (entity_type, entity_id, period, period_start, threshold_pct),
  constraint cost_alerts_entity_type_check check (entity_type in ('organization', 'service', 'tier', 'user', 'session', 'agent')),
  constraint cost_alerts_entity_id_not_blank check (btrim(entity_id) <> '' and char_length(entity_id) <= 255),
  constraint cost_alerts_period_check check (period in ('daily', 'monthly', 'session')),
  constraint cost_alerts_severity_check check (severity in ('info', 'warning', 'critical')),
  constraint cost_alerts_threshold_pct_range check (threshold_pct > 0 and threshold_pct <= 1000),
  constraint cost_alerts_amount_spent_non_negative check (amount_spent >= 0 and amount_spent <> 'NaN'),
  constraint cost_alerts_limit_amount_non_negative check (limit_amount >= 0 and limit_amount <> 'NaN'),
  constraint cost_alerts_message_not_blank check (btrim(message) <> '' and char_length(message) <= 2000),
  constraint cost_alerts_acknowledgement_consistent check (
    acknowledged or (acknowledged_by is null and acknowledged_at is null)
  )
);

comment on column public.cost_alerts.period_start is 'Start of the period in REPORT_TIMEZONE; for session periods, the first call of the session.';

create trigger cost_alerts_touch_updated_at
  before insert or update on public.cost_alerts
  for each row execute function public.tokensync_touch_updated_at();
create index cost_alerts_keyset_idx on public.cost_alerts (updated_at, id);
create index cost_alerts_open_idx on public.cost_alerts (severity, created_at) where not acknowledged;

-- ---------------------------------------------------------------------------
-- Rollup tables, filled by tokensync_rollup_* functions.
-- ---------------------------------------------------------------------------
create table public.service_performance_metrics (
  id                   uuid primary key default gen_random_uuid(),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default clock_timestamp(),
  metric_date          date not null,
  service_type         text not null,
  total_requests       integer not null,
  successful_requests  integer not null,
  failed_requests      integer not null,
  success_rate         numeric(7,6) not null,
  prompt_tokens        bigint not null,
  completion_tokens    bigint not null,
  total_tokens         bigint not null,
  total_cost           numeric(16,6) not null,
  avg_cost_per_request numeric(16,6) not null,
  avg_latency_ms       numeric(12,2),
  p95_latency_ms       numeric(12,2),
  unique_users         integer not null,
  unique_sessions      integer not null,

  constraint service_performance_metrics_day_service_key unique (metric_date, service_type),
  constraint service_performance_metrics_service_type_not_blank check (btrim(service_type) <> ''),
  constraint service_performance_metrics_counts_non_negative check (
    total_requests >= 0 and successful_requests >= 0 and failed_requests >= 0
    and successful_requests + failed_requests = total_requests
    and unique_users >= 0 and unique_sessions >= 0
  ),
  constraint service_performance_metrics_success_rate_range check (success_rate between 0 and 1),
  constraint service_performance_metrics_tokens_non_negative check (prompt_tokens >= 0 and completion_tokens >= 0 and total_tokens >= 0),
  constraint service_performance_metrics_cost_non_negative check (total_cost >= 0 and avg_cost_per_request >= 0)
);

comment on column public.service_performance_metrics.success_rate is 'Fraction 0..1 (Notion shows it with number format percent).';

create trigger service_performance_metrics_touch_updated_at
  before insert or update on public.service_performance_metrics
  for each row execute function public.tokensync_touch_updated_at();
create index service_performance_metrics_keyset_idx on public.service_performance_metrics (updated_at, id);

create table public.workflow_analytics (
  id                      uuid primary key default gen_random_uuid(),
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default clock_timestamp(),
  metric_date             date not null,
  workflow_id             text not null,
  workflow_step           text,
  executions              integer not null,
  successful_executions   integer not null,
  failed_executions       integer not null,
  success_rate            numeric(7,6) not null,
  avg_duration_ms         numeric(12,2),
  p95_duration_ms         numeric(12,2),
  total_tokens            bigint not null,
  total_cost              numeric(16,6) not null,
  avg_cost_per_execution  numeric(16,6) not null,
  unique_sessions         integer not null,

  -- A call with a workflow but no step is still counted, under a NULL step.
  constraint workflow_analytics_day_step_key unique nulls not distinct (metric_date, workflow_id, workflow_step),
  constraint workflow_analytics_workflow_id_not_blank check (btrim(workflow_id) <> ''),
  constraint workflow_analytics_counts_non_negative check (
    executions >= 0 and successful_executions >= 0 and failed_executions >= 0
    and successful_executions + failed_executions = executions and unique_sessions >= 0
  ),
  constraint workflow_analytics_success_rate_range check (success_rate between 0 and 1),
  constraint workflow_analytics_totals_non_negative check (total_tokens >= 0 and total_cost >= 0 and avg_cost_per_execution >= 0)
);

comment on table public.workflow_analytics is 'One row per day x workflow step; an execution is one logged call of that step.';

create trigger workflow_analytics_touch_updated_at
  before insert or update on public.workflow_analytics
  for each row execute function public.tokensync_touch_updated_at();
create index workflow_analytics_keyset_idx on public.workflow_analytics (updated_at, id);

-- ---------------------------------------------------------------------------
-- Access: RLS on, nothing for anon/authenticated (Supabase grants them table
-- privileges by default, so those are revoked too); service_role (BYPASSRLS)
-- is what the worker and the tracking SDK use.
-- ---------------------------------------------------------------------------
alter table public.token_usage_logs enable row level security;
alter table public.budget_limits enable row level security;
alter table public.cost_alerts enable row level security;
alter table public.service_performance_metrics enable row level security;
alter table public.workflow_analytics enable row level security;

revoke all on table public.token_usage_logs, public.budget_limits, public.cost_alerts,
  public.service_performance_metrics, public.workflow_analytics from anon, authenticated;
grant select, insert, update, delete on table public.token_usage_logs, public.budget_limits,
  public.cost_alerts, public.service_performance_metrics, public.workflow_analytics to service_role;

revoke all on function public.tokensync_touch_updated_at(), public.tokensync_fill_usage_totals()
  from public, anon, authenticated;
