-- tokensync: what each budget limit has spent today and this month, for the
-- Budget Limits database in Notion (Spent Today, Spent This Month, Daily and
-- Monthly Utilisation, and the utilisation chart).
--
-- Spend lives in a table of its own, not in budget_limits: a limit edited in
-- Notion is judged against budget_limits.updated_at (the newer side wins), and a
-- refresh every few minutes would make Supabase the newer side of every edit.
-- The sync reads budget limits through a view that adds the spend, with an
-- updated_at that moves when either changes, so a changed spend is a change to
-- sync like any other. Amounts are kept to the cent and utilisation to 0.01 %,
-- so a refresh rewrites a limit only when what Notion shows would change.

create table tokensync.budget_spend (
  -- No foreign key: budget_limits must stay truncatable by its owners; the
  -- refresh drops the spend of limits that are gone.
  budget_limit_id     uuid primary key,
  daily_spend         numeric(14,2) not null,
  monthly_spend       numeric(14,2) not null,
  daily_utilisation   numeric(12,4),
  monthly_utilisation numeric(12,4),
  updated_at          timestamptz not null default clock_timestamp()
);

comment on table tokensync.budget_spend is 'Spend of each budget limit today and this month (report time zone), refreshed by the budgets job.';

alter table tokensync.budget_spend enable row level security;
revoke all on table tokensync.budget_spend from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.budget_spend to service_role;

-- Recomputes the spend of every limit at p_at (days and months of p_timezone)
-- and writes what changed (dropping the spend of deleted limits). Returns {"changed": n}.
create or replace function public.tokensync_refresh_budget_spend(
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
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
  v_changed integer;
begin
  with spend as (
    select b.id, b.daily_limit, b.monthly_limit,
           round(public.tokensync_entity_spend(b.entity_type, b.entity_id, v_day, v_at), 2) as daily_spend,
           round(public.tokensync_entity_spend(b.entity_type, b.entity_id, v_month, v_at), 2) as monthly_spend
      from public.budget_limits b
  ),
  fresh as (
    select id, daily_spend, monthly_spend,
           case when daily_limit > 0 then round(daily_spend / daily_limit, 4) end as daily_utilisation,
           case when monthly_limit > 0 then round(monthly_spend / monthly_limit, 4) end as monthly_utilisation
      from spend
  ),
  written as (
    insert into tokensync.budget_spend as s (budget_limit_id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation)
    select id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation from fresh
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

-- Budget limits as the sync reads them: every column, the spend, and an
-- updated_at that is the later of the limit's and its spend's.
create view tokensync.budget_limits_synced with (security_invoker = true) as
  select b.id, b.created_at,
         greatest(b.updated_at, s.updated_at) as updated_at,
         b.entity_type, b.entity_id, b.daily_limit, b.monthly_limit, b.session_limit,
         b.alert_thresholds, b.breach_action, b.is_active, b.description,
         s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation
    from public.budget_limits b
    left join tokensync.budget_spend s on s.budget_limit_id = b.id;

revoke all on table tokensync.budget_limits_synced from public, anon, authenticated;
grant select on table tokensync.budget_limits_synced to service_role;

create or replace function public.tokensync_dataset_relation(p_dataset text)
returns text
language sql
stable
set search_path = ''
as $$
  select case when p_dataset = 'budget_limits' then 'tokensync.budget_limits_synced'
              else 'public.' || quote_ident(public.tokensync_dataset_table(p_dataset)) end;
$$;

revoke all on function public.tokensync_refresh_budget_spend(timestamptz, text) from public, anon, authenticated;
grant execute on function public.tokensync_refresh_budget_spend(timestamptz, text) to service_role;
