-- tokensync: alerts and the report follow each organization's time zone
-- (the meaning is in 20261205001700_organization_time_zones.sql).
--
-- Alerts. A limit's day and month are its entity's (tokensync_entity_zone):
-- an organization in Asia/Tokyo is alerted on Tokyo's day, its period_start is
-- Tokyo's midnight, and the day closes when Tokyo's day ends. So:
-- * tokensync_alert_usage: every active limit's current periods, each in its
--   limit's zone (tokensync_limit_usage per limit, as tokensync_budget_status
--   does for one zone), each item naming its zone;
-- * tokensync.alert_periods_closed keeps its mark per zone as before, now for
--   every zone an active limit uses (the default always): the first evaluation
--   after a zone's day ends closes it. A zone seen for the first time closes
--   the period just before its current one, as the default did;
-- * the hours the rollups forward (tokensync.alert_dirty_hours) are claimed
--   once and mapped to the days and months they touch in each of those zones;
-- * a past period is evaluated for the limits whose zone it is in; the late
--   note and the forecast (the month, its projection's date) are in the
--   limit's zone.
-- With no organization_settings every limit's zone is the default: the same
-- periods, the same marks, the same alerts as before.
--
-- Report. "Today" is the calendar date D of the default zone at p_at; a call
-- counts on its own local date (its organization's zone), so each window is
-- taken per zone in use (tokensync_report_windows), [local start, local end)
-- converted to instants in that zone, and every call is matched to its zone's
-- bounds by a hash join (one scan for the totals, one grouped by every
-- dimension for the leaders and drivers). With no organization zones there is
-- one zone and the windows are the created_at ranges the report scanned
-- before, scanned the same way:
--   today          local date D;
--   yesterday      local date D-1; "same time": up to the wall-clock time of
--                  p_at in the default zone, on the call's own clock;
--   week           local dates from this week's Monday through D; last week
--                  the seven dates before, "same span" up to D-7 at that time;
--   month          local dates from the 1st of D's month through D.
-- Windows are as of p_at (p_at included): a Tokyo call already dated D+1 is in
-- none of them, a New York call not yet made is in none either. Comparison
-- bounds are shifted on each zone's wall clock exactly as the default's were
-- (tokensync_local_shift), so with no settings every figure is what it was.
-- So today, yesterday, the weeks and the month equal the sums of
-- daily_cost_breakdown rows over the same dates (whole dates for the totals).
-- The organisation budgets take each organization's own month; the budgets
-- list each limit in its zone; the month's unpriced models count calls by the
-- same local dates as the month's spend. Month projection and days elapsed
-- stay the default zone's month (the installation's).
--
-- Every window that ends at the report instant includes it (it ends a
-- microsecond past p_at), as the budget figures count spend as of p_at: a call
-- dated exactly p_at was left out of today, the week and the month while
-- counted in its organisation's budget, so one report could show an
-- organisation spending more than every call together (found by
-- figures-agree.int.test.ts, UTC, seed 1, at 2026-11-02T00:00:00.001Z).

comment on column public.cost_alerts.period_start is
  'Start of the period in the limit''s zone (its organization''s, else REPORT_TIMEZONE); for session periods, the first call of the session.';
comment on table tokensync.alert_periods_closed is
  'Per time zone used by an active limit (and the default) and period kind, how far alert evaluation has closed past periods; kept by tokensync_evaluate_alerts().';

-- ---------------------------------------------------------------------------
-- Alerts.
-- ---------------------------------------------------------------------------

-- Every active limit's zone, {limit id: zone}: computed once per evaluation so
-- that the current and the past periods of a limit are reckoned in one zone.
create or replace function public.tokensync_limit_zones(p_timezone text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(b.id, public.tokensync_entity_zone(b.entity_type, b.entity_id, p_timezone)), '{}'::jsonb)
    from public.budget_limits b
   where b.is_active;
$$;

-- As tokensync_budget_status (20261123000200_budgets.sql), each limit in its
-- zone (p_limit_zones; a limit missing from it, made since, computes its own),
-- each item with its 'timezone'.
create or replace function public.tokensync_alert_usage(p_at timestamptz, p_timezone text, p_limit_zones jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_limit   public.budget_limits;
  v_zone    text;
  v_usage   record;
  v_session record;
  v_items   jsonb := '[]'::jsonb;
begin
  p_at := coalesce(p_at, now());
  for v_limit in
    select b.* from public.budget_limits b where b.is_active order by b.entity_type, b.entity_id
  loop
    v_zone := coalesce(p_limit_zones ->> v_limit.id::text,
                       public.tokensync_entity_zone(v_limit.entity_type, v_limit.entity_id, p_timezone));
    for v_usage in select * from public.tokensync_limit_usage(v_limit, null, p_at, v_zone) loop
      v_items := v_items || (public.tokensync_budget_item(
        v_limit, v_usage.period, v_usage.period_start, null, v_usage.spent, v_usage.limit_amount)
        || jsonb_build_object('timezone', v_zone));
    end loop;
    if v_limit.session_limit is not null then
      for v_session in
        select s.* from public.tokensync_entity_sessions(
          v_limit.entity_type, v_limit.entity_id, p_at - interval '1 day', p_at) s
        order by s.started_at, s.session_id
      loop
        v_items := v_items || (public.tokensync_budget_item(
          v_limit, 'session', v_session.started_at, v_session.session_id, v_session.spent, v_limit.session_limit)
          || jsonb_build_object('timezone', v_zone));
      end loop;
    end if;
  end loop;
  return v_items;
end;
$$;

-- The past periods to evaluate at p_at, in each zone of p_zones: as in
-- 20261205000800_closing_periods.sql for one zone, the claimed hours read once
-- and mapped in every zone. Volatile: it claims and moves the marks; call it
-- once per evaluation.
drop function public.tokensync_claim_past_periods(timestamptz, text);
create function public.tokensync_claim_past_periods(p_at timestamptz, p_zones text[])
returns table (timezone text, period text, period_start timestamptz, period_end timestamptz)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_zone         text;
  v_hours        timestamptz[];
  v_day          timestamptz;
  v_month        timestamptz;
  v_days_from    timestamptz;
  v_months_from  timestamptz;
begin
  with marks as (
    delete from tokensync.alert_dirty_hours m returning m.hour
  )
  select coalesce(array_agg(distinct m.hour), '{}') into v_hours from marks m;

  for v_zone in select distinct z from unnest(p_zones) z where z is not null order by 1 loop
    v_day := date_trunc('day', p_at, v_zone);
    v_month := date_trunc('month', p_at, v_zone);
    v_days_from := null;
    v_months_from := null;
    select c.closed_through into v_days_from from tokensync.alert_periods_closed c
     where c.timezone = v_zone and c.period = 'daily';
    select c.closed_through into v_months_from from tokensync.alert_periods_closed c
     where c.timezone = v_zone and c.period = 'monthly';
    -- Written only when a period has ended, so most evaluations write nothing here. Two
    -- evaluations closing the same period at once both evaluate it: the unique key keeps
    -- each alert once.
    if v_days_from is null or v_days_from < v_day or v_months_from is null or v_months_from < v_month then
      insert into tokensync.alert_periods_closed as c (timezone, period, closed_through)
      values (v_zone, 'daily', v_day), (v_zone, 'monthly', v_month)
      on conflict on constraint alert_periods_closed_pkey do update
        set closed_through = greatest(c.closed_through, excluded.closed_through), updated_at = clock_timestamp()
        where excluded.closed_through > c.closed_through;
    end if;
    v_days_from := coalesce(v_days_from, date_trunc('day', v_day - interval '1 microsecond', v_zone));
    v_months_from := coalesce(v_months_from, date_trunc('month', v_month - interval '1 microsecond', v_zone));

    return query
    with
    -- An hour falls in one local day, or two where the zone's offset is not whole hours.
    instants as (
      select h as at from unnest(v_hours) h
      union select h + interval '1 hour' - interval '1 microsecond' from unnest(v_hours) h
    ),
    touched as (
      select 'daily' as kind, date_trunc('day', i.at, v_zone) as start from instants i
      union select 'monthly', date_trunc('month', i.at, v_zone) from instants i
    ),
    -- Local midnights, stepped in local time so that DST days are 23 or 25 hours long.
    ended as (
      select 'daily' as kind, date_trunc('day', d at time zone v_zone, v_zone) as start
        from generate_series(v_days_from at time zone v_zone, (v_day at time zone v_zone) - interval '1 day', interval '1 day') d
      union
      select 'monthly', date_trunc('month', d at time zone v_zone, v_zone)
        from generate_series(v_months_from at time zone v_zone, (v_month at time zone v_zone) - interval '1 month', interval '1 month') d
    ),
    past as (
      select t.kind, t.start from touched t
       where t.start < case t.kind when 'daily' then v_day else v_month end
      union
      select e.kind, e.start from ended e
    )
    select v_zone, p.kind, b.period_start, b.period_end
      from past p
      cross join lateral public.tokensync_period_bounds(case p.kind when 'daily' then 'day' else 'month' end, p.start, v_zone) b
     order by 3, 2;
  end loop;
end;
$$;

-- Every active limit's spend in each past period given ([{timezone, period,
-- period_start, period_end}]) whose zone is the limit's (p_limit_zones), shaped
-- like tokensync_budget_status's items plus period_end and timezone. As in
-- 20261205000800_closing_periods.sql otherwise.
drop function public.tokensync_past_period_usage(jsonb, timestamptz);
create function public.tokensync_past_period_usage(p_periods jsonb, p_at timestamptz, p_limit_zones jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.tokensync_budget_item(b, p.period, s.start, null, st.spent, l.amount)
                              || jsonb_build_object('period_end', p.period_end, 'timezone', p.timezone)
                            order by p.period_start, b.entity_type, b.entity_id, p.period), '[]'::jsonb)
    from jsonb_to_recordset(p_periods) as p(timezone text, period text, period_start timestamptz, period_end timestamptz)
    join public.budget_limits b
      on b.is_active and b.created_at < p.period_end
     and p_limit_zones ->> b.id::text = p.timezone
     and case p.period when 'daily' then b.daily_limit is not null else b.monthly_limit is not null end
    cross join lateral (select case p.period when 'daily' then b.daily_limit else b.monthly_limit end as amount,
                               case p.period when 'daily' then b.daily_reset_at else b.monthly_reset_at end as reset_at) l
    cross join lateral (select case when l.reset_at >= p.period_start and l.reset_at < p.period_end
                                    then l.reset_at else p.period_start end as start) s
    cross join lateral public.tokensync_entity_standing(b.entity_type, b.entity_id, s.start, p.period_end, p_at) st;
