-- tokensync: the report counts a call made at its instant, as its budgets do.
--
-- tokensync_report_figures summed today, this week and the month to date over
-- [start, p_at), leaving out a call dated exactly p_at, while its organisation
-- budgets and budget status (tokensync_entity_spend, tokensync_budget_status)
-- count spend as of p_at, p_at included. One report could so show an
-- organisation's month-to-date spend above the month to date of every call.
-- Seen by figures-agree.int.test.ts (UTC, seed 1, report at
-- 2026-11-02T00:00:00.001Z with a call at that instant: month.spent $0.820906585,
-- org-a's budget $1.107259285, the call $0.2863527).
--
-- Every window that ended at p_at now ends a microsecond past it (p_at included):
-- today, this week, the month to date, the leaders, the drivers and this month's
-- unpriced models. The like-for-like windows take the same wall-clock instant of
-- the earlier day or week, included, still capped at that day's or week's end.
-- Everything else is as in 20261205001100_local_days.sql.

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
  -- As of p_at, p_at included: a microsecond past it is the first instant left out.
  v_end := p_at + interval '1 microsecond';
  v_day := date_trunc('day', p_at, p_timezone);
  v_yesterday := public.tokensync_local_shift(v_day, interval '-1 day', p_timezone);
  v_yesterday_now := least(public.tokensync_local_shift(p_at, interval '-1 day', p_timezone) + interval '1 microsecond', v_day);
  v_week := date_trunc('week', p_at, p_timezone);
  v_last_week := public.tokensync_local_shift(v_week, interval '-7 days', p_timezone);
  v_last_week_now := least(public.tokensync_local_shift(p_at, interval '-7 days', p_timezone) + interval '1 microsecond', v_week);
  v_month := date_trunc('month', p_at, p_timezone);
  v_month_end := public.tokensync_local_shift(v_month, interval '1 month', p_timezone);
  v_month_days := extract(epoch from v_month_end - v_month) / 86400;
  v_elapsed := extract(epoch from p_at - v_month) / 86400;
  v_mtd := public.tokensync_spend_between(v_month, v_end);

  select jsonb_build_object(
    'generated_at', p_at,
    'timezone', p_timezone,
    'today', jsonb_build_object(
      'start', v_day,
      'spent', public.tokensync_spend_between(v_day, v_end),
      'yesterday_same_time', public.tokensync_spend_between(v_yesterday, v_yesterday_now),
      'yesterday_total', public.tokensync_spend_between(v_yesterday, v_day)),
    'week', jsonb_build_object(
      'start', v_week,
      'spent', public.tokensync_spend_between(v_week, v_end),
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
    'top_services', public.tokensync_spend_leaders('service', v_week, v_end, v_last_week, v_last_week_now, p_top),
    'top_models', public.tokensync_spend_leaders('model', v_week, v_end, v_last_week, v_last_week_now, p_top),
    'top_users', public.tokensync_spend_leaders('user', v_week, v_end, v_last_week, v_last_week_now, p_top),
    'drivers', coalesce((
      select jsonb_agg(d order by abs((d->>'change')::numeric) desc) from (
        select jsonb_build_object('service', coalesce(n.service_type, b.service_type), 'model', coalesce(n.model, b.model),
                                  'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                  'change', coalesce(n.spent, 0) - coalesce(b.spent, 0)) as d
          from (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                 where created_at >= v_week and created_at < v_end group by 1, 2) n
          full join (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                      where created_at >= v_last_week and created_at < v_last_week_now group by 1, 2) b
            on b.service_type = n.service_type and b.model = n.model
         order by abs(coalesce(n.spent, 0) - coalesce(b.spent, 0)) desc
         limit 3) t), '[]'::jsonb),
    'budgets', coalesce((
      select jsonb_agg(u) from jsonb_array_elements(public.tokensync_budget_status(p_at, p_timezone)) u
       where u->>'period' <> 'session'), '[]'::jsonb),
    'unpriced_models', public.tokensync_unpriced_models(v_month, v_end),
    'open_critical_alerts', coalesce((
      select jsonb_agg(jsonb_build_object('message', a.message, 'raised_at', a.created_at, 'entity_type', a.entity_type,
                                          'entity_id', a.entity_id, 'period', a.period) order by a.created_at desc)
        from (select * from public.cost_alerts where not acknowledged and severity = 'critical'
               order by created_at desc limit 10) a), '[]'::jsonb)
  ) into v_result;
  return v_result;
end;
$$;
