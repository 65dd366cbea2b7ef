-- tokensync: a page budget keeps or gives up a rollup day's pages together.
--
-- The page budget (20261204000150_page_recycling.sql) kept the newest N rows
-- of a dataset. For the rollups (one row per day and service, workflow step, or
-- service × provider × model) N rows rarely end on a day's boundary, so the
-- oldest day Notion showed was a part of that day: a chart summing it (daily
-- cost by service, cost by model, cost by workflow) no longer equalled SQL.
--
-- With p_whole_days, rows with the same source_created_at (the day a rollup
-- describes) stay or go together: a day keeps its pages only when it and every
-- newer day fit the budget (the newest day alone may exceed it: then it keeps
-- what fits, as before). A day that gave its pages up stays out: a row of it
-- that changes later is left out too, so Notion never shows part of a day that
-- was evicted. Cost Alerts (no p_whole_days) keep the newest N rows, as before.
--
-- tokensync_sync_evicted_through says up to which day a dataset gave its pages
-- up: when that day falls in the current month, the report says that the
-- month-to-date chart leaves days out, never a silent gap.

drop function public.tokensync_sync_claim_pages(text, jsonb, integer);

-- As in 20261204000150_page_recycling.sql, plus p_whole_days (see above).
create or replace function public.tokensync_sync_claim_pages(
  p_dataset     text,
  p_rows        jsonb,
  p_page_budget integer default 0,
  p_whole_days  boolean default false
)
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
  v_gone_day timestamptz;
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
    -- The newest day that gave its pages up: it and older days stay out of Notion.
    if coalesce(p_whole_days, false) then
      select max(s.source_created_at) into v_gone_day
        from tokensync.notion_sync_state s
       where s.dataset = p_dataset and s.evicted_at is not null and s.page_id is null
         and s.key not in (select key from tokensync_claim_rows);
    end if;

    -- The newest v_budget rows among the live pages and the wanted rows keep a page;
    -- with p_whole_days, the newest whole days that fit in v_budget.
    with candidates as (
      select s.key, s.source_created_at, s.page_id, false as wanted
        from tokensync.notion_sync_state s
       where s.dataset = p_dataset and s.trashed_at is null and s.page_id is not null
         and s.key not in (select key from tokensync_claim_rows)
      union all
      select w.key, w.source_created_at, null, true from tokensync_claim_rows w
    ),
    ranked as (
      select c.*,
             row_number() over (order by c.source_created_at desc nulls last, c.key desc) as rn,
             -- Rows of this day and every newer one (the frame takes in the day's peers).
             count(*) over (order by c.source_created_at desc nulls last) as through_day,
             dense_rank() over (order by c.source_created_at desc nulls last) as day_rank
        from candidates c
    ),
    placed as (
      select r.*,
             case when not coalesce(p_whole_days, false) then r.rn <= v_budget
                  -- The newest day alone may be more than the budget: it keeps what fits.
                  else (r.through_day <= v_budget or (r.day_rank = 1 and r.rn <= v_budget))
                       and (r.day_rank = 1 or v_gone_day is null or r.source_created_at > v_gone_day)
             end as keeps
        from ranked r
    ),
    evicted as (
      update tokensync.notion_sync_state s set page_id = null, evicted_at = clock_timestamp()
        from placed r
       where s.dataset = p_dataset and s.key = r.key and not r.wanted and not r.keeps
      returning r.page_id
    )
    select coalesce((select array_agg(page_id) from evicted), '{}'),
           coalesce((select array_agg(key) from placed where wanted and keeps), '{}')
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

revoke all on function public.tokensync_sync_claim_pages(text, jsonb, integer, boolean) from public, anon, authenticated;
grant execute on function public.tokensync_sync_claim_pages(text, jsonb, integer, boolean) to service_role;

-- The newest day (UTC date of source_created_at, which for a rollup is the day
-- it describes) whose pages the page budget gave up; null when none was.
create or replace function public.tokensync_sync_evicted_through(p_dataset text)
returns date
language sql
stable
set search_path = ''
as $$
  select (max(s.source_created_at) at time zone 'UTC')::date
    from tokensync.notion_sync_state s
   where s.dataset = p_dataset and s.evicted_at is not null and s.page_id is null;
$$;

revoke all on function public.tokensync_sync_evicted_through(text) from public, anon, authenticated;
grant execute on function public.tokensync_sync_evicted_through(text) to service_role;