$$;

-- As in 20261205000800_closing_periods.sql, each limit's periods in its zone:
-- the current ones (tokensync_alert_usage), the closed and late ones in the
-- limit's zone, the late note and the forecast's month in it too.
create or replace function public.tokensync_evaluate_alerts(
  p_at       timestamptz default now(),
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_zones       jsonb;
  v_past        jsonb;
  v_created     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_zones := public.tokensync_limit_zones(p_timezone);
  -- Claimed first, in its own statement: the spend read below sees at least the rows of every hour claimed.
  select coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb) into v_past
    from public.tokensync_claim_past_periods(
      p_at, array(select p_timezone union select z from jsonb_each_text(v_zones) e(id, z))) c;

  with usage as (
    select u.*, false as late, null::timestamptz as period_end
      from jsonb_to_recordset(public.tokensync_alert_usage(p_at, p_timezone, v_zones)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb, timezone text)
    union all
    select u.budget_limit_id, u.entity_type, u.entity_id, u.period, u.period_start, u.session_id, u.spent,
           u.limit_amount, u.thresholds_reached, u.timezone, true, u.period_end
      from jsonb_to_recordset(public.tokensync_past_period_usage(v_past, p_at, v_zones)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb, period_end timestamptz, timezone text)
  ),
  -- How much of each spend is estimated (unpriced models at a fallback price), said in the message.
  usage_estimated as (
    select u.*,
           case when u.spent > 0 then public.tokensync_entity_estimated_spend(
                  u.entity_type, u.entity_id,
                  case when u.period = 'session' then '-infinity'::timestamptz else u.period_start end,
                  case when u.late then u.period_end - interval '1 microsecond' else p_at end, u.session_id)
                else 0 end as estimated
      from usage u
  ),
  crossings as (
    select u.*, t.pct::numeric as threshold_pct
      from usage_estimated u cross join lateral jsonb_array_elements_text(u.thresholds_reached) t(pct)
  ),
  threshold_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start, session_id,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind, late)
    select c.budget_limit_id, c.entity_type, c.entity_id, c.period, c.period_start, c.session_id,
           c.threshold_pct, c.spent, c.limit_amount, public.tokensync_alert_severity(c.threshold_pct),
           format('%s %L reached %s%% of its %s limit%s: %s of %s%s%s',
                  c.entity_type, c.entity_id, trim_scale(c.threshold_pct), c.period,
                  case when c.session_id is not null and c.entity_type <> 'session' then format(' in session %L', c.session_id) else '' end,
                  public.tokensync_format_usd(c.spent), public.tokensync_format_usd(c.limit_amount),
                  public.tokensync_estimate_note(c.estimated),
                  case when c.late then public.tokensync_late_note(c.period, c.period_end, c.timezone) else '' end),
           'threshold', c.late
      from crossings c
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  ),
  -- Run-rate over the elapsed part of the limit's month, once at least a day has passed.
  months as (
    select u.*, m.period_start as month_start, m.period_end as month_end
      from usage_estimated u
      cross join lateral public.tokensync_period_bounds('month', p_at, u.timezone) m
     where not u.late and u.period = 'monthly' and u.limit_amount > 0 and u.spent > 0 and u.spent < u.limit_amount
  ),
  projections as (
    select u.*,
           u.spent * extract(epoch from u.month_end - u.month_start) / extract(epoch from p_at - u.month_start) as projected,
           u.month_start + (p_at - u.month_start) * (u.limit_amount / u.spent) as limit_reached_at
      from months u
     where p_at - u.month_start >= interval '1 day'
  ),
  forecast_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind,
                                         projected_amount, projected_date)
    select p.budget_limit_id, p.entity_type, p.entity_id, 'monthly', p.period_start, 100, p.spent, p.limit_amount,
           'warning',
           format('%s %L is on track to spend %s this month, past its %s monthly limit around %s%s',
                  p.entity_type, p.entity_id, public.tokensync_format_usd(round(p.projected, 2)),
                  public.tokensync_format_usd(p.limit_amount), to_char(p.limit_reached_at at time zone p.timezone, 'YYYY-MM-DD'),
                  public.tokensync_estimate_note(p.estimated, 'spend so far includes')),
           'forecast', round(p.projected, 6), (p.limit_reached_at at time zone p.timezone)::date
      from projections p
     where p.projected > p.limit_amount
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  )
  select coalesce(jsonb_agg(to_jsonb(n) order by n.kind desc, n.entity_type, n.entity_id, n.period, n.period_start, n.threshold_pct), '[]'::jsonb)
    into v_created
    from (select * from threshold_alerts union all select * from forecast_alerts) n;
  return v_created;
