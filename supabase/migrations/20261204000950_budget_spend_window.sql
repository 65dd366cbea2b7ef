-- Spend as Budget Limits show it moves at most once per window per limit.
--
-- Under load a budget's spend changes with every call, and each change is a
-- Notion write of its Budget Limits page, whatever woke the pass (a new alert,
-- the sync interval, the spend wake-up). With p_min_age_ms the refresh leaves a
-- limit's figures as they are while they are younger than that, unless
--   * the limit itself changed since they were written (a new limit shows its
--     utilisation at once),
--   * utilisation crossed one of the limit's alert thresholds, either way (an
--     alert never sits next to a page that shows the spend from before it), or
--   * the limit has no figures yet.
-- Enforcement and alert evaluation read spend from the usage itself, never from
-- this table: only what Notion shows waits.
drop function if exists public.tokensync_refresh_budget_spend(timestamptz, text);

create or replace function public.tokensync_refresh_budget_spend(
  p_at         timestamptz default null,
  p_timezone   text default 'UTC',
  p_min_age_ms integer default 0
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_at      timestamptz := coalesce(p_at, now());
  v_day     timestamptz := date_trunc('day', v_at, p_timezone);
  v_month   timestamptz := date_trunc('month', v_at, p_timezone);
  v_fresh_after timestamptz := clock_timestamp() - make_interval(secs => greatest(coalesce(p_min_age_ms, 0), 0) / 1000.0);
  v_changed integer;
begin
  with spend as (
    select b.id, b.daily_limit, b.monthly_limit, b.updated_at as limit_updated_at, b.alert_thresholds,
           round(public.tokensync_entity_spend(b.entity_type, b.entity_id, v_day, v_at), 2) as daily_spend,
           round(public.tokensync_entity_spend(b.entity_type, b.entity_id, v_month, v_at), 2) as monthly_spend
      from public.budget_limits b
  ),
  fresh as (
    select id, limit_updated_at, alert_thresholds, daily_spend, monthly_spend,
           case when daily_limit > 0 then round(daily_spend / daily_limit, 4) end as daily_utilisation,
           case when monthly_limit > 0 then round(monthly_spend / monthly_limit, 4) end as monthly_utilisation
      from spend
  ),
  due as (
    select f.id, f.daily_spend, f.monthly_spend, f.daily_utilisation, f.monthly_utilisation
      from fresh f
      left join tokensync.budget_spend s on s.budget_limit_id = f.id
     where s.budget_limit_id is null
        or s.updated_at <= v_fresh_after
        or f.limit_updated_at > s.updated_at
        or public.tokensync_threshold_band(s.daily_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.daily_utilisation, f.alert_thresholds)
        or public.tokensync_threshold_band(s.monthly_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.monthly_utilisation, f.alert_thresholds)
  ),
  written as (
    insert into tokensync.budget_spend as s (budget_limit_id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation)
    select id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation from due
    on conflict (budget_limit_id) do update
      set daily_spend = excluded.daily_spend, monthly_spend = excluded.monthly_spend,
          daily_utilisation = excluded.daily_utilisation, monthly_utilisation = excluded.monthly_utilisation,
          updated_at = clock_timestamp()
      where (s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation)
            is distinct from (excluded.daily_spend, excluded.monthly_spend, excluded.daily_utilisation, excluded.monthly_utilisation)
    returning 1
  ),
  gone as (
    delete from tokensync.budget_spend s
     where not exists (select 1 from public.budget_limits b where b.id = s.budget_limit_id)
    returning 1
  )
  select (select count(*) from written) + (select count(*) from gone) into v_changed;
  return jsonb_build_object('changed', v_changed);
end;
$$;

-- How many of the thresholds (percent) a utilisation (a fraction) has reached.
create or replace function public.tokensync_threshold_band(p_utilisation numeric, p_thresholds numeric[])
returns integer
language sql
immutable
set search_path = ''
as $$
  select count(*)::integer from unnest(p_thresholds) t where coalesce(p_utilisation, 0) * 100 >= t;
$$;

revoke all on function public.tokensync_refresh_budget_spend(timestamptz, text, integer) from public, anon, authenticated;
grant execute on function public.tokensync_refresh_budget_spend(timestamptz, text, integer) to service_role;
revoke all on function public.tokensync_threshold_band(numeric, numeric[]) from public, anon, authenticated;
grant execute on function public.tokensync_threshold_band(numeric, numeric[]) to service_role;
