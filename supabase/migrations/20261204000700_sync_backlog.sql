-- tokensync: how far behind the sync is, exactly, at the cost of the backlog.
--
-- tokensync_sync_progress answers "how many rows are in Notion" by hashing every
-- row in scope: its work grows with history, so it cannot run on every metrics
-- scrape. What operators need is the other side: what is still to be written,
-- and how long the oldest of it has waited. The checkpoint makes that cheap:
--
-- * rows after the checkpoint are compared with the sync state (by the content
--   hash tokensync_sync_changes uses; a row with no live page needs no hash):
--   those that differ are pending;
-- * rows at or before it were written, except those the sync gave up on (Notion
--   refused them, or they failed validation): the engine records those in
--   tokensync.sync_failures, and they are counted apart, as failed;
-- * deleted rows whose page is still live (tombstones) are pending too.
--
-- Rows the sync deliberately leaves out (raw logs created before the window, or
-- calls a bounded window does not take, which the checkpoint moves past) are not
-- a backlog and are not counted here.

create table tokensync.sync_failures (
  dataset   text not null,
  key       uuid not null,
  reason    text not null,
  failed_at timestamptz not null default clock_timestamp(),

  constraint sync_failures_pkey primary key (dataset, key),
  constraint sync_failures_dataset_check check (public.tokensync_dataset_table(dataset) is not null)
);

comment on table tokensync.sync_failures is
  'Rows the sync could not write for good (the checkpoint moved past them), until they are written.';

alter table tokensync.sync_failures enable row level security;
revoke all on table tokensync.sync_failures from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.sync_failures to service_role;

