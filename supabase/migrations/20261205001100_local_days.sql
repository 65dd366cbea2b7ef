-- tokensync: one meaning of "day" in the report (issue 16, "What a day is").
--
-- tokensync_report_figures found "yesterday" and "last week" by subtracting
-- interval '1 day' / '7 days' from timestamptz values. Postgres does that
-- arithmetic in the session's TimeZone, which every tokensync connection sets to
-- UTC, so "yesterday" was the 24 hours before today's local midnight. Around a
-- DST change that is the wrong span: the day after spring forward it took the
-- last hour of the day before yesterday (the local day was 23 hours), the day
-- after fall back it lost yesterday's first hour (the local day was 25 hours).
-- The same held for last week, the top services / models / users' previous
-- figures and the drivers of change.
--
-- Now every comparison window is shifted on the local wall clock of p_timezone
-- (tokensync_local_shift) and converted back to an instant:
--   * yesterday_total      = the whole local day before today (23, 24 or 25 h);
--   * yesterday_same_time  = that day from its local midnight up to today's local
--                            wall-clock time (like for like: "by this time");
--   * last_week_total      = the seven local days before this week's Monday;
--   * last_week_same_span  = last week from its Monday's midnight up to the same
--                            weekday and wall-clock time; top_* and drivers
--                            compare against the same span.
-- A wall-clock time that did not exist on the earlier day (02:30 on a spring-
-- forward day) resolves, as Postgres does, to the instant an hour later; one
-- that happened twice (01:30 on a fall-back day) to the later of the two. Either
-- way the window stays inside the earlier local day or week.
--
-- mv_daily_cost_breakdown needs no change here: since
-- 20261204000200_incremental_rollups.sql it is a plain view over
-- daily_cost_breakdown, whose days are the local days the rollups were run in
-- (REPORT_TIMEZONE), so a call is dated the same local day in both. The test
-- local-days.int.test.ts keeps it that way.

/** p_at moved by p_shift on the local wall clock of p_timezone (a local day may be 23, 24 or 25 hours). */
create or replace function public.tokensync_local_shift(p_at timestamptz, p_shift interval, p_timezone text)
returns timestamptz
language sql
immutable
parallel safe
set search_path = ''
as $$
  select ((p_at at time zone p_timezone) + p_shift) at time zone p_timezone;
$$;

-- The leaders' previous span is now given as two instants the caller computed in
-- local time, instead of a fixed interval subtracted in UTC.
drop function public.tokensync_spend_leaders(text, timestamptz, timestamptz, interval, integer);

