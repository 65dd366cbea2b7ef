-- tokensync: hourly spend per entity, so budget checks read at most a month of
-- hourly buckets instead of summing a month of raw logs on every call.
--
-- Only organizations, services, tiers and agents are bucketed: few entities with
-- many calls each. Users and sessions are many entities with few calls each,
-- which their (user_id|session_id, created_at) indexes sum fast from the raw logs.
--
-- Buckets are UTC hours (absolute instants), so they serve any time zone's days
-- and months. tokensync_entity_spend reads whole hours from the buckets and the
-- partial hours at both ends from the raw logs: the result is exactly the raw sum.
--
-- Statement-level triggers with transition tables append one delta row per
-- entity and hour per statement (a batch of 500 calls is a handful of rows).
-- Deltas are appended, never upserted: an upsert would make every writer for an
-- entity wait on any open transaction that touched the same hour.
-- tokensync_compact_spend() merges the deltas of closed hours into one row each;
-- the worker runs it on a schedule, and reads stay exact whether it ran or not.

create schema if not exists tokensync;

create table tokensync.spend_hourly (
  id          bigint generated always as identity primary key,
  entity_type text not null,
  entity_id   text not null,
  hour        timestamptz not null,
  spent       numeric(20,6) not null,
  calls       bigint not null
);
create index spend_hourly_entity_hour_idx on tokensync.spend_hourly (entity_type, entity_id, hour) include (spent);

comment on table tokensync.spend_hourly is 'Deltas of token_usage_logs.total_cost per entity and UTC hour; appended by triggers, merged by tokensync_compact_spend().';

-- The insert that appends a delta to the buckets. p_delta_sql yields (created_at,
-- total_cost, sign, organization_id, service_type, tier, agent_id). It returns the statement rather than running it: transition tables
-- are visible only to SQL executed in the trigger function itself.
create or replace function public.tokensync_spend_delta_sql(p_delta_sql text)
returns text
language sql
immutable
set search_path = ''
as $$
  select format($q$
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           sum(d.sign * coalesce(d.total_cost, 0)), sum(d.sign)
      from (%s) d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id)) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3
    having sum(d.sign * coalesce(d.total_cost, 0)) <> 0 or sum(d.sign) <> 0
  $q$, p_delta_sql);
$$;

-- The triggers run as the functions' owner: whoever may write usage logs
-- (service_role, the SDK) keeps the buckets right without rights on them.
create or replace function public.tokensync_track_spend()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_columns constant text := 'created_at, total_cost, %s as sign, organization_id, service_type, tier, agent_id';
begin
  if tg_op = 'INSERT' then
    execute public.tokensync_spend_delta_sql(format('select ' || v_columns || ' from new_rows', '1'));
  elsif tg_op = 'DELETE' then
    execute public.tokensync_spend_delta_sql(format('select ' || v_columns || ' from old_rows', '-1'));
  else
    execute public.tokensync_spend_delta_sql(
      format('select ' || v_columns || ' from new_rows union all select ' || v_columns || ' from old_rows', '1', '-1'));
  end if;
  return null;
end;
$$;

create or replace function public.tokensync_reset_spend()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  truncate tokensync.spend_hourly;
  return null;
end;
$$;

-- Transition tables allow one event per trigger.
create trigger token_usage_logs_spend_insert after insert on public.token_usage_logs
  referencing new table as new_rows for each statement execute function public.tokensync_track_spend();
create trigger token_usage_logs_spend_update after update on public.token_usage_logs
  referencing old table as old_rows new table as new_rows for each statement execute function public.tokensync_track_spend();
create trigger token_usage_logs_spend_delete after delete on public.token_usage_logs
  referencing old table as old_rows for each statement execute function public.tokensync_track_spend();
create trigger token_usage_logs_spend_truncate after truncate on public.token_usage_logs
  for each statement execute function public.tokensync_reset_spend();

