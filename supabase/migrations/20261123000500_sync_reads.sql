-- tokensync: the reads the sync engine makes — one keyset page of rows changed
-- after a cursor (updated_at, id), never OFFSET.
--
-- A row only becomes visible when its transaction commits, which can be after
-- rows with later updated_at are already read and the cursor has moved past it.
-- Pages therefore stop at a horizon: before the start of the oldest transaction
-- in this database that is still writing, and at least p_settle_ms in the past.
-- Where pg_stat_activity cannot be read (some hosted roles), the settle margin
-- alone covers short transactions.

create or replace function public.tokensync_sync_horizon(p_settle_ms integer default 1000)
returns timestamptz
language sql
volatile
security definer
set search_path = ''
as $$
  select least(
    clock_timestamp() - make_interval(secs => greatest(coalesce(p_settle_ms, 0), 0) / 1000.0),
    coalesce((
      select min(a.xact_start)
        from pg_catalog.pg_stat_activity a
       where a.datname = pg_catalog.current_database()
         and a.backend_xid is not null
         and a.pid <> pg_catalog.pg_backend_pid()), 'infinity'::timestamptz));
$$;

create or replace function public.tokensync_dataset_table(p_dataset text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_dataset in ('token_usage_logs', 'budget_limits', 'cost_alerts',
                                 'service_performance_metrics', 'workflow_analytics')
              then p_dataset end;
$$;

-- Returns {"rows": [...], "has_more": bool, "horizon": timestamptz}; rows are
-- whole table rows as JSON, in (updated_at, id) order. Timestamps keep their
-- microseconds (a JavaScript Date would not, and the cursor would loop).
create or replace function public.tokensync_changed_rows(
  p_dataset          text,
  p_after_updated_at timestamptz default null,
  p_after_id         uuid default null,
  p_limit            integer default 500,
  p_settle_ms        integer default 1000
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_table   text := public.tokensync_dataset_table(p_dataset);
  v_horizon timestamptz;
  v_after   text;
  v_rows    jsonb;
begin
  if v_table is null then
    raise exception using errcode = '22023', message = format(
      'unknown dataset %L; expected token_usage_logs, budget_limits, cost_alerts, service_performance_metrics or workflow_analytics',
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

  v_horizon := public.tokensync_sync_horizon(p_settle_ms);
  v_after := case when p_after_id is null then 'true' else '(t.updated_at, t.id) > ($1, $2)' end;
  execute format(
    'select coalesce(jsonb_agg(to_jsonb(page) order by page.updated_at, page.id), ''[]''::jsonb)
       from (select t.* from public.%I t
              where %s and t.updated_at < $3
              order by t.updated_at, t.id
              limit $4) page', v_table, v_after)
    into v_rows
    using p_after_updated_at, p_after_id, v_horizon, p_limit;

  return jsonb_build_object('rows', v_rows, 'has_more', jsonb_array_length(v_rows) = p_limit, 'horizon', v_horizon);
end;
$$;

revoke all on function
  public.tokensync_sync_horizon(integer),
  public.tokensync_dataset_table(text),
  public.tokensync_changed_rows(text, timestamptz, uuid, integer, integer)
from public, anon, authenticated;
grant execute on function
  public.tokensync_sync_horizon(integer),
  public.tokensync_dataset_table(text),
  public.tokensync_changed_rows(text, timestamptz, uuid, integer, integer)
to service_role;
