-- tokensync: the report's unpriced models follow each organization's zone.
--
-- The report lists the models with no price whose calls this month were
-- counted at a fallback (their estimated spend). With organizations in their
-- own zones the month's other figures count each call on its own local date;
-- this list took the default zone's month as instants, so a Tokyo call of the
-- 1st could be in the month's spend and missing from its estimated part. It now
-- takes the same per-zone month window (tokensync_report_windows). With no
-- organization zones it is tokensync_unpriced_models over the default month, as
-- before.

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

-- As in 20261205001730_alerts_and_report_by_zone.sql, the unpriced models by zone.
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

revoke all on function public.tokensync_report_unpriced_models(timestamptz, text) from public, anon, authenticated;
grant execute on function public.tokensync_report_unpriced_models(timestamptz, text) to service_role;
