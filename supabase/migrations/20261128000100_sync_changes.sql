-- tokensync: the sync engine's read, diffed where the data lives.
--
-- A pass used to read every row after its checkpoint, look each one up in the
-- sync state and hash it in Node: every row cost a transfer, a validation, a
-- mapping and a hash, changed or not. tokensync_sync_changes hashes a keyset
-- page in Postgres and compares it with notion_sync_state in the same query, so
-- only rows whose content differs leave the database, each with the page it
-- lives in. A replay after a crash, a rescan, or a row touched without a change
-- then costs a few microseconds in Postgres and no Notion request.
--
-- The hash covers the columns a dataset shows in Notion (p_columns) and a salt
-- the engine derives from its mapping (p_salt), so a changed mapping rewrites
-- every page once. Rows are rendered to text in UTC with ISO dates whatever the
-- caller's session says, so the two transports hash alike.

-- The table behind a dataset, after checking a keyset request; raises 22023 otherwise.
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
  return v_table;
end;
$$;

-- What the sync reads for a dataset: its table, unless a later migration names
-- a view that adds derived columns (budget spend, see *_budget_spend.sql).
create or replace function public.tokensync_dataset_relation(p_dataset text)
returns text
language sql
stable
set search_path = ''
as $$
  select 'public.' || quote_ident(public.tokensync_dataset_table(p_dataset));
$$;

-- Same contract as before; its checks now live in tokensync_keyset_table.
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
  v_table   text := public.tokensync_keyset_table(p_dataset, p_after_updated_at, p_after_id, p_limit);
  v_horizon timestamptz := public.tokensync_sync_horizon(p_settle_ms);
  v_rows    jsonb;
begin
  execute format(
    'select coalesce(jsonb_agg(to_jsonb(page) order by page.updated_at, page.id), ''[]''::jsonb)
       from (select t.* from public.%I t
              where %s and t.updated_at < $3
              order by t.updated_at, t.id
              limit $4) page',
    v_table, case when p_after_id is null then 'true' else '(t.updated_at, t.id) > ($1, $2)' end)
    into v_rows
    using p_after_updated_at, p_after_id, v_horizon, p_limit;

  return jsonb_build_object('rows', v_rows, 'has_more', jsonb_array_length(v_rows) = p_limit, 'horizon', v_horizon);
end;
$$;

