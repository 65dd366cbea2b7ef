-- tokensync: the day rollups, retention and mv_user_spending_summary date each
-- call in its organization's zone (see 20261205001700_organization_time_zones.sql).
--
-- * The three day rollups group a call by the calendar date of its created_at
--   in coalesce(organization_settings.time_zone, p_timezone) (a left join on
--   organization_id; calls with no organization take p_timezone). Recomputing
--   days [p_from, p_to] reads the created_at range that covers those dates in
--   every zone in use (from the earliest zone's midnight of p_from to the
--   latest zone's midnight after p_to, so the created_at index still serves)
--   and keeps the rows whose own local date is in the range. With no settings
--   the range is the old one and the per-row filter is skipped.
-- * tokensync_rollup_changed maps a claimed UTC hour to its dates in every
--   zone in use (tokensync_zones_in_use), and also claims the dates recorded
--   in tokensync.rollup_dirty_days when an organization's zone changed.
-- * Retention: a date is closed when its start in any zone in use is before
--   the horizon (some call dated that day may have been purged). The purge
--   cutoff is the earliest start of the local day p_retention_days ago among
--   the zones in use, so every purged call is dated before that day in its own
--   zone and that day stays open everywhere. With no settings both are the
--   old rules.
-- * mv_user_spending_summary: cost_last_7_days and cost_last_30_days are the
--   last 7 and 30 local days (today included) in the zone of the row's
--   organization, default the zone tokensync_refresh_reporting_views(p_timezone)
--   stored in tokensync.reporting_settings.

-- ---------------------------------------------------------------------------
-- The created_at range that holds every call whose local date (in any zone in
-- use) is in [p_from, p_to]. Raises as tokensync_local_day_bounds does.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_zoned_day_bounds(p_from date, p_to date, p_timezone text)
returns table (range_start timestamptz, range_end timestamptz)
language sql
stable
set search_path = ''
as $$
  select min(b.range_start), max(b.range_end)
    from public.tokensync_zones_in_use(p_timezone) z(zone)
   cross join lateral public.tokensync_local_day_bounds(p_from, p_to, z.zone) b;
$$;

-- ---------------------------------------------------------------------------
-- The three day rollups (latest definitions: 20261123000300_rollups.sql and
-- 20261204000100_daily_cost_breakdown.sql); only the dating changes.
-- ---------------------------------------------------------------------------
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
  v_zoned   boolean := public.tokensync_has_organization_zones();
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_zoned_day_bounds(p_from, p_to, p_timezone);

  with dated as (
    select (l.created_at at time zone coalesce(s.time_zone, p_timezone))::date as metric_date, l.*
      from public.token_usage_logs l
      left join public.organization_settings s on s.organization_id = l.organization_id
     where l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
  ),
  fresh as (
    select l.metric_date,
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
      from dated l
     where (not v_zoned or l.metric_date between p_from and p_to)
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
  v_zoned   boolean := public.tokensync_has_organization_zones();
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_zoned_day_bounds(p_from, p_to, p_timezone);

  with dated as (
    select (l.created_at at time zone coalesce(s.time_zone, p_timezone))::date as metric_date, l.*
      from public.token_usage_logs l
      left join public.organization_settings s on s.organization_id = l.organization_id
     where l.workflow_id is not null
       and l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
  ),
  fresh as (
    select l.metric_date,
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
      from dated l
     where (not v_zoned or l.metric_date between p_from and p_to)
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

create or replace function public.tokensync_rollup_daily_costs(
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
  v_zoned   boolean := public.tokensync_has_organization_zones();
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_zoned_day_bounds(p_from, p_to, p_timezone);

  with dated as (
    select (l.created_at at time zone coalesce(s.time_zone, p_timezone))::date as metric_date, l.*
      from public.token_usage_logs l
      left join public.organization_settings s on s.organization_id = l.organization_id
     where l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
  ),
  fresh as (
    select l.metric_date,
           l.service_type,
           l.provider,
           l.model,
           count(*)::integer as requests,
           count(*) filter (where not l.success)::integer as failed_requests,
           count(*) filter (where l.total_cost is null)::integer as unpriced_requests,
           coalesce(sum(l.prompt_tokens), 0)::bigint as prompt_tokens,
           coalesce(sum(l.completion_tokens), 0)::bigint as completion_tokens,
           coalesce(sum(l.cached_tokens), 0)::bigint as cached_tokens,
           coalesce(sum(l.total_tokens), 0)::bigint as total_tokens,
           coalesce(sum(l.input_cost), 0) as input_cost,
           coalesce(sum(l.output_cost), 0) as output_cost,
           coalesce(sum(l.total_cost), 0) as total_cost
      from dated l
     where (not v_zoned or l.metric_date between p_from and p_to)
     group by 1, 2, 3, 4
  ),
  upserted as (
    insert into public.daily_cost_breakdown as d (
      metric_date, service_type, provider, model, requests, failed_requests, unpriced_requests,
      prompt_tokens, completion_tokens, cached_tokens, total_tokens, input_cost, output_cost, total_cost)
    select * from fresh
    on conflict (metric_date, service_type, provider, model) do update set
      requests = excluded.requests,
      failed_requests = excluded.failed_requests,
      unpriced_requests = excluded.unpriced_requests,
      prompt_tokens = excluded.prompt_tokens,
      completion_tokens = excluded.completion_tokens,
      cached_tokens = excluded.cached_tokens,
      total_tokens = excluded.total_tokens,
      input_cost = excluded.input_cost,
      output_cost = excluded.output_cost,
      total_cost = excluded.total_cost
    where (d.requests, d.failed_requests, d.unpriced_requests, d.prompt_tokens, d.completion_tokens,
           d.cached_tokens, d.total_tokens, d.input_cost, d.output_cost, d.total_cost)
      is distinct from
          (excluded.requests, excluded.failed_requests, excluded.unpriced_requests, excluded.prompt_tokens,
           excluded.completion_tokens, excluded.cached_tokens, excluded.total_tokens, excluded.input_cost,
           excluded.output_cost, excluded.total_cost)
    returning 1
  ),
  deleted as (
    delete from public.daily_cost_breakdown d
     where d.metric_date between p_from and p_to
       and not exists (
         select 1 from fresh f
          where f.metric_date = d.metric_date and f.service_type = d.service_type
            and f.provider = d.provider and f.model = d.model)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from deleted) into v_changed, v_deleted;

  return jsonb_build_object('changed', v_changed, 'deleted', v_deleted);
end;
$$;

comment on table public.daily_cost_breakdown is
  'Cost per local day (each call''s organization''s zone, default REPORT_TIMEZONE), service, provider and model; maintained by tokensync from token_usage_logs.';

-- ---------------------------------------------------------------------------
-- Closed days (latest: 20261204000200_incremental_rollups.sql). A date may
-- have lost raw rows when it started before the horizon in any zone in use.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_day_is_closed(p_day date, p_timezone text, p_horizon timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select p_horizon is not null
     and exists (select 1 from public.tokensync_zones_in_use(p_timezone) z(zone)
                  where (p_day::timestamp at time zone z.zone) < p_horizon);
$$;

-- ---------------------------------------------------------------------------
-- Claiming (latest: 20261204000200_incremental_rollups.sql). An hour touches
-- its dates in every zone in use; the dates an organization's zone change
-- recorded are claimed alongside, and dropped (counted) when closed.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_rollup_changed(
  p_timezone text default 'UTC',
  p_max_days integer default 31
)
returns jsonb
language plpgsql
volatile
set search_path = ''
set jit = off
as $$
declare
  v_horizon   timestamptz;
  v_zones     text[];
  v_days      date[];
  v_hours     timestamptz[];
  v_old_days  date[];
  v_closed    integer;
  v_open      integer;
  v_claimed   integer;
  v_totals    jsonb;
begin
  if p_max_days is not null and p_max_days < 1 then
    raise exception using errcode = '22023', message = format('p_max_days must be at least 1, got %s', p_max_days);
  end if;
  -- Also validates the time zone before any work (22023 for an unknown one).
  perform now() at time zone p_timezone;
  perform public.tokensync_lock_rollups();
  select r.purged_before into v_horizon from tokensync.retention_state r;
  select array_agg(z.zone) into v_zones from public.tokensync_zones_in_use(p_timezone) z(zone);
  perform public.tokensync_expand_truncate_marks(p_timezone, v_horizon);

  with hours as (
    select distinct m.hour from tokensync.rollup_dirty_hours m
  ),
  touched as (
    -- Per zone an hour touches one local day, or two where the offset is not whole hours.
    select distinct h.hour, v.day
      from hours h
     cross join unnest(v_zones) z(zone)
     cross join lateral (values ((h.hour at time zone z.zone)::date),
                                (((h.hour + interval '1 hour' - interval '1 microsecond') at time zone z.zone)::date)) v(day)
  ),
  recorded as (
    select distinct d.day from tokensync.rollup_dirty_days d
  ),
  judged as (
    select a.day,
           v_horizon is not null
             and exists (select 1 from unnest(v_zones) z(zone) where (a.day::timestamp at time zone z.zone) < v_horizon) as closed
      from (select day from touched union select day from recorded) a
  ),
  open_days as (
    select day from judged where not closed
  ),
  picked as (
    select day from open_days order by day desc limit p_max_days
  ),
  claimable as (
    select t.hour from touched t join judged j on j.day = t.day
     group by t.hour
    having bool_and(j.closed or t.day in (select day from picked))
  )
  select (select coalesce(array_agg(day order by day), '{}') from picked),
         (select coalesce(array_agg(hour), '{}') from claimable),
         (select coalesce(array_agg(r.day), '{}') from recorded r join judged j on j.day = r.day
           where j.closed or r.day in (select day from picked)),
         (select count(*) from judged where closed),
         (select count(*) from open_days)
    into v_days, v_hours, v_old_days, v_closed, v_open;

  delete from tokensync.rollup_dirty_hours m where m.hour = any(v_hours);
  get diagnostics v_claimed = row_count;
  delete from tokensync.rollup_dirty_days d where d.day = any(v_old_days);

  v_totals := public.tokensync_rollup_day_set(v_days, p_timezone);
  return v_totals || jsonb_build_object(
    'days', to_jsonb(v_days::text[]),
    'hours', v_claimed,
    'skipped_closed_days', v_closed,
    'has_more', v_open > cardinality(v_days));
end;
$$;

-- ---------------------------------------------------------------------------
-- Retention (latest: 20261204000201_log_retention.sql). The cutoff is the
-- earliest start, among the zones in use, of the local day p_retention_days
-- before p_at's day in p_timezone: every call purged is dated before that day
-- in its own zone, and that day keeps all its calls in every zone.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_retention_cutoff(p_retention_days integer, p_timezone text, p_at timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select min((((p_at at time zone p_timezone)::date - p_retention_days)::timestamp) at time zone z.zone)
    from public.tokensync_zones_in_use(p_timezone) z(zone);
$$;

-- ---------------------------------------------------------------------------
-- mv_user_spending_summary (dropped by 20261205001300_exact_money.sql, for the
-- exact cost columns; latest definition 20261123000400_reporting_views.sql). A
-- materialized view has no arguments: the default zone is the one the last
-- refresh was given, kept in a one-row table.
-- ---------------------------------------------------------------------------
create table tokensync.reporting_settings (
  singleton  boolean primary key default true,
  time_zone  text not null default 'UTC',
  updated_at timestamptz not null default clock_timestamp(),

  constraint reporting_settings_singleton check (singleton)
);
comment on table tokensync.reporting_settings is
  'The default zone (REPORT_TIMEZONE) of the materialized reporting views, set by tokensync_refresh_reporting_views(p_timezone).';
insert into tokensync.reporting_settings (singleton) values (true);

alter table tokensync.reporting_settings enable row level security;
revoke all on table tokensync.reporting_settings from public, anon, authenticated;
grant select on table tokensync.reporting_settings to service_role;

-- The totals need every row of a user; the last 30 local days only the recent
-- ones, dated in the zone of the user's row's organization.
create materialized view public.mv_user_spending_summary as
with clock as (
  select now() as at,
         coalesce((select r.time_zone from tokensync.reporting_settings r), 'UTC') as time_zone
),
totals as (
  select l.user_id,
         max(l.organization_id) as organization_id,
         count(*)::bigint as requests,
         count(distinct l.session_id)::bigint as sessions,
         sum(l.total_tokens)::bigint as total_tokens,
         coalesce(sum(l.total_cost), 0) as total_cost,
         min(l.created_at) as first_seen_at,
         max(l.created_at) as last_seen_at
    from public.token_usage_logs l
   where l.user_id is not null
   group by l.user_id
),
windows as (
  select t.user_id,
         ((((c.at at time zone z.zone)::date - 6)::timestamp) at time zone z.zone) as from_7,
         ((((c.at at time zone z.zone)::date - 29)::timestamp) at time zone z.zone) as from_30
    from totals t
   cross join clock c
    left join public.organization_settings s on s.organization_id = t.organization_id
   cross join lateral (select coalesce(s.time_zone, c.time_zone) as zone) z
),
recent as (
  select l.user_id,
         coalesce(sum(l.total_cost) filter (where l.created_at >= w.from_7), 0) as cost_last_7_days,
         coalesce(sum(l.total_cost) filter (where l.created_at >= w.from_30), 0) as cost_last_30_days
    from public.token_usage_logs l
    join windows w on w.user_id = l.user_id
   -- 30 local days (at most 25 hours each) never start before 31 days ago.
   where l.created_at >= (select c.at - interval '31 days' from clock c)
   group by l.user_id
)
select t.user_id,
       t.organization_id,
       t.requests,
       t.sessions,
       t.total_tokens,
       t.total_cost,
       coalesce(r.cost_last_7_days, 0) as cost_last_7_days,
       coalesce(r.cost_last_30_days, 0) as cost_last_30_days,
       t.first_seen_at,
       t.last_seen_at
  from totals t
  left join recent r on r.user_id = t.user_id;
create unique index mv_user_spending_summary_key on public.mv_user_spending_summary (user_id);

comment on materialized view public.mv_user_spending_summary is
  'Per user: all-time totals, and cost over the last 7 and 30 local days (today included) in the zone of its organization (default: tokensync.reporting_settings).';

revoke all on public.mv_user_spending_summary from public, anon, authenticated;
grant select on public.mv_user_spending_summary to service_role;

-- Latest: 20261204000200_incremental_rollups.sql. p_timezone (REPORT_TIMEZONE)
-- is stored for mv_user_spending_summary; null keeps the stored one.
drop function public.tokensync_refresh_reporting_views();
create or replace function public.tokensync_refresh_reporting_views(p_timezone text default null)
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
  if p_timezone is not null then
    -- Validates the zone (22023 for an unknown one) before storing it.
    perform now() at time zone p_timezone;
    update tokensync.reporting_settings r set time_zone = p_timezone, updated_at = clock_timestamp()
     where r.time_zone is distinct from p_timezone;
  end if;
  foreach v_view in array array['mv_user_spending_summary', 'mv_service_performance', 'mv_workflow_efficiency']
  loop
    v_started := clock_timestamp();
    execute format('refresh materialized view concurrently public.%I', v_view);
    v_timings := v_timings || jsonb_build_object(
      v_view, round(extract(epoch from clock_timestamp() - v_started)::numeric * 1000, 1));
  end loop;
  return jsonb_build_object('refreshed_ms', v_timings);
end;
$$;

revoke all on function
  public.tokensync_zoned_day_bounds(date, date, text),
  public.tokensync_refresh_reporting_views(text)
from public, anon, authenticated;
grant execute on function
  public.tokensync_zoned_day_bounds(date, date, text),
  public.tokensync_refresh_reporting_views(text)
to service_role;

comment on view public.mv_daily_cost_breakdown is
  'Kept for SQL users of the seed: cost per local day (each call''s organization''s zone, default REPORT_TIMEZONE), service, provider and model, read from daily_cost_breakdown.';
