-- tokensync: freshness by event. A committed change to the usage logs, the
-- budget limits or the cost alerts sends one notification on the channel
-- `tokensync_changes` whose payload is the table's name; a worker with a direct
-- Postgres connection LISTENs and wakes the work that change calls for (budget
-- evaluation, the dataset's sync) instead of waiting for its interval.
--
-- Statement-level triggers: a batch insert of 500 calls is one notification,
-- not 500. Postgres also folds identical notifications of one transaction into
-- one, and delivers them only on commit (a rolled-back change wakes nobody).
-- Nothing is lost when no one listens: polling on the intervals stays the
-- fallback, and the only path over the Supabase HTTP API.

-- A statement that touched no row (an insert ... on conflict do nothing that
-- found every alert already raised, an update matching nothing) wakes nobody:
-- the transition table says whether there is anything to see.
create or replace function public.tokensync_notify_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed boolean := true;
begin
  -- Separate statements: each is planned only when reached, and only one transition table exists per event.
  if tg_op in ('INSERT', 'UPDATE') then
    v_changed := exists (select 1 from new_rows);
  elsif tg_op = 'DELETE' then
    v_changed := exists (select 1 from old_rows);
  end if;
  if v_changed then
    perform pg_catalog.pg_notify('tokensync_changes', tg_table_name);
  end if;
  return null;
end;
$$;

comment on function public.tokensync_notify_change() is
  'Statement trigger: notifies channel tokensync_changes with the table name when rows changed, so a listening worker wakes at once.';

-- Transition tables allow one event per trigger: four triggers per table.
do $$
declare
  v_table text;
begin
  foreach v_table in array array['token_usage_logs', 'budget_limits', 'cost_alerts'] loop
    execute format('create trigger %I after insert on public.%I referencing new table as new_rows
                      for each statement execute function public.tokensync_notify_change()', v_table || '_notify_insert', v_table);
    execute format('create trigger %I after update on public.%I referencing new table as new_rows
                      for each statement execute function public.tokensync_notify_change()', v_table || '_notify_update', v_table);
    execute format('create trigger %I after delete on public.%I referencing old table as old_rows
                      for each statement execute function public.tokensync_notify_change()', v_table || '_notify_delete', v_table);
    execute format('create trigger %I after truncate on public.%I
                      for each statement execute function public.tokensync_notify_change()', v_table || '_notify_truncate', v_table);
  end loop;
end;
$$;

revoke all on function public.tokensync_notify_change() from public, anon, authenticated;
