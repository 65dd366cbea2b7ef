-- tokensync: calls Notion refused for good are counted as failed in the raw-log
-- window's status, as rows of every other dataset are in the backlog.
--
-- A call the window cannot write (Notion refuses it, or it fails validation)
-- gives its slot back and the window's cursor moves past it: it was counted
-- neither as mirrored nor as left out, so the logs lane showed no failure while
-- the dead letters held one. The engine now records such calls in
-- tokensync.sync_failures (dataset token_usage_logs), and the status counts
-- those that are still at or before the cursor and have not been written since.
-- A fixed call is changed, so it is after the cursor again: pending, not failed.

create or replace function public.tokensync_log_window_status(
  p_budget        integer,
  p_created_after timestamptz default null,
  p_timezone      text default 'UTC',
  p_at            timestamptz default null
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_day date := (coalesce(p_at, now()) at time zone p_timezone)::date;
  v_w   tokensync.log_window;
  v_failed record;
  v_result jsonb;
begin
  select * into v_w from tokensync.log_window;
  select count(*) as n, min(t.updated_at) as oldest into v_failed
    from tokensync.sync_failures f
    join public.token_usage_logs t on t.id = f.key
   where f.dataset = 'token_usage_logs'
     and v_w.after_id is not null and (t.updated_at, t.id) <= (v_w.after_updated_at, v_w.after_id)
     and (p_created_after is null or t.created_at >= p_created_after)
     and not exists (select 1 from tokensync.log_window_slots s where s.key = f.key and s.written_at > f.failed_at);
  select jsonb_build_object(
      'pages_live', (select count(*) from tokensync.log_window_slots s where s.page_id is not null and s.trashed_at is null),
      'pages_trashed', (select count(*) from tokensync.log_window_slots s where s.page_id is not null and s.trashed_at is not null),
      'page_budget', p_budget,
      'mirrored_today', coalesce((select d.mirrored from tokensync.log_window_days d where d.day = v_day), 0),
      'left_out_today', coalesce((select d.left_out from tokensync.log_window_days d where d.day = v_day), 0),
      'mirrored_total', coalesce(v_w.mirrored_total, 0),
      'left_out_total', coalesce(v_w.left_out_total, 0),
      'unmirrored', (select count(*) from public.token_usage_logs t
                      where (v_w.after_id is null or (t.updated_at, t.id) > (v_w.after_updated_at, v_w.after_id))
                        and (p_created_after is null or t.created_at >= p_created_after)),
      'oldest_unmirrored_at', (select min(t.updated_at) from (
                                 select t.updated_at from public.token_usage_logs t
                                  where (v_w.after_id is null or (t.updated_at, t.id) > (v_w.after_updated_at, v_w.after_id))
                                    and (p_created_after is null or t.created_at >= p_created_after)
                                  order by t.updated_at, t.id
                                  limit 1) t),
      'failed', v_failed.n,
      'oldest_failed_at', v_failed.oldest,
      'last_pass_at', v_w.last_pass_at)
    into v_result;
  return v_result;
end;
$$;