end;
$$;

-- ---------------------------------------------------------------------------
-- Report.
-- ---------------------------------------------------------------------------

-- The report's windows at p_at, one row per zone a call may be dated in
-- (tokensync_zones_in_use): the local dates of the default zone's D, D-1, this
-- and last week and this month, as instants in that zone. The comparison ends
-- are shifted on the zone's wall clock as 20261205001100_local_days.sql did
-- for the default (the same wall-clock instant, included, capped at that day's
-- or week's end), so the default zone's row is exactly its windows.
-- upto ends "today" (and the week and month to date): the end of D in the zone,
-- or just past p_at, whichever is first.
create or replace function public.tokensync_report_windows(p_at timestamptz, p_timezone text)
returns table (zone text, day_from timestamptz, upto timestamptz, yesterday_from timestamptz, yesterday_to timestamptz,
               week_from timestamptz, last_week_from timestamptz, last_week_to timestamptz, month_from timestamptz)
language sql
stable
-- A handful of zones: lets the planner hash them, not sort the calls to merge.
rows 4
set search_path = ''
as $$
  with d as (
    select p_at at time zone p_timezone as local_at,
           date_trunc('day', p_at at time zone p_timezone) as day,
           date_trunc('week', p_at at time zone p_timezone) as week,
           date_trunc('month', p_at at time zone p_timezone) as month
  ),
  z as (
    select z.zone, d.local_at, d.day at time zone z.zone as day_from, d.week at time zone z.zone as week_from,
           d.month at time zone z.zone as month_from
      from d cross join public.tokensync_zones_in_use(p_timezone) z(zone)
  )
  select z.zone, z.day_from,
         least(public.tokensync_local_shift(z.day_from, interval '1 day', z.zone), p_at + interval '1 microsecond'),
         public.tokensync_local_shift(z.day_from, interval '-1 day', z.zone),
         least((((z.local_at - interval '1 day') at time zone z.zone)) + interval '1 microsecond', z.day_from),
         z.week_from,
         public.tokensync_local_shift(z.week_from, interval '-7 days', z.zone),
         least((((z.local_at - interval '7 days') at time zone z.zone)) + interval '1 microsecond', z.week_from),
         z.month_from
    from z;
$$;

-- Spend this week and over last week's same span per service, model, user and
-- (service, model) for the drivers, each call on its own local date. With no
-- organization zones, the two range scans per dimension of
-- 20261205001100_local_days.sql; otherwise one scan of the two weeks, each
-- call joined to its zone's bounds, grouped by every dimension at once.
create or replace function public.tokensync_report_week_by(p_at timestamptz, p_timezone text)
returns table (dimension text, name text, model text, spent numeric, previous numeric)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_w    record;
  v_dim  record;
begin
  if not public.tokensync_has_organization_zones() then
    select * into v_w from public.tokensync_report_windows(p_at, p_timezone) r where r.zone = p_timezone;
    for v_dim in
      select * from (values ('service', 'l.service_type, null::text'), ('model', 'l.model, null::text'),
                            ('user', 'l.user_id, null::text'), ('service_model', 'l.service_type, l.model')) d(name, keys)
    loop
      return query execute format($q$
        with now_ as (select %1$s, sum(l.total_cost) from public.token_usage_logs l
                       where l.created_at >= $1 and l.created_at < $2 group by 1, 2),
             before as (select %1$s, sum(l.total_cost) from public.token_usage_logs l
                         where l.created_at >= $3 and l.created_at < $4 group by 1, 2)
        select $5, coalesce(n.k1, b.k1), coalesce(n.k2, b.k2), coalesce(n.spent, 0), coalesce(b.spent, 0)
          from now_ n(k1, k2, spent)
          full join before b(k1, k2, spent) on b.k1 = n.k1 and coalesce(b.k2, '') = coalesce(n.k2, '')
      $q$, v_dim.keys) using v_w.week_from, v_w.upto, v_w.last_week_from, v_w.last_week_to, v_dim.name;
    end loop;
    return;
  end if;
  return query
  with w as materialized (select * from public.tokensync_report_windows(p_at, p_timezone)),
  calls as (
    select l.service_type, l.model, l.user_id,
           case when l.created_at >= w.week_from and l.created_at < w.upto then l.total_cost end as now_cost,
           case when l.created_at >= w.last_week_from and l.created_at < w.last_week_to then l.total_cost end as before_cost
      from public.token_usage_logs l
      left join public.organization_settings s on s.organization_id = l.organization_id
      join w on w.zone = coalesce(s.time_zone, p_timezone)
     where l.created_at >= (select min(w.last_week_from) from w) and l.created_at < p_at + interval '1 microsecond'
       and ((l.created_at >= w.week_from and l.created_at < w.upto)
            or (l.created_at >= w.last_week_from and l.created_at < w.last_week_to))
  )
  -- grouping(): a 1 bit for each of service_type, model, user_id left out of the set.
  select case grouping(c.service_type, c.model, c.user_id) when 3 then 'service' when 5 then 'model'
                                                          when 6 then 'user' else 'service_model' end,
         case grouping(c.service_type, c.model, c.user_id) when 5 then c.model when 6 then c.user_id else c.service_type end,
         case grouping(c.service_type, c.model, c.user_id) when 1 then c.model end,
         coalesce(sum(c.now_cost), 0), coalesce(sum(c.before_cost), 0)
    from calls c
   group by grouping sets ((c.service_type), (c.model), (c.user_id), (c.service_type, c.model));
end;
$$;

-- The leaders of a dimension ('service', 'model' or 'user') among the rows of
-- tokensync_report_week_by (as jsonb), biggest first. Replaces the version
-- taking instants (20261205001100_local_days.sql), which only the report called.
drop function public.tokensync_spend_leaders(text, timestamptz, timestamptz, timestamptz, timestamptz, integer);
create function public.tokensync_spend_leaders(p_week_by jsonb, p_dimension text, p_top integer)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_agg(x order by (x->>'spent')::numeric desc, x->>'name'), '[]'::jsonb) from (
    select jsonb_build_object('name', t.name, 'spent', t.spent, 'previous', t.previous, 'change', t.spent - t.previous,
                              'change_pct', case when t.previous > 0 then round((t.spent - t.previous) * 100 / t.previous, 1) end) as x
      from jsonb_to_recordset(p_week_by) as t(dimension text, name text, spent numeric, previous numeric)
     where t.dimension = p_dimension and t.name is not null
     order by t.spent desc, t.name
     limit p_top) t;
