-- tokensync: verify reads RLS and anon access of every table the migrations
-- create; daily_cost_breakdown (20261204000100) was missing from the list, so
-- verify reported it as missing on every installation.

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
                           'workflow_analytics', 'model_pricing', 'daily_cost_breakdown')), '{}'::jsonb));
end;
$$;

revoke all on function public.tokensync_schema_status() from public, anon, authenticated;
grant execute on function public.tokensync_schema_status() to service_role;
