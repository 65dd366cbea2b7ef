-- Whether tokensync_sync_horizon sees which transactions are writing. It reads
-- other sessions' backend_xid in pg_stat_activity, which its owner sees only as
-- a superuser or a member of pg_read_all_stats.
--
-- When it does, a read needs to stop only a moment behind the clock: a row's
-- updated_at is clock_timestamp() in its BEFORE trigger, and its transaction
-- shows up as writing microseconds later (when the row itself is written), so
-- any row stamped before the horizon either is committed or holds the horizon
-- back through its transaction's xact_start. When it does not, the settle time
-- alone must outlast a transaction from its first write to its commit
-- (SYNC_SETTLE_MS).
create or replace function public.tokensync_sync_sees_writers()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE');
$$;

revoke all on function public.tokensync_sync_sees_writers() from public, anon, authenticated;
grant execute on function public.tokensync_sync_sees_writers() to service_role;