$$;

-- The month's unpriced models, by the report's month window in each zone in
-- use; with no organization zones, tokensync_unpriced_models over the default
-- zone's month, as before.
create or replace function public.tokensync_report_unpriced_models(p_at timestamptz, p_timezone text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if not public.tokensync_has_organization_zones() then
    return public.tokensync_unpriced_models(date_trunc('month', p_at, p_timezone), p_at + interval '1 microsecond');
  end if;
  return (
    with w as materialized (select * from public.tokensync_report_windows(p_at, p_timezone))
    select coalesce(jsonb_agg(jsonb_build_object(
             'provider', m.provider, 'model', m.model, 'calls', m.calls, 'estimated_spend', m.spent,
             'priced_as', m.priced_as, 'first_seen', m.first_seen, 'last_seen', m.last_seen)
           order by m.spent desc, m.provider, m.model), '[]'::jsonb)
      from (select l.provider, l.model, count(*) as calls, coalesce(sum(l.total_cost), 0) as spent,
                   (array_agg(l.metadata #>> '{pricing,priced_as}' order by l.created_at desc))[1] as priced_as,
                   min(l.created_at) as first_seen, max(l.created_at) as last_seen
              from public.token_usage_logs l
              left join public.organization_settings s on s.organization_id = l.organization_id
              join w on w.zone = coalesce(s.time_zone, p_timezone)
             where l.cost_estimated and l.metadata #>> '{pricing,source}' = 'estimated'
               and l.created_at >= (select min(w.month_from) from w) and l.created_at < p_at + interval '1 microsecond'
               and l.created_at >= w.month_from and l.created_at < w.upto
             group by l.provider, l.model) m);
end;
$$;

-- As in 20261205001100_local_days.sql, as of p_at included, with calls on their
-- own local dates (see the top of this file) and each organisation's budget in its zone.
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
  v_end            timestamptz;
  v_day            timestamptz;
  v_week           timestamptz;
  v_month          timestamptz;
  v_month_end      timestamptz;
  v_month_days     numeric;
  v_elapsed        numeric;
  v_sums           record;
  v_zones          jsonb;
  v_week_by        jsonb;
  v_result         jsonb;
begin
  p_at := coalesce(p_at, now());
  -- As of p_at, p_at included: a microsecond past it is the first instant left out.
  v_end := p_at + interval '1 microsecond';
  v_day := date_trunc('day', p_at, p_timezone);
  v_week := date_trunc('week', p_at, p_timezone);
  v_month := date_trunc('month', p_at, p_timezone);
  v_month_end := public.tokensync_local_shift(v_month, interval '1 month', p_timezone);
  v_month_days := extract(epoch from v_month_end - v_month) / 86400;
  v_elapsed := extract(epoch from p_at - v_month) / 86400;

  if public.tokensync_has_organization_zones() then
    -- Every total in one scan from the earliest window on, each call against its zone's bounds.
    with w as materialized (select * from public.tokensync_report_windows(p_at, p_timezone))
    select coalesce(sum(l.total_cost) filter (where l.created_at >= w.day_from and l.created_at < w.upto), 0) as today,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.yesterday_from and l.created_at < w.yesterday_to), 0) as yesterday_same_time,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.yesterday_from and l.created_at < w.day_from), 0) as yesterday_total,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.week_from and l.created_at < w.upto), 0) as week,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.last_week_from and l.created_at < w.last_week_to), 0) as last_week_same_span,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.last_week_from and l.created_at < w.week_from), 0) as last_week_total,
           coalesce(sum(l.total_cost) filter (where l.created_at >= w.month_from and l.created_at < w.upto), 0) as month
      into v_sums
      from public.token_usage_logs l
      left join public.organization_settings s on s.organization_id = l.organization_id
      join w on w.zone = coalesce(s.time_zone, p_timezone)
     where l.created_at >= (select min(least(w.last_week_from, w.month_from)) from w)
       and l.created_at < v_end;
  else
    -- One zone: each window a range of the created_at index, as before.
    select public.tokensync_spend_between(w.day_from, w.upto) as today,
           public.tokensync_spend_between(w.yesterday_from, w.yesterday_to) as yesterday_same_time,
           public.tokensync_spend_between(w.yesterday_from, w.day_from) as yesterday_total,
           public.tokensync_spend_between(w.week_from, w.upto) as week,
           public.tokensync_spend_between(w.last_week_from, w.last_week_to) as last_week_same_span,
           public.tokensync_spend_between(w.last_week_from, w.week_from) as last_week_total,
           public.tokensync_spend_between(w.month_from, w.upto) as month
      into v_sums
      from public.tokensync_report_windows(p_at, p_timezone) w
     where w.zone = p_timezone;
  end if;
  select coalesce(jsonb_agg(to_jsonb(t)), '[]'::jsonb) into v_week_by from public.tokensync_report_week_by(p_at, p_timezone) t;
  v_zones := public.tokensync_limit_zones(p_timezone);

  select jsonb_build_object(
    'generated_at', p_at,
    'timezone', p_timezone,
    'today', jsonb_build_object(
      'start', v_day,
      'spent', v_sums.today,
      'yesterday_same_time', v_sums.yesterday_same_time,
      'yesterday_total', v_sums.yesterday_total),
    'week', jsonb_build_object(
      'start', v_week,
      'spent', v_sums.week,
      'last_week_same_span', v_sums.last_week_same_span,
      'last_week_total', v_sums.last_week_total),
    'month', jsonb_build_object(
      'start', v_month,
      'spent', v_sums.month,
      'days_elapsed', round(v_elapsed, 4),
      'days_in_month', v_month_days,
      'projected', case when v_elapsed >= 1 then round(v_sums.month * v_month_days / v_elapsed, 6) end),
    -- Each organisation's month is its own zone's.
    'organization_budgets', coalesce((
      select jsonb_agg(jsonb_build_object(
               'organization', b.entity_id,
               'monthly_limit', b.monthly_limit,
               'spent', s.spent,
               'utilisation_pct', case when b.monthly_limit > 0 then round(s.spent * 100 / b.monthly_limit, 2) end,
               'projected', case when m.elapsed >= 1 then round(s.spent * m.days / m.elapsed, 6) end,
               'exhausted_on', case when s.spent >= b.monthly_limit then (p_at at time zone z.zone)::date
                                    when s.spent > 0 and m.elapsed >= 1
                                     and b.monthly_limit * m.elapsed / s.spent < m.days
                                    then ((m.month_from + make_interval(secs => (b.monthly_limit * m.elapsed / s.spent * 86400)::double precision))
                                           at time zone z.zone)::date end)
             order by b.entity_id)
        from public.budget_limits b
        cross join lateral (select coalesce(v_zones ->> b.id::text, p_timezone) as zone) z
        cross join lateral (select mb.period_start as month_from,
                                   extract(epoch from mb.period_end - mb.period_start) / 86400 as days,
                                   extract(epoch from p_at - mb.period_start) / 86400 as elapsed
                              from public.tokensync_period_bounds('month', p_at, z.zone) mb) m
        cross join lateral (select public.tokensync_entity_spend('organization', b.entity_id, m.month_from, p_at) as spent) s
       where b.is_active and b.entity_type = 'organization' and b.monthly_limit is not null), '[]'::jsonb),
    'top_services', public.tokensync_spend_leaders(v_week_by, 'service', p_top),
    'top_models', public.tokensync_spend_leaders(v_week_by, 'model', p_top),
    'top_users', public.tokensync_spend_leaders(v_week_by, 'user', p_top),
    'drivers', coalesce((
      select jsonb_agg(d order by abs((d->>'change')::numeric) desc) from (
        select jsonb_build_object('service', t.name, 'model', t.model, 'spent', t.spent, 'previous', t.previous,
                                  'change', t.spent - t.previous) as d
          from jsonb_to_recordset(v_week_by) as t(dimension text, name text, model text, spent numeric, previous numeric)
         where t.dimension = 'service_model'
         order by abs(t.spent - t.previous) desc, t.name, t.model
         limit 3) t), '[]'::jsonb),
    -- Each limit in its zone.
    'budgets', coalesce((
      select jsonb_agg(u) from jsonb_array_elements(public.tokensync_alert_usage(p_at, p_timezone, v_zones)) u
       where u->>'period' <> 'session'), '[]'::jsonb),
    'unpriced_models', public.tokensync_report_unpriced_models(p_at, p_timezone),
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
  public.tokensync_limit_zones(text),
  public.tokensync_alert_usage(timestamptz, text, jsonb),
  public.tokensync_claim_past_periods(timestamptz, text[]),
  public.tokensync_past_period_usage(jsonb, timestamptz, jsonb),
  public.tokensync_report_windows(timestamptz, text),
  public.tokensync_report_week_by(timestamptz, text),
  public.tokensync_report_unpriced_models(timestamptz, text),
  public.tokensync_spend_leaders(jsonb, text, integer)
from public, anon, authenticated;
grant execute on function
  public.tokensync_limit_zones(text),
  public.tokensync_alert_usage(timestamptz, text, jsonb),
  public.tokensync_claim_past_periods(timestamptz, text[]),
  public.tokensync_past_period_usage(jsonb, timestamptz, jsonb),
  public.tokensync_report_windows(timestamptz, text),
  public.tokensync_report_week_by(timestamptz, text),
  public.tokensync_report_unpriced_models(timestamptz, text),
  public.tokensync_spend_leaders(jsonb, text, integer)
to service_role;