-- Records rows that failed for good: p_rows is [{key, reason}]. Failures of rows
-- written since they failed are dropped here, so the table stays as small as
-- the set of rows still failing. Returns how many failures are recorded now.
create or replace function public.tokensync_sync_note_failures(p_dataset text, p_rows jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into tokensync.sync_failures as f (dataset, key, reason)
  select distinct on ((r ->> 'key')::uuid) p_dataset, (r ->> 'key')::uuid, coalesce(r ->> 'reason', '')
    from jsonb_array_elements(coalesce(p_rows, '[]'::jsonb)) r
   where r ->> 'key' is not null
  on conflict (dataset, key) do update set reason = excluded.reason, failed_at = clock_timestamp();

  delete from tokensync.sync_failures f
   using tokensync.notion_sync_state s
   where f.dataset = p_dataset and s.dataset = f.dataset and s.key = f.key and s.synced_at > f.failed_at;

  select count(*) into v_count from tokensync.sync_failures where dataset = p_dataset;
  return v_count;
end;
$$;

-- The backlog of each dataset. p_datasets: [{"dataset", "columns", "salt",
-- "created_after"}] as for tokensync_sync_progress. p_limit bounds the rows read
-- after the checkpoint (null: all of them, exact whatever the size); when it
-- reads p_limit rows, "capped" is true and "changes" counts those among them:
-- there are at least that many. The oldest pending change is exact either way:
-- it is the first one in keyset order. Returns
--   {"as_of": timestamptz,
--    "datasets": [{"dataset", "pending", "changes", "deletes", "failed",
--                  "oldest_pending_at", "oldest_failed_at", "capped",
--                  "checkpoint": {"after_updated_at", "after_id"}}]}
-- pending = changes (rows after the checkpoint not yet written) + deletes
-- (deleted rows whose page is still live); oldest_pending_at is the
-- updated_at (or deletion time) of the oldest of them.
create or replace function public.tokensync_sync_backlog(p_datasets jsonb, p_limit integer default null)
returns jsonb
language plpgsql
stable
set search_path = ''
set "TimeZone" = 'UTC'
set "DateStyle" = 'ISO, YMD'
set "IntervalStyle" = 'iso_8601'
set extra_float_digits = 1
-- Compiling these short scans costs more than running them.
set jit = off
as $$
declare
  v_as_of      timestamptz := clock_timestamp();
  v_item       jsonb;
  v_dataset    text;
  v_relation   text;
  v_hash       text;
  v_after_at   timestamptz;
  v_after_id   uuid;
  v_changes    record;
  v_failed     record;
  v_deletes    record;
  v_result     jsonb := '[]'::jsonb;
begin
  if p_limit is not null and p_limit < 1 then
    raise exception using errcode = '22023', message = format('p_limit must be at least 1 (or null), got %s', p_limit);
  end if;

  for v_item in select * from jsonb_array_elements(p_datasets) loop
    v_dataset := v_item ->> 'dataset';
    perform public.tokensync_keyset_table(v_dataset, null, null, 1); -- raises on an unknown dataset
    v_relation := public.tokensync_dataset_relation(v_dataset);
    v_hash := public.tokensync_content_hash_sql(v_item -> 'columns');
    select c.after_updated_at, c.after_id into v_after_at, v_after_id
      from tokensync.sync_checkpoints c where c.dataset = v_dataset;
    if not found then
      v_after_at := null;
      v_after_id := null;
    end if;

    -- After the checkpoint. Unbounded, the planner is free to join the state
    -- as it likes (a hash join for a large backlog). Bounded, the first p_limit
    -- rows come in keyset order straight from the (updated_at, id) index. A hash
    -- is computed only for rows that have a live page.
    execute format($sql$
      select count(*) filter (where changed) as changes,
             min(updated_at) filter (where changed) as oldest,
             coalesce(count(*) >= $4, false) as capped
        from (
          select t.updated_at,
                 case when $3::timestamptz is not null and t.created_at < $3 then false
                      -- An evicted row (a page budget left it out) waits only when it changed.
                      when (s.page_id is null and s.evicted_at is null) or s.trashed_at is not null then true
                      else s.hash is distinct from %s end as changed
            from (select * from %s t where %s %s) t
            left join tokensync.notion_sync_state s on s.dataset = $6 and s.key = t.id) d
    $sql$,
      v_hash, v_relation,
      case when v_after_id is null then 'true' else '(t.updated_at, t.id) > ($1, $2)' end,
      case when p_limit is null then '' else 'order by t.updated_at, t.id limit $4' end)
      into v_changes
      using v_after_at, v_after_id, (v_item ->> 'created_after')::timestamptz, p_limit, coalesce(v_item ->> 'salt', ''), v_dataset;

    -- At or before the checkpoint: only the rows the sync gave up on, and only
    -- while their page still does not hold their content.
    if v_after_id is null then
      select 0::bigint as failed, null::timestamptz as oldest into v_failed;
    else
      execute format($sql$
        select count(*) as failed, min(t.updated_at) as oldest
          from tokensync.sync_failures f
          join %s t on t.id = f.key
          left join tokensync.notion_sync_state s on s.dataset = f.dataset and s.key = f.key
         where f.dataset = $6
           and (t.updated_at, t.id) <= ($1, $2)
           and not coalesce($3::timestamptz is not null and t.created_at < $3, false)
           and ((s.page_id is null and s.evicted_at is null) or s.trashed_at is not null or s.hash is distinct from %s)
      $sql$, v_relation, v_hash)
        into v_failed
        using v_after_at, v_after_id, (v_item ->> 'created_after')::timestamptz, null, coalesce(v_item ->> 'salt', ''), v_dataset;
    end if;

    -- Deleted rows whose page is still in Notion (or may be: a create whose answer was lost).
    select count(distinct d.key) as deletes, min(d.deleted_at) as oldest into v_deletes
      from tokensync.sync_tombstones d
      join tokensync.notion_sync_state s on s.dataset = d.dataset and s.key = d.key
     where d.dataset = v_dataset and s.trashed_at is null
       and (s.page_id is not null or s.create_pending_since is not null);

    v_result := v_result || jsonb_build_array(jsonb_build_object(
      'dataset', v_dataset,
      'pending', v_changes.changes + v_deletes.deletes,
      'changes', v_changes.changes,
      'deletes', v_deletes.deletes,
      'failed', v_failed.failed,
      'oldest_pending_at', least(v_changes.oldest, v_deletes.oldest),
      'oldest_failed_at', v_failed.oldest,
      'capped', v_changes.capped,
      'checkpoint', jsonb_build_object('after_updated_at', v_after_at, 'after_id', v_after_id)));
  end loop;
  return jsonb_build_object('as_of', v_as_of, 'datasets', v_result);
end;
$$;

revoke all on function
  public.tokensync_sync_note_failures(text, jsonb),
  public.tokensync_sync_backlog(jsonb, integer)
from public, anon, authenticated;
grant execute on function
  public.tokensync_sync_note_failures(text, jsonb),
  public.tokensync_sync_backlog(jsonb, integer)
to service_role;
