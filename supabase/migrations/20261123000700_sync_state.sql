-- tokensync: what the sync engine remembers, in its own schema.
--
-- * tokensync.notion_sync_state: one row per synced source row — the Notion page
--   it lives in and the hash of what was last written, so unchanged rows cost no
--   Notion request. A row with create_pending_since set and no page_id had a
--   create sent whose answer never came back: it is looked up in Notion (by the
--   Supabase ID property) before anything creates it again.
-- * tokensync.sync_checkpoints: per dataset, the keyset cursor (updated_at, id)
--   after which rows have not been synced yet.
-- * tokensync.sync_tombstones: ids of deleted source rows, written by a delete
--   trigger on the five tables, so deletes are seen without rescanning tables.
-- * tokensync.sync_leases: at most one run per dataset at a time, across every
--   process and host (a lease expires, so a killed run never blocks for good).
--
-- Every read and write the engine makes is one call to a function below that
-- takes a whole batch (jsonb arrays), never one round trip per row.

create schema if not exists tokensync;
revoke all on schema tokensync from public, anon, authenticated;
grant usage on schema tokensync to service_role;

create table tokensync.notion_sync_state (
  dataset              text not null,
  key                  uuid not null,
  page_id              uuid,
  hash                 text,
  source_created_at    timestamptz,
  synced_at            timestamptz,
  create_pending_since timestamptz,
  trashed_at           timestamptz,

  constraint notion_sync_state_pkey primary key (dataset, key),
  constraint notion_sync_state_dataset_check check (public.tokensync_dataset_table(dataset) is not null),
  constraint notion_sync_state_hash_needs_page check (hash is null or page_id is not null)
);

comment on table tokensync.notion_sync_state is 'Source row → Notion page and the hash of what was last written there.';

-- The window sweep: live pages of old raw logs.
create index notion_sync_state_window_idx on tokensync.notion_sync_state (dataset, source_created_at)
  where page_id is not null and trashed_at is null;

create table tokensync.sync_checkpoints (
  dataset          text not null,
  after_updated_at timestamptz,
  after_id         uuid,
  updated_at       timestamptz not null default clock_timestamp(),

  constraint sync_checkpoints_pkey primary key (dataset),
  constraint sync_checkpoints_dataset_check check (public.tokensync_dataset_table(dataset) is not null),
  constraint sync_checkpoints_cursor_complete check ((after_updated_at is null) = (after_id is null))
);

create table tokensync.sync_tombstones (
  id         bigint generated always as identity,
  dataset    text not null,
  key        uuid not null,
  deleted_at timestamptz not null default clock_timestamp(),

  constraint sync_tombstones_pkey primary key (id),
  constraint sync_tombstones_dataset_check check (public.tokensync_dataset_table(dataset) is not null)
);

create index sync_tombstones_dataset_idx on tokensync.sync_tombstones (dataset, id);

create table tokensync.sync_leases (
  dataset    text not null,
  owner      text not null,
  expires_at timestamptz not null,

  constraint sync_leases_pkey primary key (dataset),
  constraint sync_leases_dataset_check check (public.tokensync_dataset_table(dataset) is not null),
  constraint sync_leases_owner_not_blank check (btrim(owner) <> '')
);

alter table tokensync.notion_sync_state enable row level security;
alter table tokensync.sync_checkpoints enable row level security;
alter table tokensync.sync_tombstones enable row level security;
alter table tokensync.sync_leases enable row level security;
revoke all on table tokensync.notion_sync_state, tokensync.sync_checkpoints, tokensync.sync_tombstones,
  tokensync.sync_leases from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.notion_sync_state, tokensync.sync_checkpoints,
  tokensync.sync_tombstones, tokensync.sync_leases to service_role;

-- ---------------------------------------------------------------------------
-- Tombstones: one statement-level trigger per table; the deleting role needs no
-- rights on the tokensync schema.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_record_tombstones()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into tokensync.sync_tombstones (dataset, key)
  select tg_table_name, d.id from deleted d;
  return null;
end;
$$;

create trigger token_usage_logs_tombstones after delete on public.token_usage_logs
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();
create trigger budget_limits_tombstones after delete on public.budget_limits
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();
create trigger cost_alerts_tombstones after delete on public.cost_alerts
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();
create trigger service_performance_metrics_tombstones after delete on public.service_performance_metrics
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();
create trigger workflow_analytics_tombstones after delete on public.workflow_analytics
  referencing old table as deleted for each statement execute function public.tokensync_record_tombstones();

