-- tokensync: daily rollups of token_usage_logs into service_performance_metrics
-- and workflow_analytics.
--
-- Each function recomputes whole days [p_from, p_to] (local days in p_timezone)
-- and converges the table on the result: rows that differ are updated, rows with
-- no source left are deleted, identical rows are not touched. Running it twice
-- therefore changes nothing, not even updated_at, so the sync sees no change.
-- p95 is percentile_cont (linear interpolation between closest ranks).

create or replace function public.tokensync_local_day_bounds(p_from date, p_to date, p_timezone text)
returns table (range_start timestamptz, range_end timestamptz)
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or p_to < p_from then
    raise exception using errcode = '22023',
      message = format('rollup range must satisfy p_from <= p_to, got %s .. %s', p_from, p_to);
  end if;
  range_start := p_from::timestamp at time zone p_timezone;
  range_end := (p_to + 1)::timestamp at time zone p_timezone;
  return next;
end;
$$;

create or replace function public.tokensync_rollup_service_performance(
  p_from     date,
  p_to       date,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_local_day_bounds(p_from, p_to, p_timezone);

  with fresh as (
    select (l.created_at at time zone p_timezone)::date as metric_date,
           l.service_type,
           count(*)::integer as total_requests,
           count(*) filter (where l.success)::integer as successful_requests,
           count(*) filter (where not l.success)::integer as failed_requests,
           round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
           sum(l.prompt_tokens)::bigint as prompt_tokens,
           sum(l.completion_tokens)::bigint as completion_tokens,
           sum(l.total_tokens)::bigint as total_tokens,
           coalesce(sum(l.total_cost), 0) as total_cost,
           round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_request,
           round(avg(l.latency_ms), 2) as avg_latency_ms,
           round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_latency_ms,
           count(distinct l.user_id)::integer as unique_users,
           count(distinct l.session_id)::integer as unique_sessions
      from public.token_usage_logs l
     where l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
     group by 1, 2
  ),
  upserted as (
    insert into public.service_performance_metrics as m (
      metric_date, service_type, total_requests, successful_requests, failed_requests, success_rate,
      prompt_tokens, completion_tokens, total_tokens, total_cost, avg_cost_per_request,
      avg_latency_ms, p95_latency_ms, unique_users, unique_sessions)
    select * from fresh
    on conflict (metric_date, service_type) do update set
      total_requests = excluded.total_requests,
      successful_requests = excluded.successful_requests,
      failed_requests = excluded.failed_requests,
      success_rate = excluded.success_rate,
      prompt_tokens = excluded.prompt_tokens,
      completion_tokens = excluded.completion_tokens,
      total_tokens = excluded.total_tokens,
      total_cost = excluded.total_cost,
      avg_cost_per_request = excluded.avg_cost_per_request,
      avg_latency_ms = excluded.avg_latency_ms,
      p95_latency_ms = excluded.p95_latency_ms,
      unique_users = excluded.unique_users,
      unique_sessions = excluded.unique_sessions
    where (m.total_requests, m.successful_requests, m.failed_requests, m.success_rate,
           m.prompt_tokens, m.completion_tokens, m.total_tokens, m.total_cost, m.avg_cost_per_request,
           m.avg_latency_ms, m.p95_latency_ms, m.unique_users, m.unique_sessions)
      is distinct from
          (excluded.total_requests, excluded.successful_requests, excluded.failed_requests, excluded.success_rate,
           excluded.prompt_tokens, excluded.completion_tokens, excluded.total_tokens, excluded.total_cost,
           excluded.avg_cost_per_request, excluded.avg_latency_ms, excluded.p95_latency_ms,
           excluded.unique_users, excluded.unique_sessions)
    returning 1
  ),
  deleted as (
    delete from public.service_performance_metrics m
     where m.metric_date between p_from and p_to
       and not exists (select 1 from fresh f where f.metric_date = m.metric_date and f.service_type = m.service_type)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from deleted) into v_changed, v_deleted;

  return jsonb_build_object('changed', v_changed, 'deleted', v_deleted);
end;
$$;

create or replace function public.tokensync_rollup_workflow_analytics(
  p_from     date,
  p_to       date,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_local_day_bounds(p_from, p_to, p_timezone);

  with fresh as (
    select (l.created_at at time zone p_timezone)::date as metric_date,
           l.workflow_id,
           l.workflow_step,
           count(*)::integer as executions,
           count(*) filter (where l.success)::integer as successful_executions,
           count(*) filter (where not l.success)::integer as failed_executions,
           round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
           round(avg(l.latency_ms), 2) as avg_duration_ms,
           round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_duration_ms,
           sum(l.total_tokens)::bigint as total_tokens,
           coalesce(sum(l.total_cost), 0) as total_cost,
           round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_execution,
           count(distinct l.session_id)::integer as unique_sessions
      from public.token_usage_logs l
     where l.workflow_id is not null
       and l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
     group by 1, 2, 3
  ),
  upserted as (
    insert into public.workflow_analytics as w (
      metric_date, workflow_id, workflow_step, executions, successful_executions, failed_executions,
      success_rate, avg_duration_ms, p95_duration_ms, total_tokens, total_cost, avg_cost_per_execution,
      unique_sessions)
    select * from fresh
    on conflict (metric_date, workflow_id, workflow_step) do update set
      executions = excluded.executions,
      successful_executions = excluded.successful_executions,
      failed_executions = excluded.failed_executions,
      success_rate = excluded.success_rate,
      avg_duration_ms = excluded.avg_duration_ms,
      p95_duration_ms = excluded.p95_duration_ms,
      total_tokens = excluded.total_tokens,
      total_cost = excluded.total_cost,
      avg_cost_per_execution = excluded.avg_cost_per_execution,
      unique_sessions = excluded.unique_sessions
    where (w.executions, w.successful_executions, w.failed_executions, w.success_rate, w.avg_duration_ms,
           w.p95_duration_ms, w.total_tokens, w.total_cost, w.avg_cost_per_execution, w.unique_sessions)
      is distinct from
          (excluded.executions, excluded.successful_executions, excluded.failed_executions, excluded.success_rate,
           excluded.avg_duration_ms, excluded.p95_duration_ms, excluded.total_tokens, excluded.total_cost,
           excluded.avg_cost_per_execution, excluded.unique_sessions)
    returning 1
  ),
  deleted as (
    delete from public.workflow_analytics w
     where w.metric_date between p_from and p_to
       and not exists (
         select 1 from fresh f
          where f.metric_date = w.metric_date and f.workflow_id = w.workflow_id
            and f.workflow_step is not distinct from w.workflow_step)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from deleted) into v_changed, v_deleted;

  return jsonb_build_object('changed', v_changed, 'deleted', v_deleted);
end;
$$;

revoke all on function
  public.tokensync_local_day_bounds(date, date, text),
  public.tokensync_rollup_service_performance(date, date, text),
  public.tokensync_rollup_workflow_analytics(date, date, text)
from public, anon, authenticated;
grant execute on function
  public.tokensync_local_day_bounds(date, date, text),
  public.tokensync_rollup_service_performance(date, date, text),
  public.tokensync_rollup_workflow_analytics(date, date, text)
to service_role;
