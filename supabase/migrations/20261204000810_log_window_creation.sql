-- tokensync: the raw-log window obeys the creation gate (see
-- 20261204000600_notion_block_limit.sql).
--
-- While Notion refuses to create blocks (a Free workspace past its lifetime
-- blocks), a plan must not assign a call to a slot that has no page: that
-- would be a create. p_may_create false leaves out the slots that would be
-- created (slot numbers not used yet, and slots whose page was never made), so
-- chosen calls go to pages that exist: trashed or emptied ones first, then the
-- page showing the oldest call. A ring that the limit stopped short of its
-- budget simply is the ring; the calls it cannot take are left out and counted,
-- as every other call the window does not take. When creation resumes the
-- plans ask for creates again and the ring grows back to its budget.

drop function public.tokensync_log_window_plan(jsonb, text, timestamptz, integer, integer, integer, integer);

-- As in 20261204000400_token_log_window.sql, plus p_may_create (see above).
create or replace function public.tokensync_log_window_plan(
  p_columns        jsonb,
  p_salt           text,
  p_created_after  timestamptz,
  p_pick           integer,
  p_budget         integer,
  p_scan_limit     integer default 200000,
  p_settle_ms      integer default 1000,
  p_may_create     boolean default true
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
    -- A slot without a page is a create: none while Notion refuses new blocks.
    select g.slot, 2, g.slot
      from generate_series(0, p_budget - 1) g(slot)
     where p_may_create and not exists (select 1 from tokensync.log_window_slots s where s.slot = g.slot)
    union all
    select s.slot, 2, s.slot
      from tokensync.log_window_slots s
     where p_may_create and s.slot < p_budget and s.key is null and s.page_id is null and s.create_pending_since is null
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

revoke all on function public.tokensync_log_window_plan(jsonb, text, timestamptz, integer, integer, integer, integer, boolean)
from public, anon, authenticated;
grant execute on function public.tokensync_log_window_plan(jsonb, text, timestamptz, integer, integer, integer, integer, boolean)
to service_role;
