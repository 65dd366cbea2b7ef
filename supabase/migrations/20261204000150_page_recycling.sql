-- tokensync: Notion pages are reused instead of created, so the block footprint
-- stays bounded (Notion counts every page as a block, and a Free workspace with
-- more than one member has 1,000 for its lifetime; deleting returns none).
--
-- * A page we moved to trash (its row was deleted, or left the raw-log window)
--   is recycled: the next create of that dataset restores it and writes the new
--   row over it in one update, instead of creating a page.
-- * A dataset may have a page budget: when its live pages would exceed it, the
--   oldest live rows (by source_created_at, which a dataset may take from a
--   column such as metric_date) are evicted and their pages written over. An
--   evicted row keeps its hash, so it is not mirrored again until it changes.

alter table tokensync.notion_sync_state add column evicted_at timestamptz;
alter table tokensync.notion_sync_state drop constraint notion_sync_state_hash_needs_page;
alter table tokensync.notion_sync_state add constraint notion_sync_state_hash_needs_page
  check (hash is null or page_id is not null or evicted_at is not null);

comment on column tokensync.notion_sync_state.evicted_at is
  'Set when the row''s page was given to a newer row (page budget); the hash stays, so an unchanged row is not mirrored again.';

create index notion_sync_state_recyclable_idx on tokensync.notion_sync_state (dataset)
  where trashed_at is not null and page_id is not null;

-- Gives pages that exist already to rows about to be created.
-- p_rows: [{key, source_created_at, hash}] (hash: the content the engine is about
-- to write). p_page_budget caps the dataset's live pages (0 or null: no cap):
-- the newest p_page_budget rows (by source_created_at) among the live ones and
-- these keep a page; older live rows are evicted and give theirs up, and rows of
-- p_rows beyond the cap are recorded as evicted without a page (with their hash,
-- so they are not mirrored again until they change). Pages then come from the
-- evicted rows, and from pages we moved to trash. Returns
--   [{key, page_id}]        rows written over an existing page,
--   [{key, evicted: true}]  rows left out by the cap (nothing to write);
-- the other rows are created. A claimed row is recorded with its page and no
-- hash: if the write never happens, the next pass writes the page again (an
-- update also restores it from the trash).
create or replace function public.tokensync_sync_claim_pages(p_dataset text, p_rows jsonb, p_page_budget integer default 0)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_budget   integer := coalesce(p_page_budget, 0);
  v_keep     uuid[];
  v_pool     uuid[] := '{}';
  v_recycled uuid[];
  v_left_out jsonb := '[]'::jsonb;
  v_claimed  jsonb;
