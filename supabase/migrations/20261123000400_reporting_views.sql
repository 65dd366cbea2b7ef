-- tokensync: materialized views for reports, each with a unique index so the
-- worker can refresh it CONCURRENTLY (readers are never blocked).
-- Days are UTC days; per-time-zone figures come from the rollup tables.

create materialized view public.mv_daily_cost_breakdown as
select (l.created_at at time zone 'UTC')::date as usage_date,
       l.service_type,
       l.provider,
       l.model,
       count(*)::bigint as requests,
       count(*) filter (where not l.success)::bigint as failed_requests,
       sum(l.prompt_tokens)::bigint as prompt_tokens,
       sum(l.completion_tokens)::bigint as completion_tokens,
       sum(l.cached_tokens)::bigint as cached_tokens,
       sum(l.total_tokens)::bigint as total_tokens,
       coalesce(sum(l.total_cost), 0) as total_cost,
       count(*) filter (where l.total_cost is null)::bigint as unpriced_requests,
       count(distinct l.user_id)::bigint as unique_users
  from public.token_usage_logs l
 group by 1, 2, 3, 4;
create unique index mv_daily_cost_breakdown_key
  on public.mv_daily_cost_breakdown (usage_date, service_type, provider, model);

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

revoke all on public.mv_daily_cost_breakdown, public.mv_user_spending_summary,
  public.mv_service_performance, public.mv_workflow_efficiency from anon, authenticated;
grant select on public.mv_daily_cost_breakdown, public.mv_user_spending_summary,
  public.mv_service_performance, public.mv_workflow_efficiency to service_role;

-- REFRESH needs the views' owner; security definer lets service_role ask for it
-- without owning them.
create or replace function public.tokensync_refresh_reporting_views()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_view    text;
  v_started timestamptz;
  v_timings jsonb := '{}'::jsonb;
begin
  foreach v_view in array array['mv_daily_cost_breakdown', 'mv_user_spending_summary',
                                'mv_service_performance', 'mv_workflow_efficiency']
  loop
    v_started := clock_timestamp();
    execute format('refresh materialized view concurrently public.%I', v_view);
    v_timings := v_timings || jsonb_build_object(
      v_view, round(extract(epoch from clock_timestamp() - v_started)::numeric * 1000, 1));
  end loop;
  return jsonb_build_object('refreshed_ms', v_timings);
end;
$$;

revoke all on function public.tokensync_refresh_reporting_views() from public, anon, authenticated;
grant execute on function public.tokensync_refresh_reporting_views() to service_role;
