-- tokensync: Token Usage Logs as a bounded drill-down window, a ring of pages.
--
-- Mirroring every call as a page of its own cost two Notion requests per call
-- (a create, and a trash when the call left the window), grew the database
-- without bound and, under load, a backlog that never drained. The window keeps
-- at most a page budget of pages (slots). Pages are created only until the ring
-- is full; after that a mirrored call overwrites the slot that shows the oldest
-- call, in place: one pages.update per mirrored call, no create, no trash, no
-- new block. A slot whose call left TOKEN_LOG_WINDOW_DAYS (or was deleted) is
-- moved to trash, an in-place edit, and is restored by the update that next
-- overwrites it (Update page takes `in_trash: false` and `properties` together).
--
-- Calls may arrive faster than the logs lane's share of the rate limit allows.
-- Each pass then mirrors only as many as a token bucket kept here grants
-- (refilled at share × requests/s, holding at most one ring of requests),
-- choosing first calls already shown whose content changed, then failed calls,
-- then the costliest, then calls of entities at or over a budget, then the
-- newest. Everything else in the range the pass covers is left out, counted
-- exactly per day and in total, and the cursor moves past it: never an
-- unbounded backlog, never a silent gap.
--
-- * tokensync.log_window_slots: one row per slot. page_id null with
--   create_pending_since set: a create was sent and its answer never recorded;
--   the pass looks the call up in Notion (by Supabase ID) before creating again.
--   hash null with a key: what the page shows is not known to be current (a
--   write was planned and not confirmed, or property ids changed); it is
--   rewritten by the next pass before anything new.
-- * tokensync.log_window: the cursor, the token bucket and the totals.
-- * tokensync.log_window_days: mirrored and left-out calls per local day.

create table tokensync.log_window_slots (
  slot                 integer not null,
  page_id              uuid,
  key                  uuid,
  hash                 text,
  source_created_at    timestamptz,
  written_at           timestamptz,
  create_pending_since timestamptz,
  trashed_at           timestamptz,

  constraint log_window_slots_pkey primary key (slot),
  constraint log_window_slots_slot_check check (slot >= 0),
  constraint log_window_slots_hash_needs_key check (hash is null or key is not null)
);

comment on table tokensync.log_window_slots is 'The ring of Token Usage Logs pages: which call each page shows, and what was last written there.';

create unique index log_window_slots_key_idx on tokensync.log_window_slots (key) where key is not null;
create unique index log_window_slots_page_idx on tokensync.log_window_slots (page_id) where page_id is not null;

create table tokensync.log_window (
  id                   boolean not null default true,
  after_updated_at     timestamptz,
  after_id             uuid,
  tokens               double precision,
  refilled_at          timestamptz,
  mirrored_total       bigint not null default 0,
  left_out_total       bigint not null default 0,
  last_pass_at         timestamptz,

  constraint log_window_pkey primary key (id),
  constraint log_window_single_row check (id),
  constraint log_window_cursor_complete check ((after_updated_at is null) = (after_id is null))
);

create table tokensync.log_window_days (
  day      date not null,
  mirrored bigint not null default 0,
  left_out bigint not null default 0,

  constraint log_window_days_pkey primary key (day)
);

alter table tokensync.log_window_slots enable row level security;
alter table tokensync.log_window enable row level security;
alter table tokensync.log_window_days enable row level security;
revoke all on table tokensync.log_window_slots, tokensync.log_window, tokensync.log_window_days from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.log_window_slots, tokensync.log_window, tokensync.log_window_days to service_role;

-- An installation that mirrored every call: its live pages become the first
-- slots (newest first), with what they show, and the cursor carries on where
-- the sync stopped. Slots past the page budget are trashed by the first trim.
insert into tokensync.log_window_slots (slot, page_id, key, hash, source_created_at, written_at)
select (row_number() over (order by s.source_created_at desc nulls last, s.key) - 1)::integer,
       s.page_id, s.key, s.hash, s.source_created_at, coalesce(s.synced_at, clock_timestamp())
  from tokensync.notion_sync_state s
 where s.dataset = 'token_usage_logs' and s.page_id is not null and s.trashed_at is null;

