-- tokensync: exact money.
--
-- A call's cost was stored in numeric(14,6), so every call was rounded to the
-- micro-dollar before anything summed it: a million calls of $0.0000015 were
-- $2.00, not $1.50. Rates carry 9 decimals per million tokens, so a call's exact
-- cost has at most 15 decimals (16 after a batch discount); the SDK computes it
-- in integers and writes it whole. Every column that holds a cost or a sum of
-- costs becomes unconstrained numeric, which stores any decimal exactly, and the
-- sums over them (rollups, spend buckets, budget spend, alerts, the report) are
-- exact with no change to the functions that compute them. Rounding is left to
-- display (Notion, the report, the CLI).
--
-- Widening numeric(p,s) to unconstrained numeric rewrites no table. The views
-- that read these columns must be dropped for the change and are recreated as
-- they were; the three materialized views are repopulated.

drop view public.mv_daily_cost_breakdown;
drop view tokensync.budget_limits_synced;
drop materialized view public.mv_user_spending_summary;
drop materialized view public.mv_service_performance;
drop materialized view public.mv_workflow_efficiency;

alter table public.token_usage_logs
  alter column input_cost  type numeric,
  alter column output_cost type numeric,
  alter column total_cost  type numeric;

alter table public.daily_cost_breakdown
  alter column input_cost  type numeric,
  alter column output_cost type numeric,
  alter column total_cost  type numeric;

alter table tokensync.spend_hourly alter column spent type numeric;
alter table public.service_performance_metrics alter column total_cost type numeric;
alter table public.workflow_analytics alter column total_cost type numeric;
alter table public.cost_alerts
  alter column amount_spent     type numeric,
  alter column projected_amount type numeric;
-- Budget Limits showed spend in whole cents; it is now the exact spend, rounded by Notion's number format.
alter table tokensync.budget_spend
  alter column daily_spend   type numeric,
  alter column monthly_spend type numeric;

-- ---------------------------------------------------------------------------
-- The views, as they were.
-- ---------------------------------------------------------------------------
create view public.mv_daily_cost_breakdown
with (security_invoker = true)
as
select d.metric_date as usage_date,
       d.service_type,
       d.provider,
       d.model,
       d.requests::bigint as requests,
       d.failed_requests::bigint as failed_requests,
       d.prompt_tokens,
       d.completion_tokens,
       d.cached_tokens,
       d.total_tokens,
       d.total_cost::numeric as total_cost,
       d.unpriced_requests::bigint as unpriced_requests,
       null::bigint as unique_users
  from public.daily_cost_breakdown d;

comment on view public.mv_daily_cost_breakdown is
  'Kept for SQL users of the seed: cost per local day (REPORT_TIMEZONE), service, provider and model, read from daily_cost_breakdown.';

revoke all on public.mv_daily_cost_breakdown from public, anon, authenticated;
grant select on public.mv_daily_cost_breakdown to service_role;

create view tokensync.budget_limits_synced with (security_invoker = true) as
  select b.id, b.created_at,
         greatest(b.updated_at, s.updated_at, latest.updated_at) as updated_at,
         b.entity_type, b.entity_id, b.daily_limit, b.monthly_limit, b.session_limit,
         b.alert_thresholds, b.breach_action, b.is_active, b.description,
         s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation,
         b.grace_pct, b.fail_mode,
         open_pause.paused_until, open_pause.reason as pause_reason
    from public.budget_limits b
    left join tokensync.budget_spend s on s.budget_limit_id = b.id
    left join lateral (
      select p.updated_at from public.agent_pauses p
       where b.entity_type = 'agent' and p.agent_id = b.entity_id
       order by p.updated_at desc limit 1
    ) latest on true
    left join public.agent_pauses open_pause
      on b.entity_type = 'agent' and open_pause.agent_id = b.entity_id and open_pause.lifted_at is null;

revoke all on table tokensync.budget_limits_synced from public, anon, authenticated;
grant select on table tokensync.budget_limits_synced to service_role;

create materialized view public.mv_user_spending_summary as
select l.user_id,
       max(l.organization_id) as organization_id,
       count(*)::bigint as requests,
       count(distinct l.session_id)::bigint as sessions,
       sum(l.total_tokens)::bigint as total_tokens,
       coalesce(sum(l.total_cost), 0) as total_cost,
       coalesce(sum(l.total_cost) filter (where l.created_at >= now() - interval '7 days'), 0) as cost_last_7_days,
       coalesce(sum(l.total_cost) filter (where l.created_at >= now() - interval '30 days'), 0) as cost_last_30_days,
       min(l.created_at) as first_seen_at,
       max(l.created_at) as last_seen_at
  from public.token_usage_logs l
 where l.user_id is not null
 group by l.user_id;