begin
  if public.tokensync_dataset_table(p_dataset) is null then
    raise exception using errcode = '22023', message = format('unknown dataset %L', p_dataset);
  end if;
  if jsonb_array_length(coalesce(p_rows, '[]'::jsonb)) = 0 then return '[]'::jsonb; end if;

  create temp table if not exists tokensync_claim_rows (key uuid primary key, source_created_at timestamptz, hash text, n bigint) on commit drop;
  truncate tokensync_claim_rows;
  insert into tokensync_claim_rows
  select distinct on ((r ->> 'key')::uuid) (r ->> 'key')::uuid, (r ->> 'source_created_at')::timestamptz, r ->> 'hash', n
    from jsonb_array_elements(p_rows) with ordinality as x(r, n)
   order by (r ->> 'key')::uuid, n;

  if v_budget > 0 then
    -- The newest v_budget rows among the live pages and the wanted rows keep a page.
    with candidates as (
      select s.key, s.source_created_at, s.page_id, false as wanted
        from tokensync.notion_sync_state s
       where s.dataset = p_dataset and s.trashed_at is null and s.page_id is not null
         and s.key not in (select key from tokensync_claim_rows)
      union all
      select w.key, w.source_created_at, null, true from tokensync_claim_rows w
    ),
    ranked as (
      select c.*, row_number() over (order by c.source_created_at desc nulls last, c.key desc) as rn from candidates c
    ),
    evicted as (
      update tokensync.notion_sync_state s set page_id = null, evicted_at = clock_timestamp()
        from ranked r
       where s.dataset = p_dataset and s.key = r.key and not r.wanted and r.rn > v_budget
      returning r.page_id
    )
    select coalesce((select array_agg(page_id) from evicted), '{}'),
           coalesce((select array_agg(key) from ranked where wanted and rn <= v_budget), '{}')
      into v_pool, v_keep;

    with left_out as (
      insert into tokensync.notion_sync_state as s (dataset, key, page_id, hash, source_created_at, evicted_at)
      select p_dataset, w.key, null, w.hash, w.source_created_at, clock_timestamp()
        from tokensync_claim_rows w where not (w.key = any (v_keep))
      on conflict (dataset, key) do update
        set page_id = null, hash = excluded.hash, evicted_at = excluded.evicted_at, trashed_at = null,
            create_pending_since = null, source_created_at = coalesce(excluded.source_created_at, s.source_created_at)
      returning s.key
    )
    select coalesce(jsonb_agg(jsonb_build_object('key', key, 'evicted', true)), '[]'::jsonb) into v_left_out from left_out;
    delete from tokensync_claim_rows where not (key = any (v_keep));
  end if;

  -- Pages we moved to trash, for the rows the evicted pages do not cover.
  with recycled as (
    select s.key, s.page_id from tokensync.notion_sync_state s
     where s.dataset = p_dataset and s.trashed_at is not null and s.page_id is not null
       and s.key not in (select key from tokensync_claim_rows)
     limit greatest(0, (select count(*) from tokensync_claim_rows) - coalesce(array_length(v_pool, 1), 0))
       for update skip locked
  ),
  released as (
    update tokensync.notion_sync_state s set page_id = null, hash = null
      from recycled r where s.dataset = p_dataset and s.key = r.key
    returning r.page_id
  )
  select coalesce(array_agg(page_id), '{}') into v_recycled from released;
  v_pool := v_pool || v_recycled;

  with paired as (
    select w.key, w.source_created_at, v_pool[row_number() over (order by w.n)] as page_id from tokensync_claim_rows w
  ),
  recorded as (
    insert into tokensync.notion_sync_state as s (dataset, key, page_id, hash, source_created_at)
    select p_dataset, p.key, p.page_id, null, p.source_created_at from paired p where p.page_id is not null
    on conflict (dataset, key) do update
      set page_id = excluded.page_id, hash = null, trashed_at = null, evicted_at = null, create_pending_since = null,
          source_created_at = coalesce(excluded.source_created_at, s.source_created_at)
    returning s.key, s.page_id
  )
  select coalesce(jsonb_agg(jsonb_build_object('key', key, 'page_id', page_id)), '[]'::jsonb) into v_claimed from recorded;
  return v_claimed || v_left_out;
end;
$$;

revoke all on function public.tokensync_sync_claim_pages(text, jsonb, integer) from public, anon, authenticated;
grant execute on function public.tokensync_sync_claim_pages(text, jsonb, integer) to service_role;

-- The diff, as before, except that an evicted row whose content is unchanged is
-- not a change: it stays out of Notion until it changes.
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
                   and ((s.page_id is null and s.evicted_at is null) or s.trashed_at is not null or s.hash is distinct from p.hash) as changed,
                 s.page_id as state_page_id
            from (select t as source, t.id, t.updated_at, t.created_at, %s as hash
                    from %s t
                   where %s and t.updated_at < $3
                   order by t.updated_at, t.id
                   limit $4) p
            -- One index probe per row, never a scan of the whole state: the limit
            -- keeps the planner from turning this into a hash join.
            left join lateral (
              select s.page_id, s.hash, s.trashed_at, s.create_pending_since, s.evicted_at
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