-- ---------------------------------------------------------------------------
-- Leases.
-- ---------------------------------------------------------------------------

-- True when p_owner holds (or already held, and now renews) the dataset's lease.
create or replace function public.tokensync_sync_acquire_lease(p_dataset text, p_owner text, p_ttl_ms integer)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with taken as (
    insert into tokensync.sync_leases as l (dataset, owner, expires_at)
    values (p_dataset, p_owner, clock_timestamp() + make_interval(secs => p_ttl_ms / 1000.0))
    on conflict (dataset) do update
      set owner = excluded.owner, expires_at = excluded.expires_at
      where l.owner = excluded.owner or l.expires_at < clock_timestamp()
    returning 1)
  select exists (select 1 from taken);
$$;

create or replace function public.tokensync_sync_release_lease(p_dataset text, p_owner text)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with released as (
    delete from tokensync.sync_leases where dataset = p_dataset and owner = p_owner returning 1)
  select exists (select 1 from released);
$$;

-- ---------------------------------------------------------------------------
-- Checkpoints.
-- ---------------------------------------------------------------------------

-- {"after_updated_at", "after_id"}, both null before the first pass.
create or replace function public.tokensync_sync_checkpoint(p_dataset text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('after_updated_at', c.after_updated_at, 'after_id', c.after_id)
    from (select 1) one
    left join tokensync.sync_checkpoints c on c.dataset = p_dataset;
$$;

-- Moves the cursor forward only: a late or replayed call never moves it back.
-- A null cursor resets it (a backfill). Returns the cursor now stored.
create or replace function public.tokensync_sync_advance(p_dataset text, p_after_updated_at timestamptz, p_after_id uuid)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
  if (p_after_updated_at is null) <> (p_after_id is null) then
    raise exception using errcode = '22023', message = 'a cursor needs both p_after_updated_at and p_after_id, or neither';
  end if;
  insert into tokensync.sync_checkpoints as c (dataset, after_updated_at, after_id)
  values (p_dataset, p_after_updated_at, p_after_id)
  on conflict (dataset) do update
    set after_updated_at = excluded.after_updated_at, after_id = excluded.after_id, updated_at = clock_timestamp()
    where excluded.after_id is null
       or c.after_id is null
       or (excluded.after_updated_at, excluded.after_id) > (c.after_updated_at, c.after_id);
  return public.tokensync_sync_checkpoint(p_dataset);
end;
$$;

-- ---------------------------------------------------------------------------
-- Page state, in batches.
-- ---------------------------------------------------------------------------

-- p_keys: a JSON array of ids. Returns [{key, page_id, hash, create_pending}] for
-- the keys that have state (trashed ones included, with page_id null).
create or replace function public.tokensync_sync_lookup(p_dataset text, p_keys jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'key', s.key,
           'page_id', case when s.trashed_at is null then s.page_id end,
           'hash', case when s.trashed_at is null then s.hash end,
           'create_pending', s.create_pending_since is not null)), '[]'::jsonb)
    from tokensync.notion_sync_state s
   where s.dataset = p_dataset
     and s.key in (select k::uuid from jsonb_array_elements_text(p_keys) k);
$$;