create unique index mv_user_spending_summary_key on public.mv_user_spending_summary (user_id);

create materialized view public.mv_service_performance as
select l.service_type,
       l.provider,
       l.model,
       count(*)::bigint as requests,
       round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
       round(avg(l.latency_ms), 2) as avg_latency_ms,
       round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_latency_ms,
       sum(l.total_tokens)::bigint as total_tokens,
       coalesce(sum(l.total_cost), 0) as total_cost,
       round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_request
  from public.token_usage_logs l
 group by l.service_type, l.provider, l.model;
create unique index mv_service_performance_key on public.mv_service_performance (service_type, provider, model);

create materialized view public.mv_workflow_efficiency as
select l.workflow_id,
       l.workflow_step,
       count(*)::bigint as executions,
       count(distinct l.session_id)::bigint as sessions,
       round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
       round(avg(l.latency_ms), 2) as avg_duration_ms,
       round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_duration_ms,
       round(avg(l.total_tokens), 2) as avg_tokens_per_execution,
       coalesce(sum(l.total_cost), 0) as total_cost,
       round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_execution
  from public.token_usage_logs l
 where l.workflow_id is not null
 group by l.workflow_id, l.workflow_step;
create unique index mv_workflow_efficiency_key
  on public.mv_workflow_efficiency (workflow_id, workflow_step) nulls not distinct;

revoke all on public.mv_user_spending_summary, public.mv_service_performance, public.mv_workflow_efficiency
  from public, anon, authenticated;
grant select on public.mv_user_spending_summary, public.mv_service_performance, public.mv_workflow_efficiency
  to service_role;

-- ---------------------------------------------------------------------------
-- Budget spend, exact (as in 20261205000700, without rounding to cents).
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_refresh_budget_spend(
  p_at         timestamptz default null,
  p_timezone   text default 'UTC',
  p_min_age_ms integer default 0
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_at      timestamptz := coalesce(p_at, now());
  v_fresh_after timestamptz := clock_timestamp() - make_interval(secs => greatest(coalesce(p_min_age_ms, 0), 0) / 1000.0);
  v_changed integer;
begin
  -- As of v_at (included), both periods in one read: whole hours from the buckets, however busy the current one.
  with spend as (
    select b.id, b.daily_limit, b.monthly_limit, b.updated_at as limit_updated_at, b.alert_thresholds,
           dm.day_spent as daily_spend, dm.month_spent as monthly_spend
      from public.budget_limits b
      cross join lateral public.tokensync_entity_day_and_month(b.entity_type, b.entity_id,
             public.tokensync_limit_period_start(b, 'daily', v_at, p_timezone), v_at + interval '1 microsecond',
             public.tokensync_limit_period_start(b, 'monthly', v_at, p_timezone), v_at + interval '1 microsecond', v_at) dm
  ),
  fresh as (
    select id, limit_updated_at, alert_thresholds, daily_spend, monthly_spend,
           case when daily_limit > 0 then round(daily_spend / daily_limit, 4) end as daily_utilisation,
           case when monthly_limit > 0 then round(monthly_spend / monthly_limit, 4) end as monthly_utilisation
      from spend
  ),
  due as (
    select f.id, f.daily_spend, f.monthly_spend, f.daily_utilisation, f.monthly_utilisation
      from fresh f
      left join tokensync.budget_spend s on s.budget_limit_id = f.id
     where s.budget_limit_id is null
        or s.updated_at <= v_fresh_after
        or f.limit_updated_at > s.updated_at -- a reset moves the limit's updated_at: its figures drop at once
        or public.tokensync_threshold_band(s.daily_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.daily_utilisation, f.alert_thresholds)
        or public.tokensync_threshold_band(s.monthly_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.monthly_utilisation, f.alert_thresholds)
  ),
  written as (
    insert into tokensync.budget_spend as s (budget_limit_id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation)
    select id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation from due
    on conflict (budget_limit_id) do update
      set daily_spend = excluded.daily_spend, monthly_spend = excluded.monthly_spend,
          daily_utilisation = excluded.daily_utilisation, monthly_utilisation = excluded.monthly_utilisation,
          updated_at = clock_timestamp()
      where (s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation)
            is distinct from (excluded.daily_spend, excluded.monthly_spend, excluded.daily_utilisation, excluded.monthly_utilisation)
    returning 1
  ),
  gone as (
    delete from tokensync.budget_spend s
     where not exists (select 1 from public.budget_limits b where b.id = s.budget_limit_id)
    returning 1
  )
  select (select count(*) from written) + (select count(*) from gone) into v_changed;
  return jsonb_build_object('changed', v_changed);
end;
$$;
