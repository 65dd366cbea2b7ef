-- tokensync: rollups maintained from what changed, so their cost is flat in history.
--
-- The day rollups used to be recomputed for a fixed lookback on every run, and
-- four materialized views were refreshed over all history (linear in rows).
-- Now statement-level triggers on token_usage_logs record the UTC hours a
-- statement touched (old and new created_at of updated rows) in
-- tokensync.rollup_dirty_hours, and tokensync_rollup_changed(p_timezone)
-- claims those marks, maps them to the local days they touch and reconverges
-- exactly those days with the three day rollups. Its work depends on the rows
-- of the changed days, never on how much history lies before them.
--
-- Marks are appended, never upserted, like the spend deltas: an upsert on an
-- hour would make every writer of that hour wait on any open transaction that
-- wrote it. A statement of 500 calls appends one or two rows.
--
-- Claiming is safe beside writers and beside another claimer:
-- * A writer's mark becomes visible when its rows do (same transaction), so a
--   mark the claimer cannot see belongs to rows it cannot see either; it stays
--   for the next claim. The marks are deleted before the days are recomputed,
--   in the same transaction, so the recompute reads at least what the delete
--   saw; a failed recompute rolls the delete back.
-- * Claimers (and the full-range path, and the retention purge) hold one
--   transaction-level advisory lock, so a claimer with an older snapshot can
--   never overwrite the rows a newer one just wrote.
--
-- Days at or before the retention horizon (tokensync.retention_state, see
-- 20261204000201_log_retention.sql) are closed: their raw rows may be purged,
-- so they are never recomputed; marks that touch only closed days are dropped
-- and counted.

create table tokensync.rollup_dirty_hours (
  id   bigint generated always as identity primary key,
  -- Start of a UTC hour whose rows changed; '-infinity' after a TRUNCATE (every day).
  hour timestamptz not null
);
create index rollup_dirty_hours_hour_idx on tokensync.rollup_dirty_hours (hour);

comment on table tokensync.rollup_dirty_hours is
  'UTC hours of token_usage_logs changed since the rollups last saw them; appended by triggers, claimed by tokensync_rollup_changed().';

-- One row, written by the retention purge: rows created before purged_before may be gone.
create table tokensync.retention_state (
  singleton     boolean primary key default true,
  purged_before timestamptz not null,
  updated_at    timestamptz not null default clock_timestamp(),

  constraint retention_state_singleton check (singleton)
);

comment on table tokensync.retention_state is
  'The retention horizon: raw logs created before purged_before may have been purged; rollups of days starting before it are final.';

alter table tokensync.rollup_dirty_hours enable row level security;
alter table tokensync.retention_state enable row level security;
revoke all on table tokensync.rollup_dirty_hours, tokensync.retention_state from public, anon, authenticated;
grant select, insert, delete on table tokensync.rollup_dirty_hours to service_role;
grant select, insert, update on table tokensync.retention_state to service_role;

-- ---------------------------------------------------------------------------
-- Marks. The trigger runs as the function's owner: whoever may write usage logs
-- keeps the marks right without rights on the tokensync schema.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_mark_rollup_hours()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into tokensync.rollup_dirty_hours (hour)
    select distinct date_trunc('hour', n.created_at, 'UTC') from new_rows n;
  elsif tg_op = 'DELETE' then
    insert into tokensync.rollup_dirty_hours (hour)
    select distinct date_trunc('hour', o.created_at, 'UTC') from old_rows o;
  elsif tg_op = 'UPDATE' then
    -- Both hours of a row moved to another day: the old day loses it, the new one gains it.
    insert into tokensync.rollup_dirty_hours (hour)
    select distinct date_trunc('hour', r.created_at, 'UTC')
      from (select n.created_at from new_rows n union all select o.created_at from old_rows o) r;
  else
    insert into tokensync.rollup_dirty_hours (hour) values ('-infinity');
  end if;
  return null;
end;
$$;

-- True inside the retention purge (a transaction-local setting it sets and
-- clears): the triggers that keep derived figures must not see its deletes.
create or replace function public.tokensync_purging()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(current_setting('tokensync.purging', true), '') = 'on';
$$;

-- Transition tables allow one event per trigger.
create trigger token_usage_logs_rollup_insert after insert on public.token_usage_logs
  referencing new table as new_rows for each statement execute function public.tokensync_mark_rollup_hours();
create trigger token_usage_logs_rollup_update after update on public.token_usage_logs
  referencing old table as old_rows new table as new_rows for each statement execute function public.tokensync_mark_rollup_hours();
create trigger token_usage_logs_rollup_delete after delete on public.token_usage_logs
  referencing old table as old_rows for each statement
  when (not public.tokensync_purging())
  execute function public.tokensync_mark_rollup_hours();
