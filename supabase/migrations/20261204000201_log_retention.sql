-- tokensync: retention of raw usage logs (LOG_RETENTION_DAYS).
--
-- tokensync_purge_logs deletes raw token_usage_logs created before the start
-- of the local day p_retention_days before today, one bounded batch per call
-- (the job calls it until has_more is false), and changes no derived figure:
-- * the day rollups: before it first moves the horizon, the purge reconverges
--   every day that still has pending marks, then stores the horizon in
--   tokensync.retention_state; from then on those days are closed and never
--   recomputed (tokensync_rollup_changed drops their marks), and its own
--   deletes leave no marks;
-- * the budget spend buckets (tokensync.spend_hourly): its deletes skip the
--   spend trigger, so the buckets keep what was spent;
-- * alerts and the report: they read this month and the weeks around it, which
--   the configuration keeps (LOG_RETENTION_DAYS is 0 or at least 62);
-- * Notion: a purged row whose page still lives gets a tombstone, so the sync
--   trashes that page; other purged rows leave none (a million purged rows must
--   not become a million tombstones).
--
-- Late rows dated at or before the horizon (a client replaying a buffer from
-- months ago) land in a closed day: the budget buckets count them, the day
-- rollups do not (their marks are dropped and counted as skipped_closed_days),
-- and the next purge removes them. Closed days keep the figures they had when
-- they closed, so every total over them stays what it was.
--
-- Skipping is a transaction-local setting (tokensync.purging) that the purge
-- sets around its delete and clears after it; the spend and tombstone delete
-- triggers are re-created with a WHEN condition on it (a WHEN survives a later
-- re-definition of their functions).

drop trigger token_usage_logs_spend_delete on public.token_usage_logs;
create trigger token_usage_logs_spend_delete after delete on public.token_usage_logs
  referencing old table as old_rows for each statement
  when (not public.tokensync_purging())
  execute function public.tokensync_track_spend();

drop trigger token_usage_logs_tombstones on public.token_usage_logs;
create trigger token_usage_logs_tombstones after delete on public.token_usage_logs
  referencing old table as deleted for each statement
  when (not public.tokensync_purging())
  execute function public.tokensync_record_tombstones();

-- The instant before which raw logs go: the start of the local day
-- p_retention_days before p_at's day, so whole local days are purged.
create or replace function public.tokensync_retention_cutoff(p_retention_days integer, p_timezone text, p_at timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select (((p_at at time zone p_timezone)::date - p_retention_days)::timestamp) at time zone p_timezone;
$$;

-- Returns {deleted, tombstones, cutoff, horizon, has_more}.
create or replace function public.tokensync_purge_logs(
  p_retention_days integer,
  p_timezone       text default 'UTC',
  p_batch_size     integer default 5000,
  p_at             timestamptz default now()
)
returns jsonb
language plpgsql
volatile
set search_path = ''
set jit = off
as $$
declare
  v_cutoff     timestamptz;
  v_horizon    timestamptz;
  v_deleted    integer;
  v_tombstones integer;
begin
  if p_retention_days is null or p_retention_days < 1 then
    raise exception using errcode = '22023',
      message = format('p_retention_days must be at least 1, got %s', coalesce(p_retention_days::text, 'null'));
  end if;
  if p_batch_size is null or p_batch_size < 1 or p_batch_size > 100000 then
    raise exception using errcode = '22023',
      message = format('p_batch_size must be between 1 and 100000, got %s', coalesce(p_batch_size::text, 'null'));
  end if;
  v_cutoff := public.tokensync_retention_cutoff(p_retention_days, p_timezone, p_at);

  -- No rollup may recompute a day while its rows go.
  perform public.tokensync_lock_rollups();
  select r.purged_before into v_horizon from tokensync.retention_state r;
  if v_horizon is null or v_cutoff > v_horizon then
    -- Days about to close take their pending changes with them.
    perform public.tokensync_rollup_changed(p_timezone, null);
    insert into tokensync.retention_state as r (singleton, purged_before) values (true, v_cutoff)
    on conflict (singleton) do update set purged_before = excluded.purged_before, updated_at = clock_timestamp();
    v_horizon := v_cutoff;
  end if;

  perform pg_catalog.set_config('tokensync.purging', 'on', true);
  with doomed as (
    select l.id from public.token_usage_logs l
     where l.created_at < v_cutoff
     order by l.created_at
     limit p_batch_size
  ),
  gone as (
    delete from public.token_usage_logs l using doomed d where l.id = d.id returning l.id
  ),
  tombstoned as (
    insert into tokensync.sync_tombstones (dataset, key)
    select 'token_usage_logs', g.id
      from gone g
      join tokensync.notion_sync_state s on s.dataset = 'token_usage_logs' and s.key = g.id
     where s.trashed_at is null and (s.page_id is not null or s.create_pending_since is not null)
    returning 1
  )
  select (select count(*) from gone), (select count(*) from tombstoned) into v_deleted, v_tombstones;
  perform pg_catalog.set_config('tokensync.purging', 'off', true);

  return jsonb_build_object(
    'deleted', v_deleted,
    'tombstones', v_tombstones,
    'cutoff', v_cutoff,
    'horizon', v_horizon,
    'has_more', exists (select 1 from public.token_usage_logs l where l.created_at < v_cutoff));
end;
$$;

revoke all on function
  public.tokensync_retention_cutoff(integer, text, timestamptz),
  public.tokensync_purge_logs(integer, text, integer, timestamptz)
from public, anon, authenticated;
grant execute on function
  public.tokensync_retention_cutoff(integer, text, timestamptz),
  public.tokensync_purge_logs(integer, text, integer, timestamptz)
to service_role;