/** Spend per value of a dimension over [p_from, p_to) and over the previous span [p_prev_from, p_prev_to), biggest first. */
create function public.tokensync_spend_leaders(
  p_dimension text, p_from timestamptz, p_to timestamptz, p_prev_from timestamptz, p_prev_to timestamptz, p_top integer
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_column text := case p_dimension when 'service' then 'service_type' when 'model' then 'model' when 'user' then 'user_id' end;
  v_result jsonb;
begin
  if v_column is null then
    raise exception using errcode = '22023', message = format('unknown dimension %L; expected service, model or user', p_dimension);
  end if;
  execute format($q$
    with now_ as (select %1$I as name, sum(total_cost) as spent from public.token_usage_logs
                   where created_at >= $1 and created_at < $2 and %1$I is not null group by 1),
         before as (select %1$I as name, sum(total_cost) as spent from public.token_usage_logs
                     where created_at >= $3 and created_at < $4 and %1$I is not null group by 1)
    select coalesce(jsonb_agg(x order by (x->>'spent')::numeric desc, x->>'name'), '[]'::jsonb) from (
      select jsonb_build_object('name', coalesce(n.name, b.name), 'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                'change', coalesce(n.spent, 0) - coalesce(b.spent, 0),
                                'change_pct', case when coalesce(b.spent, 0) > 0 then round((coalesce(n.spent, 0) - b.spent) * 100 / b.spent, 1) end) as x
        from now_ n full join before b on b.name = n.name
       order by coalesce(n.spent, 0) desc, coalesce(n.name, b.name)
       limit $5) t
  $q$, v_column) into v_result using p_from, p_to, p_prev_from, p_prev_to, p_top;
  return v_result;
end;
$$;

-- As in 20261123001100_report_figures.sql, plus this month's unpriced models
-- (tokensync_unpriced_models, 20261205000600), with every comparison window in
-- local days and weeks of p_timezone (see the top of this file).
create or replace function public.tokensync_report_figures(
  p_at       timestamptz default now(),
  p_timezone text default 'UTC',
  p_top      integer default 5
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_day            timestamptz;
  v_yesterday      timestamptz;
  v_yesterday_now  timestamptz;
  v_week           timestamptz;
  v_last_week      timestamptz;
  v_last_week_now  timestamptz;
  v_month          timestamptz;
  v_month_end      timestamptz;
  v_month_days     numeric;
  v_elapsed        numeric;
  v_mtd            numeric;
  v_result         jsonb;
begin
  p_at := coalesce(p_at, now());
  v_day := date_trunc('day', p_at, p_timezone);
  v_yesterday := public.tokensync_local_shift(v_day, interval '-1 day', p_timezone);
  v_yesterday_now := least(public.tokensync_local_shift(p_at, interval '-1 day', p_timezone), v_day);
  v_week := date_trunc('week', p_at, p_timezone);
  v_last_week := public.tokensync_local_shift(v_week, interval '-7 days', p_timezone);
  v_last_week_now := least(public.tokensync_local_shift(p_at, interval '-7 days', p_timezone), v_week);
  v_month := date_trunc('month', p_at, p_timezone);
  v_month_end := public.tokensync_local_shift(v_month, interval '1 month', p_timezone);
  v_month_days := extract(epoch from v_month_end - v_month) / 86400;
  v_elapsed := extract(epoch from p_at - v_month) / 86400;
  v_mtd := public.tokensync_spend_between(v_month, p_at);

  select jsonb_build_object(
    'generated_at', p_at,
    'timezone', p_timezone,
    'today', jsonb_build_object(
      'start', v_day,
      'spent', public.tokensync_spend_between(v_day, p_at),
      'yesterday_same_time', public.tokensync_spend_between(v_yesterday, v_yesterday_now),
      'yesterday_total', public.tokensync_spend_between(v_yesterday, v_day)),
    'week', jsonb_build_object(
      'start', v_week,
      'spent', public.tokensync_spend_between(v_week, p_at),
      'last_week_same_span', public.tokensync_spend_between(v_last_week, v_last_week_now),
      'last_week_total', public.tokensync_spend_between(v_last_week, v_week)),
    'month', jsonb_build_object(
      'start', v_month,
      'spent', v_mtd,
      'days_elapsed', round(v_elapsed, 4),
      'days_in_month', v_month_days,
      'projected', case when v_elapsed >= 1 then round(v_mtd * v_month_days / v_elapsed, 6) end),
    'organization_budgets', coalesce((
      select jsonb_agg(jsonb_build_object(
               'organization', b.entity_id,
               'monthly_limit', b.monthly_limit,
               'spent', s.spent,
               'utilisation_pct', case when b.monthly_limit > 0 then round(s.spent * 100 / b.monthly_limit, 2) end,
               'projected', case when v_elapsed >= 1 then round(s.spent * v_month_days / v_elapsed, 6) end,
               'exhausted_on', case when s.spent >= b.monthly_limit then (p_at at time zone p_timezone)::date
                                    when s.spent > 0 and v_elapsed >= 1
                                     and b.monthly_limit * v_elapsed / s.spent < v_month_days
                                    then ((v_month + make_interval(secs => (b.monthly_limit * v_elapsed / s.spent * 86400)::double precision))
                                           at time zone p_timezone)::date end)
             order by b.entity_id)
        from public.budget_limits b
        cross join lateral (select public.tokensync_entity_spend('organization', b.entity_id, v_month, p_at) as spent) s
       where b.is_active and b.entity_type = 'organization' and b.monthly_limit is not null), '[]'::jsonb),
    'top_services', public.tokensync_spend_leaders('service', v_week, p_at, v_last_week, v_last_week_now, p_top),
    'top_models', public.tokensync_spend_leaders('model', v_week, p_at, v_last_week, v_last_week_now, p_top),
    'top_users', public.tokensync_spend_leaders('user', v_week, p_at, v_last_week, v_last_week_now, p_top),
    'drivers', coalesce((
      select jsonb_agg(d order by abs((d->>'change')::numeric) desc) from (
        select jsonb_build_object('service', coalesce(n.service_type, b.service_type), 'model', coalesce(n.model, b.model),
                                  'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                  'change', coalesce(n.spent, 0) - coalesce(b.spent, 0)) as d
          from (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                 where created_at >= v_week and created_at < p_at group by 1, 2) n
          full join (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                      where created_at >= v_last_week and created_at < v_last_week_now group by 1, 2) b
            on b.service_type = n.service_type and b.model = n.model
         order by abs(coalesce(n.spent, 0) - coalesce(b.spent, 0)) desc
         limit 3) t), '[]'::jsonb),
    'budgets', coalesce((
      select jsonb_agg(u) from jsonb_array_elements(public.tokensync_budget_status(p_at, p_timezone)) u
       where u->>'period' <> 'session'), '[]'::jsonb),
    'unpriced_models', public.tokensync_unpriced_models(v_month, p_at),
    'open_critical_alerts', coalesce((
      select jsonb_agg(jsonb_build_object('message', a.message, 'raised_at', a.created_at, 'entity_type', a.entity_type,
                                          'entity_id', a.entity_id, 'period', a.period) order by a.created_at desc)
        from (select * from public.cost_alerts where not acknowledged and severity = 'critical'
               order by created_at desc limit 10) a), '[]'::jsonb)
  ) into v_result;
  return v_result;
end;
$$;

revoke all on function
  public.tokensync_local_shift(timestamptz, interval, text),
  public.tokensync_spend_leaders(text, timestamptz, timestamptz, timestamptz, timestamptz, integer)
from public, anon, authenticated;
grant execute on function
  public.tokensync_local_shift(timestamptz, interval, text),
  public.tokensync_spend_leaders(text, timestamptz, timestamptz, timestamptz, timestamptz, integer)
to service_role;
