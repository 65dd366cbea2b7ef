-- tokensync: the figures of the stakeholder report, computed in one place so the
-- page shows exactly what SQL says. Periods are local to p_timezone: today,
-- this week (from Monday), this month. Comparisons are like for like: today so
-- far against yesterday up to the same time, this week so far against last
-- week's same span. Amounts are exact (numeric); nothing is rounded here.

create or replace function public.tokensync_spend_between(p_from timestamptz, p_to timestamptz)
returns numeric
language sql
stable
set search_path = ''
as $$
  select coalesce(sum(l.total_cost), 0) from public.token_usage_logs l where l.created_at >= p_from and l.created_at < p_to;
$$;

/** Spend per value of a dimension now and over the previous like-for-like span, biggest first. */
create or replace function public.tokensync_spend_leaders(
  p_dimension text, p_from timestamptz, p_to timestamptz, p_shift interval, p_top integer
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
                     where created_at >= $1 - $3 and created_at < $2 - $3 and %1$I is not null group by 1)
    select coalesce(jsonb_agg(x order by (x->>'spent')::numeric desc, x->>'name'), '[]'::jsonb) from (
      select jsonb_build_object('name', coalesce(n.name, b.name), 'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                'change', coalesce(n.spent, 0) - coalesce(b.spent, 0),
                                'change_pct', case when coalesce(b.spent, 0) > 0 then round((coalesce(n.spent, 0) - b.spent) * 100 / b.spent, 1) end) as x
        from now_ n full join before b on b.name = n.name
       order by coalesce(n.spent, 0) desc, coalesce(n.name, b.name)
       limit $4) t
  $q$, v_column) into v_result using p_from, p_to, p_shift, p_top;
  return v_result;
end;
$$;

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
  v_day        timestamptz;
  v_week       timestamptz;
  v_month      timestamptz;
  v_month_end  timestamptz;
  v_month_days numeric;
  v_elapsed    numeric;
  v_mtd        numeric;
  v_result     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_day := date_trunc('day', p_at, p_timezone);
  v_week := date_trunc('week', p_at, p_timezone);
  v_month := date_trunc('month', p_at, p_timezone);
  v_month_end := ((v_month at time zone p_timezone) + interval '1 month') at time zone p_timezone;
  v_month_days := extract(epoch from v_month_end - v_month) / 86400;
  v_elapsed := extract(epoch from p_at - v_month) / 86400;
  v_mtd := public.tokensync_spend_between(v_month, p_at);

  select jsonb_build_object(
    'generated_at', p_at,
    'timezone', p_timezone,
    'today', jsonb_build_object(
      'start', v_day,
      'spent', public.tokensync_spend_between(v_day, p_at),
      'yesterday_same_time', public.tokensync_spend_between(v_day - interval '1 day', p_at - interval '1 day'),
      'yesterday_total', public.tokensync_spend_between(v_day - interval '1 day', v_day)),
    'week', jsonb_build_object(
      'start', v_week,
      'spent', public.tokensync_spend_between(v_week, p_at),
      'last_week_same_span', public.tokensync_spend_between(v_week - interval '7 days', p_at - interval '7 days'),
      'last_week_total', public.tokensync_spend_between(v_week - interval '7 days', v_week)),
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
    'top_services', public.tokensync_spend_leaders('service', v_week, p_at, interval '7 days', p_top),
    'top_models', public.tokensync_spend_leaders('model', v_week, p_at, interval '7 days', p_top),
    'top_users', public.tokensync_spend_leaders('user', v_week, p_at, interval '7 days', p_top),
    'drivers', coalesce((
      select jsonb_agg(d order by abs((d->>'change')::numeric) desc) from (
        select jsonb_build_object('service', coalesce(n.service_type, b.service_type), 'model', coalesce(n.model, b.model),
                                  'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                  'change', coalesce(n.spent, 0) - coalesce(b.spent, 0)) as d
          from (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                 where created_at >= v_week and created_at < p_at group by 1, 2) n
          full join (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                      where created_at >= v_week - interval '7 days' and created_at < p_at - interval '7 days' group by 1, 2) b
            on b.service_type = n.service_type and b.model = n.model
         order by abs(coalesce(n.spent, 0) - coalesce(b.spent, 0)) desc
         limit 3) t), '[]'::jsonb),
    'budgets', coalesce((
      select jsonb_agg(u) from jsonb_array_elements(public.tokensync_budget_status(p_at, p_timezone)) u
       where u->>'period' <> 'session'), '[]'::jsonb),
    'open_critical_alerts', coalesce((
      select jsonb_agg(jsonb_build_object('message', a.message, 'raised_at', a.created_at, 'entity_type', a.entity_type,
                                          'entity_id', a.entity_id, 'period', a.period) order by a.created_at desc)
        from (select * from public.cost_alerts where not acknowledged and severity = 'critical'
               order by created_at desc limit 10) a), '[]'::jsonb)
  ) into v_result;
  return v_result;
end;
$$;

revoke all on function public.tokensync_spend_between(timestamptz, timestamptz),
  public.tokensync_spend_leaders(text, timestamptz, timestamptz, interval, integer),
  public.tokensync_report_figures(timestamptz, text, integer) from public, anon, authenticated;
grant execute on function public.tokensync_spend_between(timestamptz, timestamptz),
  public.tokensync_spend_leaders(text, timestamptz, timestamptz, interval, integer),
  public.tokensync_report_figures(timestamptz, text, integer) to service_role;