-- The SQL expression of a row's content hash (row alias t, salt $5): md5 of the
-- salt and the named columns (the whole row when none are named). The callers
-- pin TimeZone, DateStyle and float output, so a row renders to the same text
-- whichever session asks.
create or replace function public.tokensync_content_hash_sql(p_columns jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select 'md5($5 || ' || coalesce('row(' || string_agg(format('t.%I', c.name), ', ' order by c.n) || ')::text', 't::text') || ')'
    from jsonb_array_elements_text(coalesce(p_columns, '[]'::jsonb)) with ordinality as c(name, n);
$$;

-- One page of the sync: up to p_limit rows after the cursor (keyset, stopping
-- at the horizon as tokensync_changed_rows does), diffed against the sync state.
-- The page also stops after its p_max_changes-th changed row, so a backlog is
-- written (and checkpointed) in batches of that size. Returns
--   {"scanned": n,            rows the page covers (changed, unchanged and expired)
--    "expired": n,            rows created before p_created_after (left out)
--    "expired_pages": [{"key", "page_id", "create_pending"}],  those of them still in Notion
--    "changes": [{"row": {...whole row...}, "hash", "page_id", "create_pending"}],
--    "next_cursor": {"updated_at", "id"} | null,   the last row the page covers
--    "has_more": bool, "horizon": timestamptz}
-- page_id is the live page (null when none: never created, trashed, or a create
-- whose answer was lost, which create_pending then says).
create or replace function public.tokensync_sync_changes(
  p_dataset          text,
  p_after_updated_at timestamptz default null,
  p_after_id         uuid default null,
  p_limit            integer default 2000,
  p_settle_ms        integer default 1000,
  p_columns          jsonb default null,
  p_salt             text default '',
  p_max_changes      integer default 200,
  p_created_after    timestamptz default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
set "TimeZone" = 'UTC'
set "DateStyle" = 'ISO, YMD'
set "IntervalStyle" = 'iso_8601'
set extra_float_digits = 1
as $$
declare
  v_source  text;
  v_horizon timestamptz := public.tokensync_sync_horizon(p_settle_ms);
  v_content text;
  v_result  jsonb;
begin
  perform public.tokensync_keyset_table(p_dataset, p_after_updated_at, p_after_id, p_limit); -- raises on a bad request
  v_source := public.tokensync_dataset_relation(p_dataset);
  if p_max_changes is null or p_max_changes < 1 then
    raise exception using errcode = '22023',
      message = format('p_max_changes must be at least 1, got %s', coalesce(p_max_changes::text, 'null'));
  end if;
  v_content := public.tokensync_content_hash_sql(p_columns);

  -- One pipeline, no materialised step: rows stream from the keyset index through
  -- the hash and the state probe into the running count of changes, and the
  -- count's run condition stops the scan at the p_max_changes-th change, so a
  -- backlog page hashes no more rows than it returns.
  execute format($sql$
    select jsonb_build_object(
      'scanned', count(*),
      'expired', count(*) filter (where expired),
      -- Expired rows whose page is still live: the window sweep goes by the
      -- creation time recorded at sync, which a backdated row no longer matches.
      'expired_pages', coalesce(jsonb_agg(jsonb_build_object(
                   'key', id,
                   'page_id', case when live then state_page_id end,
                   'create_pending', create_pending)) filter (where expired and (live or create_pending)), '[]'::jsonb),
      'changes', coalesce(jsonb_agg(jsonb_build_object(
                   'row', to_jsonb(source),
                   'hash', hash,
                   'page_id', case when live then state_page_id end,
                   'create_pending', create_pending) order by updated_at, id) filter (where changed), '[]'::jsonb),
      'next_cursor', (array_agg(jsonb_build_object('updated_at', updated_at, 'id', id) order by updated_at desc, id desc))[1],
      -- Cut by the changes (or a full page): there may be more. An exact end
      -- at p_max_changes also says so; the next page is then empty.
      'has_more', count(*) = $4 or count(*) filter (where changed) = $8,
      'horizon', $3)
    from (
      select d.*, count(*) filter (where d.changed) over (order by d.updated_at, d.id) as changes_so_far
        from (
          select p.*,
                 s.trashed_at is null and s.page_id is not null as live,
                 coalesce(s.create_pending_since is not null, false) as create_pending,
                 coalesce($7::timestamptz is not null and p.created_at < $7, false) as expired,
                 not coalesce($7::timestamptz is not null and p.created_at < $7, false)
                   and (s.page_id is null or s.trashed_at is not null or s.hash is distinct from p.hash) as changed,
                 s.page_id as state_page_id
            from (select t as source, t.id, t.updated_at, t.created_at, %s as hash
                    from %s t
                   where %s and t.updated_at < $3
                   order by t.updated_at, t.id
                   limit $4) p
            -- One index probe per row, never a scan of the whole state: the limit
            -- keeps the planner from turning this into a hash join.
            left join lateral (
              select s.page_id, s.hash, s.trashed_at, s.create_pending_since
                from tokensync.notion_sync_state s
               where s.dataset = $6 and s.key = p.id
               limit 1) s on true) d) counted
    where changes_so_far <= $8
  $sql$, v_content, v_source, case when p_after_id is null then 'true' else '(t.updated_at, t.id) > ($1, $2)' end)
    into v_result
    using p_after_updated_at, p_after_id, v_horizon, p_limit, coalesce(p_salt, ''), p_dataset, p_created_after, p_max_changes;

  return v_result;
end;
$$;

-- How far the sync has come, per dataset: rows in scope, and rows whose page
-- holds their current content (the hash tokensync_sync_changes would compare).
-- p_datasets: [{"dataset", "columns", "salt", "created_after"}], created_after
-- leaving older rows out (the raw logs' window). Returns [{dataset, rows, synced}].
create or replace function public.tokensync_sync_progress(p_datasets jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
set "TimeZone" = 'UTC'
set "DateStyle" = 'ISO, YMD'
set "IntervalStyle" = 'iso_8601'
set extra_float_digits = 1
as $$
declare
  v_item   jsonb;
  v_counts jsonb;
  v_result jsonb := '[]'::jsonb;
begin
  for v_item in select * from jsonb_array_elements(p_datasets) loop
    perform public.tokensync_keyset_table(v_item ->> 'dataset', null, null, 1); -- raises on an unknown dataset
    execute format($sql$
      select jsonb_build_object('dataset', $1, 'rows', count(*),
               'synced', count(*) filter (where s.page_id is not null and s.trashed_at is null and s.hash = %s))
        from %s t
        left join tokensync.notion_sync_state s on s.dataset = $1 and s.key = t.id
       where $2::timestamptz is null or t.created_at >= $2
    $sql$, public.tokensync_content_hash_sql(v_item -> 'columns'), public.tokensync_dataset_relation(v_item ->> 'dataset'))
      into v_counts
      using v_item ->> 'dataset', (v_item ->> 'created_after')::timestamptz, null, null, coalesce(v_item ->> 'salt', '');
    v_result := v_result || jsonb_build_array(v_counts);
  end loop;
  return v_result;
end;
$$;

revoke all on function
  public.tokensync_content_hash_sql(jsonb),
  public.tokensync_sync_progress(jsonb),
  public.tokensync_dataset_relation(text),
  public.tokensync_keyset_table(text, timestamptz, uuid, integer),
  public.tokensync_sync_changes(text, timestamptz, uuid, integer, integer, jsonb, text, integer, timestamptz)
from public, anon, authenticated;
grant execute on function
  public.tokensync_content_hash_sql(jsonb),
  public.tokensync_sync_progress(jsonb),
  public.tokensync_dataset_relation(text),
  public.tokensync_keyset_table(text, timestamptz, uuid, integer),
  public.tokensync_sync_changes(text, timestamptz, uuid, integer, integer, jsonb, text, integer, timestamptz)
to service_role;

-- ---------------------------------------------------------------------------
-- Property ids. A page written with a property id that is later deleted (and
-- re-created by setup:notion under a new id) lost that value in Notion; only
-- rewriting every page brings it back. The engine reports the ids it writes
-- with; when they differ from the ones recorded, every row is synced again.
-- ---------------------------------------------------------------------------
alter table tokensync.sync_checkpoints add column property_ids_hash text;

comment on column tokensync.sync_checkpoints.property_ids_hash is
  'Fingerprint of the Notion property ids the pages were last written with.';

-- Records p_fingerprint for the dataset. True when it replaced a different one:
-- the checkpoint and every hash are then forgotten, so the next pass rewrites
-- every page (a backfill). The first fingerprint ever recorded resets nothing.
create or replace function public.tokensync_sync_note_properties(p_dataset text, p_fingerprint text)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_previous text;
begin
  insert into tokensync.sync_checkpoints (dataset) values (p_dataset) on conflict (dataset) do nothing;
  select property_ids_hash into v_previous from tokensync.sync_checkpoints where dataset = p_dataset for update;
  if v_previous is not distinct from p_fingerprint then
    return false;
  end if;
  if v_previous is null then
    update tokensync.sync_checkpoints set property_ids_hash = p_fingerprint where dataset = p_dataset;
    return false;
  end if;
  update tokensync.notion_sync_state set hash = null where dataset = p_dataset;
  update tokensync.sync_checkpoints
     set property_ids_hash = p_fingerprint, after_updated_at = null, after_id = null, updated_at = clock_timestamp()
   where dataset = p_dataset;
  return true;
end;
$$;

revoke all on function public.tokensync_sync_note_properties(text, text) from public, anon, authenticated;
grant execute on function public.tokensync_sync_note_properties(text, text) to service_role;
