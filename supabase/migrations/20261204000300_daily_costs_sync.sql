-- tokensync: Daily Costs, the sixth synced dataset.
--
-- public.daily_cost_breakdown (see *_daily_cost_breakdown.sql) becomes the
-- Notion database every cost chart is drawn from. Here it joins the datasets
-- the sync knows: the dataset → table map (which the sync state's checks use),
-- the keyset read's error text, the tombstones of deleted rows (a day whose
-- last call is deleted loses its page), and the tables verify checks for RLS.

create or replace function public.tokensync_dataset_table(p_dataset text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_dataset in ('token_usage_logs', 'budget_limits', 'cost_alerts',
                                 'service_performance_metrics', 'workflow_analytics', 'daily_cost_breakdown')
              then p_dataset end;
$$;

create or replace function public.tokensync_keyset_table(
  p_dataset          text,
  p_after_updated_at timestamptz,
  p_after_id         uuid,
  p_limit            integer
)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_table text := public.tokensync_dataset_table(p_dataset);
begin
  if v_table is null then
    raise exception using errcode = '22023', message = format(
      'unknown dataset %L; expected token_usage_logs, budget_limits, cost_alerts, service_performance_metrics, '
      'workflow_analytics or daily_cost_breakdown',
      p_dataset);
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception using errcode = '22023',
      message = format('p_limit must be between 1 and 10000, got %s', coalesce(p_limit::text, 'null'));
  end if;
  if (p_after_updated_at is null) <> (p_after_id is null) then
    raise exception using errcode = '22023',
      message = 'a cursor needs both p_after_updated_at and p_after_id, or neither';
  end if;
  return v_table;
end;
$$;

create trigger daily_cost_breakdown_tombstones after delete on public.daily_cost_breakdown
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();

create or replace function public.tokensync_schema_status()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_migrations jsonb := '[]'::jsonb;
begin
  -- The history table belongs to whichever tool applied the migrations (Supabase CLI or db:migrate).
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select coalesce(jsonb_agg(version order by version), ''[]''::jsonb) from supabase_migrations.schema_migrations'
      into v_migrations;
  end if;
  return jsonb_build_object(
    'migrations', v_migrations,
    'functions', coalesce((
      select jsonb_agg(distinct p.proname order by p.proname)
        from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and (p.proname like 'tokensync\_%' or p.proname = 'check_user_budget')), '[]'::jsonb),
    'tables', coalesce((
      select jsonb_object_agg(c.relname, jsonb_build_object(
               'rls', c.relrowsecurity,
               'anon_can_select', pg_catalog.has_table_privilege('anon', c.oid, 'select')))
        from pg_catalog.pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
         and c.relname in ('token_usage_logs', 'budget_limits', 'cost_alerts', 'service_performance_metrics',
                           'workflow_analytics', 'daily_cost_breakdown', 'model_pricing')), '{}'::jsonb));
end;
$$;