-- Marks keys whose create is about to be sent: p_rows is [{key, source_created_at}].
-- Returns how many.
create or replace function public.tokensync_sync_mark_pending(p_dataset text, p_rows jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into tokensync.notion_sync_state as s (dataset, key, source_created_at, create_pending_since)
  select p_dataset, (r ->> 'key')::uuid, (r ->> 'source_created_at')::timestamptz, clock_timestamp()
    from jsonb_array_elements(p_rows) r
  on conflict (dataset, key) do update
    set create_pending_since = clock_timestamp(), page_id = null, hash = null, trashed_at = null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- Records what was written: p_rows is [{key, page_id, hash, source_created_at}].
-- Clears the pending mark. Returns how many rows were recorded.
create or replace function public.tokensync_sync_record(p_dataset text, p_rows jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into tokensync.notion_sync_state as s (dataset, key, page_id, hash, source_created_at, synced_at)
  select p_dataset, (r ->> 'key')::uuid, (r ->> 'page_id')::uuid, r ->> 'hash',
         (r ->> 'source_created_at')::timestamptz, clock_timestamp()
    from jsonb_array_elements(p_rows) r
  on conflict (dataset, key) do update
    set page_id = excluded.page_id, hash = excluded.hash,
        source_created_at = coalesce(excluded.source_created_at, s.source_created_at),
        synced_at = excluded.synced_at, create_pending_since = null, trashed_at = null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- ---------------------------------------------------------------------------
-- Deletes and the window.
-- ---------------------------------------------------------------------------

-- Pages to move to trash, up to p_limit: those of deleted rows (from the
-- tombstones), and, when p_created_before is given, those of rows created
-- before it. Returns [{key, page_id, reason}]. Tombstones of rows that never
-- reached Notion are dropped here.
create or replace function public.tokensync_sync_to_trash(p_dataset text, p_created_before timestamptz, p_limit integer)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  delete from tokensync.sync_tombstones t
   where t.dataset = p_dataset
     and not exists (select 1 from tokensync.notion_sync_state s
                      where s.dataset = t.dataset and s.key = t.key
                        and s.trashed_at is null and (s.page_id is not null or s.create_pending_since is not null));

  select coalesce(jsonb_agg(x), '[]'::jsonb) into v_result
    from (
      select * from (
        select distinct on (s.key) s.key, s.page_id, 'deleted' as reason, s.create_pending_since is not null as create_pending
          from tokensync.sync_tombstones t
          join tokensync.notion_sync_state s on s.dataset = t.dataset and s.key = t.key
         where t.dataset = p_dataset and s.trashed_at is null
         order by s.key
         limit p_limit) deleted
      union all
      select * from (
        select s.key, s.page_id, 'out_of_window', s.create_pending_since is not null
          from tokensync.notion_sync_state s
         where s.dataset = p_dataset and p_created_before is not null
           and s.source_created_at < p_created_before
           and s.trashed_at is null and (s.page_id is not null or s.create_pending_since is not null)
         order by s.source_created_at
         limit p_limit) expired
    ) x;
  return v_result;
end;
$$;

-- Records pages moved to trash (p_keys: JSON array of ids) and drops their tombstones.
create or replace function public.tokensync_sync_mark_trashed(p_dataset text, p_keys jsonb)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  update tokensync.notion_sync_state s
     set trashed_at = clock_timestamp(), create_pending_since = null, hash = null
   where s.dataset = p_dataset and s.key in (select k::uuid from jsonb_array_elements_text(p_keys) k);
  get diagnostics v_count = row_count;
  delete from tokensync.sync_tombstones t
   where t.dataset = p_dataset and t.key in (select k::uuid from jsonb_array_elements_text(p_keys) k);
  return v_count;
end;
$$;

-- Forgets everything synced for a dataset except its pages (a backfill rewrites them all).
create or replace function public.tokensync_sync_reset(p_dataset text)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count integer;
begin
  update tokensync.notion_sync_state set hash = null where dataset = p_dataset;
  get diagnostics v_count = row_count;
  delete from tokensync.sync_checkpoints where dataset = p_dataset;
  return v_count;
end;
$$;

revoke all on function
  public.tokensync_record_tombstones(),
  public.tokensync_sync_acquire_lease(text, text, integer),
  public.tokensync_sync_release_lease(text, text),
  public.tokensync_sync_checkpoint(text),
  public.tokensync_sync_advance(text, timestamptz, uuid),
  public.tokensync_sync_lookup(text, jsonb),
  public.tokensync_sync_mark_pending(text, jsonb),
  public.tokensync_sync_record(text, jsonb),
  public.tokensync_sync_to_trash(text, timestamptz, integer),
  public.tokensync_sync_mark_trashed(text, jsonb),
  public.tokensync_sync_reset(text)
from public, anon, authenticated;
grant execute on function
  public.tokensync_sync_acquire_lease(text, text, integer),
  public.tokensync_sync_release_lease(text, text),
  public.tokensync_sync_checkpoint(text),
  public.tokensync_sync_advance(text, timestamptz, uuid),
  public.tokensync_sync_lookup(text, jsonb),
  public.tokensync_sync_mark_pending(text, jsonb),
  public.tokensync_sync_record(text, jsonb),
  public.tokensync_sync_to_trash(text, timestamptz, integer),
  public.tokensync_sync_mark_trashed(text, jsonb),
  public.tokensync_sync_reset(text)
to service_role;
