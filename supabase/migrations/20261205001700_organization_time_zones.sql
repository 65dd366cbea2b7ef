-- tokensync: one meaning of day, week and month per organization.
--
-- Until now one time zone (REPORT_TIMEZONE, passed to every function as
-- p_timezone) decided what "today" was for every organization. An organization
-- may now have its own zone; p_timezone stays the default for those that have
-- none, so an installation with no settings behaves exactly as before.
--
-- The meaning, used by every figure:
-- - A call's day is the calendar date of its created_at in its organization's
--   zone (DST days are 23 or 25 hours long). Rollups, Notion's dates, the
--   report and the mv_* views group calls by that date.
-- - An entity's periods (a budget limit's day and month, its alerts) are in
--   the entity's zone: an organization's own; a user's, session's or agent's
--   that of the organization it calls for (the request's in a decision, its
--   latest call's otherwise); services, tiers and features span
--   organizations and keep the default zone.
--
-- This migration adds the settings and the lookups; the migrations after it
-- put them to use.

create table public.organization_settings (
  organization_id text primary key,
  time_zone       text not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default clock_timestamp(),
  constraint organization_settings_id_not_blank
    check (btrim(organization_id) <> '' and char_length(organization_id) <= 255)
);

comment on table public.organization_settings is
  'Per-organization settings; time_zone (an IANA name) is the organization''s day, week and month for every figure (default: REPORT_TIMEZONE).';

create trigger organization_settings_touch_updated_at
  before insert or update on public.organization_settings
  for each row execute function public.tokensync_touch_updated_at();

-- A name Postgres does not know would fail every figure of the organization
-- later, far from the mistake: refuse it here, naming the fix.
create or replace function public.tokensync_check_time_zone()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
    raise exception 'organization_settings.time_zone: % is not a time zone name Postgres knows', quote_literal(new.time_zone)
      using errcode = '22023',
            hint = 'Use an IANA name such as Europe/Paris or America/New_York (select name from pg_timezone_names).';
  end if;
  return new;
end;
$$;

create trigger organization_settings_valid_time_zone
  before insert or update of time_zone on public.organization_settings
  for each row execute function public.tokensync_check_time_zone();

alter table public.organization_settings enable row level security;
revoke all on table public.organization_settings from public, anon, authenticated;
grant select, insert, update, delete on table public.organization_settings to service_role;

-- ---------------------------------------------------------------------------
-- Lookups.
-- ---------------------------------------------------------------------------

-- The organization's zone, else the default.
create or replace function public.tokensync_zone_of(p_organization_id text, p_default text)
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select s.time_zone from public.organization_settings s where s.organization_id = p_organization_id),
    p_default);
$$;

-- Whether any organization has its own zone: when none does (the common case)
-- every lookup is the default, and callers skip the per-row work.
create or replace function public.tokensync_has_organization_zones()
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from public.organization_settings);
$$;

-- Every zone a call's date may be reckoned in: the default and each
-- organization's. A UTC instant maps to at most one date per zone, so these
-- bound the dates an hour of calls can touch.
create or replace function public.tokensync_zones_in_use(p_default text)
returns setof text
language sql
stable
set search_path = ''
as $$
  select p_default
  union
  select distinct s.time_zone from public.organization_settings s;
$$;

-- The zone an entity's periods are reckoned in (see the header).
-- p_organization_id is the organization a decision is made for (the request's);
-- without it a user, session or agent takes its latest call's organization.
create or replace function public.tokensync_entity_zone(
  p_entity_type     text,
  p_entity_id       text,
  p_default         text,
  p_organization_id text default null
)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_org text;
begin
  if p_entity_type not in ('organization', 'user', 'session', 'agent') or not public.tokensync_has_organization_zones() then
    return p_default;
  end if;
  if p_entity_type = 'organization' then
    return public.tokensync_zone_of(p_entity_id, p_default);
  end if;
  v_org := p_organization_id;
  if v_org is null then
    select l.organization_id into v_org
      from public.token_usage_logs l
     where case p_entity_type
             when 'user' then l.user_id = p_entity_id
             when 'session' then l.session_id = p_entity_id
             else l.agent_id = p_entity_id
           end
       and l.organization_id is not null
     order by l.created_at desc
     limit 1;
  end if;
  return public.tokensync_zone_of(v_org, p_default);
end;
$$;

-- ---------------------------------------------------------------------------
-- Setting a zone. The organization's calls are re-dated: the days they leave
-- (their dates in the old zone) and join (in the new one) are handed to the
-- incremental rollup, which reconverges them. The old zone may be in use by no
-- one afterwards, so the days are recorded as dates, not as hours. Days
-- already closed by retention keep their dates (their raw rows are gone).
-- ---------------------------------------------------------------------------
create table tokensync.rollup_dirty_days (
  id  bigint generated always as identity primary key,
  day date not null
);
comment on table tokensync.rollup_dirty_days is
  'Local dates whose calls changed day (an organization''s zone changed); claimed by tokensync_rollup_changed() with the dirty hours.';
-- service_role claims it (through rpc too) and fills it through
-- tokensync_set_organization_time_zone, which runs as its caller.
alter table tokensync.rollup_dirty_days enable row level security;
revoke all on table tokensync.rollup_dirty_days from public, anon, authenticated;
grant select, insert, delete on table tokensync.rollup_dirty_days to service_role;

-- p_time_zone null removes the setting (the organization follows the default,
-- p_default, which is also what its calls were dated in without a setting).
create or replace function public.tokensync_set_organization_time_zone(p_organization_id text, p_time_zone text, p_default text default 'UTC')
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_before  text;
  v_days    integer := 0;
begin
  select s.time_zone into v_before from public.organization_settings s where s.organization_id = p_organization_id;
  if p_time_zone is null then
    delete from public.organization_settings s where s.organization_id = p_organization_id;
  else
    insert into public.organization_settings as s (organization_id, time_zone)
    values (p_organization_id, p_time_zone)
    on conflict (organization_id) do update set time_zone = excluded.time_zone
      where s.time_zone is distinct from excluded.time_zone;
  end if;
  if v_before is distinct from p_time_zone then
    insert into tokensync.rollup_dirty_days (day)
    select distinct d.day
      from public.token_usage_logs l
      cross join lateral (values ((l.created_at at time zone coalesce(v_before, p_default))::date),
                                 ((l.created_at at time zone coalesce(p_time_zone, p_default))::date)) d(day)
     where l.organization_id = p_organization_id;
    get diagnostics v_days = row_count;
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'before', v_before, 'time_zone', p_time_zone,
                            'changed', v_before is distinct from p_time_zone, 'days_to_roll_up', v_days);
end;
$$;

revoke all on function
  public.tokensync_check_time_zone(),
  public.tokensync_zone_of(text, text),
  public.tokensync_has_organization_zones(),
  public.tokensync_zones_in_use(text),
  public.tokensync_entity_zone(text, text, text, text),
  public.tokensync_set_organization_time_zone(text, text, text)
  from public, anon, authenticated;
grant execute on function
  public.tokensync_zone_of(text, text),
  public.tokensync_has_organization_zones(),
  public.tokensync_zones_in_use(text),
  public.tokensync_entity_zone(text, text, text, text),
  public.tokensync_set_organization_time_zone(text, text, text)
  to service_role;