insert into tokensync.log_window (after_updated_at, after_id)
select c.after_updated_at, c.after_id
  from (select 1) one
  left join tokensync.sync_checkpoints c on c.dataset = 'token_usage_logs';

-- The window finds deleted calls by looking its few keys up (see
-- tokensync_log_window_to_trim), so raw-log deletes (a retention purge of
-- millions of rows) no longer leave tombstones nobody would clear.
drop trigger if exists token_usage_logs_tombstones on public.token_usage_logs;
delete from tokensync.sync_tombstones where dataset = 'token_usage_logs';

-- ---------------------------------------------------------------------------
-- The token bucket.
-- ---------------------------------------------------------------------------

-- Refills the bucket at p_rate requests per second since the last refill (at
-- most p_capacity held; a new bucket starts full), then takes p_take requests
-- from it: all of them when p_force (trims must run; the bucket may go into
-- debt down to -p_capacity; a negative p_take gives back requests not sent),
-- else at most what it holds. Returns what was taken.
create or replace function public.tokensync_log_window_take(
  p_capacity integer,
  p_rate     double precision,
  p_take     integer,
  p_force    boolean default false,
  p_now      timestamptz default null
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_now    timestamptz := coalesce(p_now, clock_timestamp());
  v_tokens double precision;
  v_taken  integer;
begin
  if p_capacity is null or p_capacity < 1 or p_rate is null or p_rate < 0 or p_take is null or (p_take < 0 and not p_force) then
    raise exception using errcode = '22023', message = format(
      'p_capacity must be at least 1, p_rate not negative, p_take negative only when forced; got %s, %s, %s', p_capacity, p_rate, p_take);
  end if;
  insert into tokensync.log_window default values on conflict (id) do nothing;
  select least(p_capacity::double precision,
               coalesce(w.tokens, p_capacity) + p_rate * greatest(0, extract(epoch from v_now - coalesce(w.refilled_at, v_now))))
    into v_tokens
    from tokensync.log_window w
   for update;
  v_taken := case when p_force then p_take else least(p_take, greatest(0, floor(v_tokens))::integer) end;
  update tokensync.log_window
     set tokens = least(p_capacity::double precision, greatest(-p_capacity::double precision, v_tokens - v_taken)),
         refilled_at = greatest(v_now, coalesce(refilled_at, v_now));
  return v_taken;
end;
$$;

-- ---------------------------------------------------------------------------
-- Lost creates.
-- ---------------------------------------------------------------------------

-- Slots whose create was sent and never answered: [{slot, key}].
create or replace function public.tokensync_log_window_pending()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('slot', s.slot, 'key', s.key) order by s.slot), '[]'::jsonb)
    from tokensync.log_window_slots s
   where s.page_id is null and s.create_pending_since is not null;
$$;

