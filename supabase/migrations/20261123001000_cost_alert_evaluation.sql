-- tokensync: budget alerts. tokensync_evaluate_alerts() compares spend with every
-- active limit (via tokensync_budget_status) and inserts one alert per entity,
-- period and threshold crossed (never twice in a period: the unique key), plus a
-- forecast alert when the month's run-rate projects past a monthly limit.
-- It returns the alerts it created, so the job can notify about new ones only.
--
-- Forecasts need their own kind: they would otherwise collide with the 100%
-- threshold alert of the same month, so the unique key now includes kind.

alter table public.cost_alerts
  add column kind text not null default 'threshold',
  add column projected_amount numeric(14,6),
  add column projected_date date,
  add constraint cost_alerts_kind_check check (kind in ('threshold', 'forecast')),
  add constraint cost_alerts_projection_non_negative check (projected_amount >= 0 and projected_amount <> 'NaN');

alter table public.cost_alerts drop constraint cost_alerts_once_per_period;
alter table public.cost_alerts
  add constraint cost_alerts_once_per_period unique (entity_type, entity_id, period, period_start, threshold_pct, kind);

comment on column public.cost_alerts.kind is 'threshold: spend crossed threshold_pct of the limit; forecast: the run-rate projects past the monthly limit.';

/** info below 75 %, warning from 75 %, critical from 90 %. */
create or replace function public.tokensync_alert_severity(p_threshold_pct numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_threshold_pct >= 90 then 'critical' when p_threshold_pct >= 75 then 'warning' else 'info' end;
$$;

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
  v_month_start timestamptz;
  v_month_end   timestamptz;
  v_created     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_month_start := date_trunc('month', p_at, p_timezone);
  v_month_end := (((v_month_start at time zone p_timezone) + interval '1 month') at time zone p_timezone);

  with usage as (
    select u.*
      from jsonb_to_recordset(public.tokensync_budget_status(p_at, p_timezone)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb)
  ),
  crossings as (
    select u.*, t.pct::numeric as threshold_pct
      from usage u cross join lateral jsonb_array_elements_text(u.thresholds_reached) t(pct)
  ),
  threshold_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start, session_id,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind)
    select c.budget_limit_id, c.entity_type, c.entity_id, c.period, c.period_start, c.session_id,
           c.threshold_pct, c.spent, c.limit_amount, public.tokensync_alert_severity(c.threshold_pct),
           format('%s %L reached %s%% of its %s limit%s: %s of %s',
                  c.entity_type, c.entity_id, trim_scale(c.threshold_pct), c.period,
                  case when c.session_id is not null and c.entity_type <> 'session' then format(' in session %L', c.session_id) else '' end,
                  public.tokensync_format_usd(c.spent), public.tokensync_format_usd(c.limit_amount)),
           'threshold'
      from crossings c
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  ),
  -- Run-rate over the elapsed part of the month, once at least a day has passed.
  projections as (
    select u.*,
           u.spent * extract(epoch from v_month_end - v_month_start) / extract(epoch from p_at - v_month_start) as projected,
           v_month_start + (p_at - v_month_start) * (u.limit_amount / u.spent) as limit_reached_at
      from usage u
     where u.period = 'monthly' and u.limit_amount > 0 and u.spent > 0 and u.spent < u.limit_amount
       and p_at - v_month_start >= interval '1 day'
  ),
  forecast_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind,
                                         projected_amount, projected_date)
    select p.budget_limit_id, p.entity_type, p.entity_id, 'monthly', p.period_start, 100, p.spent, p.limit_amount,
           'warning',
           format('%s %L is on track to spend %s this month, past its %s monthly limit around %s',
                  p.entity_type, p.entity_id, public.tokensync_format_usd(round(p.projected, 2)),
                  public.tokensync_format_usd(p.limit_amount), to_char(p.limit_reached_at at time zone p_timezone, 'YYYY-MM-DD')),
           'forecast', round(p.projected, 6), (p.limit_reached_at at time zone p_timezone)::date
      from projections p
     where p.projected > p.limit_amount
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  )
  select coalesce(jsonb_agg(to_jsonb(n) order by n.kind desc, n.entity_type, n.entity_id, n.period, n.threshold_pct), '[]'::jsonb)
    into v_created
    from (select * from threshold_alerts union all select * from forecast_alerts) n;
  return v_created;
end;
$$;

revoke all on function public.tokensync_alert_severity(numeric), public.tokensync_evaluate_alerts(timestamptz, text)
  from public, anon, authenticated;
grant execute on function public.tokensync_alert_severity(numeric), public.tokensync_evaluate_alerts(timestamptz, text)
  to service_role;