-- Rows that exist already.
do $$
begin
  execute public.tokensync_spend_delta_sql(
    'select created_at, total_cost, 1 as sign, organization_id, service_type, tier, agent_id from public.token_usage_logs');
end;
$$;

-- Spend of one entity in [p_from, p_to], optionally within one session: whole
-- UTC hours from the buckets, the partial hours at both ends from the raw logs.
create or replace function public.tokensync_entity_spend(
  p_entity_type text,
  p_entity_id   text,
  p_from        timestamptz,
  p_to          timestamptz,
  p_session_id  text default null
)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
declare
  v_column     text := public.tokensync_entity_column(p_entity_type);
  v_first_hour timestamptz;
  v_last_hour  timestamptz;
  v_raw        text;
  v_spent      numeric;
  v_buckets    numeric;
begin
  if v_column is null then
    raise exception using errcode = '22023',
      message = format('unknown entity_type %L; expected organization, service, tier, user, session or agent', p_entity_type);
  end if;
  v_raw := format('select coalesce(sum(l.total_cost), 0) from public.token_usage_logs l
                    where l.%I = $1 and l.created_at >= $2 and l.created_at <= $3
                      and ($4::text is null or l.session_id = $4)', v_column);

  v_first_hour := date_trunc('hour', p_from, 'UTC');
  if v_first_hour < p_from then v_first_hour := v_first_hour + interval '1 hour'; end if;
  v_last_hour := date_trunc('hour', p_to, 'UTC');

  -- Users and sessions have no buckets; a span without a whole hour has nothing to gain.
  if p_entity_type in ('user', 'session') or p_session_id is not null or not isfinite(p_from)
     or v_first_hour >= v_last_hour then
    execute v_raw into v_spent using p_entity_id, p_from, p_to, p_session_id;
    return v_spent;
  end if;

  select coalesce(sum(s.spent), 0) into v_buckets
    from tokensync.spend_hourly s
   where s.entity_type = p_entity_type and s.entity_id = p_entity_id
     and s.hour >= v_first_hour and s.hour < v_last_hour;
  -- The raw edges: [p_from, first whole hour) and [last hour, p_to].
  execute v_raw || ' and (l.created_at < $5 or l.created_at >= $6)'
    into v_spent using p_entity_id, p_from, p_to, null::text, v_first_hour, v_last_hour;
  return v_buckets + v_spent;
end;
$$;

-- Merges the deltas of every closed hour into one row per entity and hour.
-- Safe beside writers (they only append) and beside another compaction (a row
-- deleted by one is skipped by the other). Returns how many rows it merged.
create or replace function public.tokensync_compact_spend()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_merged integer;
begin
  with crowded as (
    select entity_type, entity_id, hour from tokensync.spend_hourly
     where hour < date_trunc('hour', now(), 'UTC')
     group by 1, 2, 3 having count(*) > 1
  ),
  gone as (
    delete from tokensync.spend_hourly s using crowded c
     where s.entity_type = c.entity_type and s.entity_id = c.entity_id and s.hour = c.hour
    returning s.entity_type, s.entity_id, s.hour, s.spent, s.calls
  ),
  merged as (
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls)
    select entity_type, entity_id, hour, sum(spent), sum(calls) from gone group by 1, 2, 3
    having sum(spent) <> 0 or sum(calls) <> 0
    returning 1
  )
  select count(*) into v_merged from gone;
  return jsonb_build_object('merged_rows', v_merged);
end;
$$;

revoke all on table tokensync.spend_hourly from public;
grant usage on schema tokensync to service_role;
grant select on table tokensync.spend_hourly to service_role;
revoke all on function public.tokensync_spend_delta_sql(text), public.tokensync_track_spend(), public.tokensync_reset_spend(),
  public.tokensync_compact_spend() from public, anon, authenticated;
grant execute on function public.tokensync_compact_spend() to service_role;