-- What Notion said about lost creates: p_found is [{slot, page_id}], page_id
-- null when no page shows the call (the create never happened: the slot is
-- created again when next written). A page found is adopted with its content
-- unknown, so the next pass rewrites it. Returns how many slots were resolved.
create or replace function public.tokensync_log_window_resolve(p_found jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  -- A page another slot owns (it still shows this call after a lost overwrite) is not adopted.
  update tokensync.log_window_slots s
     set page_id = f.page_id, hash = null, create_pending_since = null, trashed_at = null,
         written_at = case when f.page_id is null then s.written_at else clock_timestamp() end
    from (select (x ->> 'slot')::integer as slot,
                 case when not exists (select 1 from tokensync.log_window_slots o where o.page_id = (x ->> 'page_id')::uuid)
                      then (x ->> 'page_id')::uuid end as page_id
            from jsonb_array_elements(p_found) x) f
   where s.slot = f.slot and s.page_id is null and s.create_pending_since is not null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- ---------------------------------------------------------------------------
-- Trimming.
-- ---------------------------------------------------------------------------

-- Slots to move to trash, up to p_limit, oldest call first: live pages whose
-- call was created before p_created_before or no longer exists, and every slot
-- at or past the page budget (p_budget; a smaller budget, or pages adopted from
-- an installation that mirrored every call). Slots past the budget that have no
-- page are dropped here. Pending creates are left to the pass that resolves
-- them. Returns [{slot, page_id}].
create or replace function public.tokensync_log_window_to_trim(p_created_before timestamptz, p_budget integer, p_limit integer)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  delete from tokensync.log_window_slots s
   where s.slot >= p_budget and (s.page_id is null or s.trashed_at is not null) and s.create_pending_since is null;

  select coalesce(jsonb_agg(jsonb_build_object('slot', x.slot, 'page_id', x.page_id)), '[]'::jsonb) into v_result
    from (
      select s.slot, s.page_id
        from tokensync.log_window_slots s
       where s.page_id is not null and s.trashed_at is null and s.create_pending_since is null
         and (s.slot >= p_budget
              or s.key is null
              or (p_created_before is not null and s.source_created_at < p_created_before)
              or not exists (select 1 from public.token_usage_logs t where t.id = s.key))
       order by s.slot >= p_budget desc, s.source_created_at nulls first, s.slot
       limit p_limit) x;
  return v_result;
end;
$$;

-- Records slots moved to trash (p_slots: JSON array of slot numbers): they show
-- nothing now; those past the budget (p_budget) are dropped. Returns how many.
create or replace function public.tokensync_log_window_trimmed(p_slots jsonb, p_budget integer)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  update tokensync.log_window_slots s
     set trashed_at = clock_timestamp(), key = null, hash = null, source_created_at = null
   where s.slot in (select k::integer from jsonb_array_elements_text(p_slots) k);
  get diagnostics v_count = row_count;
  delete from tokensync.log_window_slots s
   where s.slot >= p_budget and s.slot in (select k::integer from jsonb_array_elements_text(p_slots) k);
  return v_count;
end;
$$;

-- ---------------------------------------------------------------------------
-- Planning a pass.
-- ---------------------------------------------------------------------------

-- The calls the next writes should show, chosen from the range after the
-- window's cursor (keyset, up to p_scan_limit rows, stopping at the sync
-- horizon), and the slots they go to. Calls created before p_created_after are
-- out of the window and ignored. A candidate is a call in range whose content
-- differs from its slot's (or that has no slot), and every call shown whose
-- slot's content is unknown (hash null). At most p_pick candidates are chosen:
--   1. calls already shown (an in-place refresh keeps the window true);
--   2. failed calls; 3. the costliest; 4. calls of an entity at or over a
--   daily or monthly budget (tokensync.budget_spend); 5. the newest.
-- Each chosen call without a slot takes, in order: a free slot under p_budget
-- that has a page (trashed or emptied: restored by the write), a slot number
-- under p_budget not used yet (a create), then the slot showing the oldest call
-- not chosen in this plan. The slots are assigned here (hash null: a write is
-- due), so a crash between here and the write never shows one call twice.
-- Returns
--   {"scanned", "expired", "unchanged", "candidates", "left_out",
--    "writes": [{"slot", "page_id", "trashed", "row", "hash"}],
--    "next_cursor": {"updated_at", "id"} | null, "has_more", "horizon"}
-- left_out counts the candidates in range not chosen; the caller commits the
-- cursor and the counts once the writes are done (tokensync_log_window_commit).
create or replace function public.tokensync_log_window_plan(
  p_columns        jsonb,
  p_salt           text,
  p_created_after  timestamptz,
  p_pick           integer,
  p_budget         integer,
  p_scan_limit     integer default 200000,
  p_settle_ms      integer default 1000
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
  v_horizon timestamptz := public.tokensync_sync_horizon(p_settle_ms);
  v_after_updated_at timestamptz;
  v_after_id uuid;
  v_range   jsonb;
  v_writes  jsonb;
begin
  if p_pick is null or p_pick < 0 or p_budget is null or p_budget < 1 or p_scan_limit is null or p_scan_limit < 1 then
    raise exception using errcode = '22023', message = format(
      'p_pick must not be negative, p_budget and p_scan_limit at least 1; got %s, %s, %s', p_pick, p_budget, p_scan_limit);
  end if;
  insert into tokensync.log_window default values on conflict (id) do nothing;
  select w.after_updated_at, w.after_id into v_after_updated_at, v_after_id from tokensync.log_window w;
  -- Slots past the budget show nothing any more (the trim moves their pages to trash).
  update tokensync.log_window_slots s set key = null, hash = null, source_created_at = null
   where s.slot >= p_budget and s.key is not null and s.create_pending_since is null;

  -- Candidates stay narrow (no row bodies): a long backlog is ranked in memory,
  -- and only the chosen rows are read whole, at the end.
  create temporary table if not exists pg_temp.log_window_candidates (
    key uuid primary key, slot integer, shown boolean, failed boolean, cost numeric,
    over_budget boolean, created_at timestamptz, in_range boolean, chosen boolean default false
  ) on commit drop;
  truncate pg_temp.log_window_candidates;

  -- The range, diffed against the slots in one pass over the keyset index. Only
  -- a call already shown needs its hash: any other call in range is a candidate.
  execute format($sql$
    with over_budget as materialized (
      select b.entity_type, b.entity_id
        from public.budget_limits b
        join tokensync.budget_spend s on s.budget_limit_id = b.id
       where b.is_active and (s.daily_utilisation >= 1 or s.monthly_utilisation >= 1)),
    scanned as (
      select t.id, t.updated_at, t.created_at, t.success, t.total_cost, t.organization_id, t.service_type,
             t.tier, t.user_id, t.session_id, t.agent_id
        from public.token_usage_logs t
       where %2$s and t.updated_at < $3
       order by t.updated_at, t.id
       limit $4),
    diffed as (
      select p.*, s.slot, s.hash as slot_hash, coalesce(p.created_at < $6, false) as expired,
             case when s.slot is not null then (select %1$s from public.token_usage_logs t where t.id = p.id) end as hash
        from scanned p
        left join tokensync.log_window_slots s on s.key = p.id),
    kept as (
      insert into pg_temp.log_window_candidates (key, slot, shown, failed, cost, over_budget, created_at, in_range)
      select d.id, d.slot, d.slot is not null, not d.success, coalesce(d.total_cost, 0),
             exists (select 1 from over_budget o
                      where (o.entity_type, o.entity_id) in (('organization', d.organization_id), ('service', d.service_type),
                            ('tier', d.tier), ('user', d.user_id), ('session', d.session_id), ('agent', d.agent_id))),
             d.created_at, true
        from diffed d
       where not d.expired and (d.slot is null or d.slot_hash is distinct from d.hash)
      returning 1)
    select jsonb_build_object(
      'scanned', (select count(*) from scanned),
      'expired', (select count(*) from diffed where expired),
      'unchanged', (select count(*) from diffed where not expired and slot is not null and slot_hash = hash),
      'kept', (select count(*) from kept),
      'expired_keys', (select coalesce(jsonb_agg(jsonb_build_object('id', id)), '[]'::jsonb) from diffed where expired and slot is not null),
      'next_cursor', (select jsonb_build_object('updated_at', updated_at, 'id', id) from scanned order by updated_at desc, id desc limit 1))
  $sql$, public.tokensync_content_hash_sql(p_columns),
         case when v_after_id is null then 'true' else '(t.updated_at, t.id) > ($1, $2)' end)
    into v_range
    using v_after_updated_at, v_after_id, v_horizon, p_scan_limit, coalesce(p_salt, ''), p_created_after;

  -- Calls shown that were backdated out of the window: the trim goes by the
  -- creation time recorded in the slot, which must follow the row.
  update tokensync.log_window_slots s
     set source_created_at = t.created_at
    from public.token_usage_logs t
   where p_created_after is not null and t.id = s.key and t.created_at < p_created_after
     and s.source_created_at is distinct from t.created_at
     and t.id in (select (x ->> 'id')::uuid from jsonb_array_elements(coalesce(v_range -> 'expired_keys', '[]'::jsonb)) x);

  -- Calls shown whose page content is unknown, wherever they are in the keyset.
  insert into pg_temp.log_window_candidates (key, slot, shown, failed, cost, over_budget, created_at, in_range)
  select t.id, s.slot, true, not t.success, coalesce(t.total_cost, 0), false, t.created_at, false
    from tokensync.log_window_slots s
    join public.token_usage_logs t on t.id = s.key
   where s.hash is null and s.create_pending_since is null and s.slot < p_budget
     and (p_created_after is null or t.created_at >= p_created_after)
  on conflict (key) do nothing;

  update pg_temp.log_window_candidates c set chosen = true
    from (select key from pg_temp.log_window_candidates
           order by shown desc, failed desc, cost desc, over_budget desc, created_at desc, key
           limit p_pick) pick
   where c.key = pick.key;

  -- Slots for the chosen calls not shown yet: free pages, new slots, then the oldest calls shown.
  with newcomers as (
    select c.key, row_number() over (order by c.failed desc, c.cost desc, c.over_budget desc, c.created_at desc, c.key) as n
      from pg_temp.log_window_candidates c where c.chosen and not c.shown),
  free as (
    select s.slot, 1 as tier, s.slot::double precision as ord
      from tokensync.log_window_slots s
     where s.slot < p_budget and s.key is null and s.page_id is not null and s.create_pending_since is null
    union all
    select g.slot, 2, g.slot
      from generate_series(0, p_budget - 1) g(slot)
     where not exists (select 1 from tokensync.log_window_slots s where s.slot = g.slot)
    union all
    select s.slot, 2, s.slot
      from tokensync.log_window_slots s
     where s.slot < p_budget and s.key is null and s.page_id is null and s.create_pending_since is null
    union all
    select s.slot, 3, extract(epoch from coalesce(s.source_created_at, '-infinity'::timestamptz))
      from tokensync.log_window_slots s
     where s.slot < p_budget and s.key is not null and s.page_id is not null and s.create_pending_since is null
       and not exists (select 1 from pg_temp.log_window_candidates c where c.key = s.key and c.chosen)),
  ranked as (
    select slot, row_number() over (order by tier, ord, slot) as n from free),
  assigned as (
    select n.key, r.slot from newcomers n join ranked r using (n))
  update pg_temp.log_window_candidates c set slot = a.slot from assigned a where c.key = a.key;

  -- Chosen calls that found no slot (a budget smaller than one plan) are left out too.
  update pg_temp.log_window_candidates set chosen = false where chosen and slot is null;

  -- The slots now show the chosen calls (content due); a slot without a page will be created.
  insert into tokensync.log_window_slots as s (slot, key, hash, source_created_at, create_pending_since)
  select c.slot, c.key, null, c.created_at, clock_timestamp()
    from pg_temp.log_window_candidates c
   where c.chosen and not exists (select 1 from tokensync.log_window_slots x where x.slot = c.slot)
  on conflict (slot) do nothing;
  update tokensync.log_window_slots s
     set key = c.key, hash = null, source_created_at = c.created_at,
         create_pending_since = case when s.page_id is null then clock_timestamp() end
    from pg_temp.log_window_candidates c
   where c.chosen and s.slot = c.slot;

  execute format($sql$
    select coalesce(jsonb_agg(jsonb_build_object(
             'slot', s.slot, 'page_id', s.page_id, 'trashed', s.trashed_at is not null, 'row', to_jsonb(t), 'hash', %s)
             order by c.shown desc, c.failed desc, c.cost desc, c.over_budget desc, c.created_at desc), '[]'::jsonb)
      from pg_temp.log_window_candidates c
      join tokensync.log_window_slots s on s.slot = c.slot
      join public.token_usage_logs t on t.id = c.key
     where c.chosen
  $sql$, public.tokensync_content_hash_sql(p_columns))
    into v_writes
    using null, null, null, null, coalesce(p_salt, '');

  return v_range - 'kept' - 'expired_keys' || jsonb_build_object(
    'candidates', (select count(*) from pg_temp.log_window_candidates where in_range),
    'left_out', (select count(*) from pg_temp.log_window_candidates where in_range and not chosen),
    'writes', v_writes,
    'has_more', (v_range ->> 'scanned')::integer = p_scan_limit,
    'horizon', v_horizon);
end;
$$;

-- Records what was written: p_rows is [{slot, key, page_id, hash}] (page_id:
-- the page created, or the slot's own). The page is live again, and the calls
-- count as mirrored on the day p_at falls on in p_timezone. Returns how many.
create or replace function public.tokensync_log_window_record(
  p_rows     jsonb,
  p_timezone text default 'UTC',
  p_at       timestamptz default null
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
  v_day   date := (coalesce(p_at, clock_timestamp()) at time zone p_timezone)::date;
begin
  update tokensync.log_window_slots s
     set page_id = (r ->> 'page_id')::uuid, hash = r ->> 'hash', written_at = clock_timestamp(),
         create_pending_since = null, trashed_at = null
    from jsonb_array_elements(p_rows) r
   where s.slot = (r ->> 'slot')::integer and s.key = (r ->> 'key')::uuid;
  get diagnostics v_count = row_count;
  if v_count > 0 then
    insert into tokensync.log_window default values on conflict (id) do nothing;
    update tokensync.log_window set mirrored_total = mirrored_total + v_count;
    insert into tokensync.log_window_days as d (day, mirrored) values (v_day, v_count)
    on conflict (day) do update set mirrored = d.mirrored + excluded.mirrored;
  end if;
  return v_count;
end;
$$;

-- Slots whose write was refused for good (p_slots: JSON array of slot numbers):
-- they show nothing known any more; a live page among them is trimmed, and the
-- slot is reused. p_gone: those whose page no longer exists in Notion (deleted
-- there): the slot gets a new page when next written. Returns how many.
create or replace function public.tokensync_log_window_release(p_slots jsonb, p_gone jsonb default '[]'::jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  update tokensync.log_window_slots s
     set key = null, hash = null, source_created_at = null, create_pending_since = null,
         page_id = case when s.slot in (select k::integer from jsonb_array_elements_text(p_gone) k) then null else s.page_id end,
         trashed_at = case when s.slot in (select k::integer from jsonb_array_elements_text(p_gone) k) then null else s.trashed_at end
   where s.slot in (select k::integer from jsonb_array_elements_text(p_slots) k)
      or s.slot in (select k::integer from jsonb_array_elements_text(p_gone) k);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- Ends a pass whose writes all went through: the cursor moves past the range it
-- planned (never back), and the changes left out are added to the total and to
-- the day p_at falls on in p_timezone. Returns the totals.
create or replace function public.tokensync_log_window_commit(
  p_after_updated_at timestamptz,
  p_after_id         uuid,
  p_left_out         integer,
  p_timezone         text default 'UTC',
  p_at               timestamptz default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_at  timestamptz := coalesce(p_at, clock_timestamp());
  v_day date := (v_at at time zone p_timezone)::date;
  v_row tokensync.log_window;
begin
  if (p_after_updated_at is null) <> (p_after_id is null) then
    raise exception using errcode = '22023', message = 'a cursor needs both p_after_updated_at and p_after_id, or neither';
  end if;
  insert into tokensync.log_window default values on conflict (id) do nothing;
  update tokensync.log_window w
     set after_updated_at = case when p_after_id is not null and (w.after_id is null
                                  or (p_after_updated_at, p_after_id) > (w.after_updated_at, w.after_id))
                                 then p_after_updated_at else w.after_updated_at end,
         after_id = case when p_after_id is not null and (w.after_id is null
                           or (p_after_updated_at, p_after_id) > (w.after_updated_at, w.after_id))
                         then p_after_id else w.after_id end,
         left_out_total = w.left_out_total + greatest(p_left_out, 0),
         last_pass_at = v_at
  returning * into v_row;
  if p_left_out > 0 then
    insert into tokensync.log_window_days as d (day, left_out) values (v_day, p_left_out)
    on conflict (day) do update set left_out = d.left_out + excluded.left_out;
  end if;
  return jsonb_build_object('mirrored_total', v_row.mirrored_total, 'left_out_total', v_row.left_out_total);
end;
$$;

-- Every slot's content unknown (property ids changed): each page is rewritten in place.
create or replace function public.tokensync_log_window_forget()
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  update tokensync.log_window_slots set hash = null where hash is not null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- ---------------------------------------------------------------------------
-- Status.
-- ---------------------------------------------------------------------------

-- The window as operators and the report see it:
--   {"pages_live", "pages_trashed", "page_budget", "mirrored_today", "mirrored_total",
--    "left_out_today", "left_out_total", "unmirrored", "oldest_unmirrored_at", "last_pass_at"}
-- "today" is the current day in p_timezone; unmirrored counts the calls in the
-- window after the cursor (changes no pass has covered yet) and
-- oldest_unmirrored_at is the updated_at of the first of them (null: none).
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
  v_result jsonb;
begin
  select * into v_w from tokensync.log_window;
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
      'last_pass_at', v_w.last_pass_at)
    into v_result;
  return v_result;
end;
$$;

revoke all on function
  public.tokensync_log_window_take(integer, double precision, integer, boolean, timestamptz),
  public.tokensync_log_window_pending(),
  public.tokensync_log_window_resolve(jsonb),
  public.tokensync_log_window_to_trim(timestamptz, integer, integer),
  public.tokensync_log_window_trimmed(jsonb, integer),
  public.tokensync_log_window_plan(jsonb, text, timestamptz, integer, integer, integer, integer),
  public.tokensync_log_window_record(jsonb, text, timestamptz),
  public.tokensync_log_window_release(jsonb, jsonb),
  public.tokensync_log_window_commit(timestamptz, uuid, integer, text, timestamptz),
  public.tokensync_log_window_forget(),
  public.tokensync_log_window_status(integer, timestamptz, text, timestamptz)
from public, anon, authenticated;
grant execute on function
  public.tokensync_log_window_take(integer, double precision, integer, boolean, timestamptz),
  public.tokensync_log_window_pending(),
  public.tokensync_log_window_resolve(jsonb),
  public.tokensync_log_window_to_trim(timestamptz, integer, integer),
  public.tokensync_log_window_trimmed(jsonb, integer),
  public.tokensync_log_window_plan(jsonb, text, timestamptz, integer, integer, integer, integer),
  public.tokensync_log_window_record(jsonb, text, timestamptz),
  public.tokensync_log_window_release(jsonb, jsonb),
  public.tokensync_log_window_commit(timestamptz, uuid, integer, text, timestamptz),
  public.tokensync_log_window_forget(),
  public.tokensync_log_window_status(integer, timestamptz, text, timestamptz)
to service_role;