create trigger token_usage_logs_rollup_truncate after truncate on public.token_usage_logs
  for each statement execute function public.tokensync_mark_rollup_hours();

-- First run after install: every hour that holds rows is dirty, so the first
-- rollup job rolls up all of history once (in batches of days), daily costs included.
insert into tokensync.rollup_dirty_hours (hour)
select distinct date_trunc('hour', l.created_at, 'UTC') from public.token_usage_logs l;

-- ---------------------------------------------------------------------------
-- Claiming.
-- ---------------------------------------------------------------------------

-- Serialises every writer of the day rollups (see the header); released at commit.
create or replace function public.tokensync_lock_rollups()
returns void
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('tokensync'), pg_catalog.hashtext('day_rollups'));
$$;

-- Whether a local day may have lost raw rows to the retention purge.
create or replace function public.tokensync_day_is_closed(p_day date, p_timezone text, p_horizon timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select p_horizon is not null and (p_day::timestamp at time zone p_timezone) < p_horizon;
$$;

-- Reconverges the given local days with the three day rollups, one call per run
-- of consecutive days; returns the summed {services, workflows, daily_costs}.
create or replace function public.tokensync_rollup_day_set(p_days date[], p_timezone text)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run     record;
  v_part    jsonb;
  v_totals  jsonb := jsonb_build_object(
    'services', jsonb_build_object('changed', 0, 'deleted', 0),
    'workflows', jsonb_build_object('changed', 0, 'deleted', 0),
    'daily_costs', jsonb_build_object('changed', 0, 'deleted', 0));
  v_key     text;
begin
  for v_run in
    select min(d) as day_from, max(d) as day_to
      from (select d, d - (row_number() over (order by d))::integer as island
              from (select distinct unnest(p_days) as d) days) numbered
     group by island
     order by 1
  loop
    foreach v_key in array array['services', 'workflows', 'daily_costs'] loop
      v_part := case v_key
        when 'services' then public.tokensync_rollup_service_performance(v_run.day_from, v_run.day_to, p_timezone)
        when 'workflows' then public.tokensync_rollup_workflow_analytics(v_run.day_from, v_run.day_to, p_timezone)
        else public.tokensync_rollup_daily_costs(v_run.day_from, v_run.day_to, p_timezone)
      end;
      v_totals := jsonb_set(v_totals, array[v_key], jsonb_build_object(
        'changed', (v_totals #>> array[v_key, 'changed'])::integer + (v_part ->> 'changed')::integer,
        'deleted', (v_totals #>> array[v_key, 'deleted'])::integer + (v_part ->> 'deleted')::integer));
    end loop;
  end loop;
  return v_totals;
end;
$$;

-- A TRUNCATE left one '-infinity' mark: it stands for every open day that has a
-- rollup row (the logs are gone, so those rows must go). Replaced by one mark
-- per such day, read from the rollup tables, which grow with days, not calls.
create or replace function public.tokensync_expand_truncate_marks(p_timezone text, p_horizon timestamptz)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if not exists (select 1 from tokensync.rollup_dirty_hours where hour = '-infinity') then
    return;
  end if;
  insert into tokensync.rollup_dirty_hours (hour)
  select distinct date_trunc('hour', r.metric_date::timestamp at time zone p_timezone, 'UTC')
    from (select metric_date from public.service_performance_metrics
          union select metric_date from public.workflow_analytics
          union select metric_date from public.daily_cost_breakdown) r
   where not public.tokensync_day_is_closed(r.metric_date, p_timezone, p_horizon);
  delete from tokensync.rollup_dirty_hours where hour = '-infinity';
end;
$$;

-- Claims the dirty hours, maps them to the local days they touch in
-- p_timezone, and reconverges those days, newest first, at most p_max_days of
-- them per call (null: all). Marks that touch only closed days are dropped.
-- Returns {days, hours, skipped_closed_days, has_more, services, workflows,
-- daily_costs}; has_more says that open days were left for the next call.
--
-- JIT is off for the claim and the rollups it runs: the planner estimates a
-- day's rows from the whole table's statistics, so with long history it would
-- compile every query of a claim that reads one day, a cost that grows with
-- history and never pays back on a day's rows.
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
  v_horizon  timestamptz;
  v_days     date[];
  v_hours    timestamptz[];
  v_closed   integer;
  v_open     integer;
  v_claimed  integer;
  v_totals   jsonb;
begin
  if p_max_days is not null and p_max_days < 1 then
    raise exception using errcode = '22023', message = format('p_max_days must be at least 1, got %s', p_max_days);
  end if;
  -- Also validates the time zone before any work (22023 for an unknown one).
  perform now() at time zone p_timezone;
  perform public.tokensync_lock_rollups();
  select r.purged_before into v_horizon from tokensync.retention_state r;
  perform public.tokensync_expand_truncate_marks(p_timezone, v_horizon);

  with hours as (
    select distinct m.hour from tokensync.rollup_dirty_hours m
  ),
  touched as (
    -- An hour touches one local day, or two where the zone's offset is not whole hours.
    select distinct h.hour, v.day, public.tokensync_day_is_closed(v.day, p_timezone, v_horizon) as closed
      from hours h
     cross join lateral (values ((h.hour at time zone p_timezone)::date),
                                (((h.hour + interval '1 hour' - interval '1 microsecond') at time zone p_timezone)::date)) v(day)
  ),
  open_days as (
    select distinct day from touched where not closed
  ),
  picked as (
    select day from open_days order by day desc limit p_max_days
  ),
  claimable as (
    select t.hour from touched t
     group by t.hour
    having bool_and(t.closed or t.day in (select day from picked))
  )
  select (select coalesce(array_agg(day order by day), '{}') from picked),
         (select coalesce(array_agg(hour), '{}') from claimable),
         (select count(distinct day) from touched where closed),
         (select count(*) from open_days)
    into v_days, v_hours, v_closed, v_open;

  delete from tokensync.rollup_dirty_hours m where m.hour = any(v_hours);
  get diagnostics v_claimed = row_count;

  v_totals := public.tokensync_rollup_day_set(v_days, p_timezone);
  return v_totals || jsonb_build_object(
    'days', to_jsonb(v_days::text[]),
    'hours', v_claimed,
    'skipped_closed_days', v_closed,
    'has_more', v_open > cardinality(v_days));
end;
$$;

-- The full-range path (a re-cost, a changed time zone, a repair): reconverges
-- every open day of [p_from, p_to] under the same lock; closed days are left as
-- they are and counted. Same result shape as tokensync_rollup_changed.
create or replace function public.tokensync_rollup_days(p_from date, p_to date, p_timezone text default 'UTC')
returns jsonb
language plpgsql
volatile
set search_path = ''
set jit = off
as $$
declare
  v_horizon timestamptz;
  v_days    date[];
  v_closed  integer;
begin
  perform public.tokensync_local_day_bounds(p_from, p_to, p_timezone);
  perform public.tokensync_lock_rollups();
  select r.purged_before into v_horizon from tokensync.retention_state r;
  select coalesce(array_agg(d::date order by d) filter (where not public.tokensync_day_is_closed(d::date, p_timezone, v_horizon)), '{}'),
         count(*) filter (where public.tokensync_day_is_closed(d::date, p_timezone, v_horizon))
    into v_days, v_closed
    from generate_series(p_from, p_to, interval '1 day') d;
  return public.tokensync_rollup_day_set(v_days, p_timezone) || jsonb_build_object(
    'days', to_jsonb(v_days::text[]),
    'hours', 0,
    'skipped_closed_days', v_closed,
    'has_more', false);
end;
$$;

revoke all on function
  public.tokensync_mark_rollup_hours(),
  public.tokensync_lock_rollups(),
  public.tokensync_day_is_closed(date, text, timestamptz),
  public.tokensync_rollup_day_set(date[], text),
  public.tokensync_expand_truncate_marks(text, timestamptz),
  public.tokensync_rollup_changed(text, integer),
  public.tokensync_rollup_days(date, date, text)
from public, anon, authenticated;
-- Every writer of usage logs evaluates the triggers' WHEN condition.
grant execute on function public.tokensync_purging() to public;
grant execute on function
  public.tokensync_lock_rollups(),
  public.tokensync_day_is_closed(date, text, timestamptz),
  public.tokensync_rollup_day_set(date[], text),
  public.tokensync_expand_truncate_marks(text, timestamptz),
  public.tokensync_rollup_changed(text, integer),
  public.tokensync_rollup_days(date, date, text)
to service_role;

-- ---------------------------------------------------------------------------
-- The four reporting views. Nothing on the worker's path refreshes a view over
-- all history any more.
-- * mv_daily_cost_breakdown becomes a plain view over daily_cost_breakdown:
--   always current, exact, and it outlives the retention purge. Its days are
--   now local days in REPORT_TIMEZONE (UTC by default), like every rollup;
--   unique_users is null (distinct users per day and service are in
--   service_performance_metrics.unique_users).
-- * The other three need all-time distinct counts and percentiles, which no
--   day rollup can merge: they stay materialized views, refreshed by
--   tokensync_refresh_reporting_views(), which the worker no longer calls from
--   the rollup job (schedule it rarely, off the hot queue). After a purge they
--   cover the retained raw logs.
-- ---------------------------------------------------------------------------
drop materialized view public.mv_daily_cost_breakdown;

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

revoke all on function public.tokensync_refresh_reporting_views() from public, anon, authenticated;
grant execute on function public.tokensync_refresh_reporting_views() to service_role;
