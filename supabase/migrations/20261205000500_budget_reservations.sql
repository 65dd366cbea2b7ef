-- tokensync: budgets that hold.
--
-- A check answered "allowed" to twenty callers at once because none of them had
-- spent yet. A reservation closes that gap: tokensync_reserve decides and, when
-- it allows, leaves a hold for the estimate; tokensync_settle swaps the hold for
-- the logged call in one transaction; tokensync_release drops it; holds expire,
-- so a caller that crashed leaks nothing.
--
-- Postgres is the truth, and the decision is serialized per limit with
-- transaction-scoped advisory locks (one per applicable blocking limit and user
-- quota, taken in key order so two reservations never deadlock). Spend and holds
-- are then read by one stable function call, one snapshot: a settle committing
-- meanwhile is seen either as the hold or as the logged call, never as neither.
-- A reservation counts its periods whole, to the next local midnight, so a call
-- a concurrent transaction settled (dated after this one's now()) counts too.
-- To stay flat in history, users get spend buckets too, compaction merges the
-- current hour, and reads take whole hours from the buckets. Why not Redis counters: the
-- logs are the spend and they are in Postgres; counters kept beside them would
-- need the same transaction to stay exact, and Postgres is already where every
-- caller writes. Advisory locks rather than row locks: a reservation must not
-- wait on a stakeholder's edit of the limit row, nor block the foreign-key checks
-- of alerts that reference it.
--
-- What else lives here: the feature entity; a grace per limit (default 10 %,
-- applied once to the cap); whether a limit fails open or closed; spend resets;
-- agents paused on breach; per-user token quotas by subscription tier; features
-- gated by tier; an audit row for every change to a limit, pause or reset.

-- ---------------------------------------------------------------------------
-- Limits: the feature entity, grace, failure policy, resets.
-- ---------------------------------------------------------------------------
alter table public.budget_limits drop constraint budget_limits_entity_type_check;
alter table public.budget_limits
  add constraint budget_limits_entity_type_check
    check (entity_type in ('organization', 'service', 'tier', 'user', 'session', 'agent', 'feature')),
  add column grace_pct numeric(6,2) not null default 10,
  add column fail_mode text not null default 'open',
  add column daily_reset_at timestamptz,
  add column monthly_reset_at timestamptz,
  add constraint budget_limits_grace_pct_range check (grace_pct >= 0 and grace_pct <= 100),
  add constraint budget_limits_fail_mode_check check (fail_mode in ('open', 'closed'));

comment on column public.budget_limits.grace_pct is
  'A blocking limit admits spend up to the limit plus this percentage of it (once: never compounding), then denies.';
comment on column public.budget_limits.fail_mode is
  'When the budget cannot be asked (database down): open allows the call, closed denies it.';
comment on column public.budget_limits.daily_reset_at is 'Spend before this instant does not count toward today''s limit (an admin reset).';
comment on column public.budget_limits.monthly_reset_at is 'Spend before this instant does not count toward this month''s limit (an admin reset).';

create or replace function public.tokensync_entity_column(p_entity_type text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case p_entity_type
    when 'organization' then 'organization_id'
    when 'service'      then 'service_type'
    when 'tier'         then 'tier'
    when 'user'         then 'user_id'
    when 'session'      then 'session_id'
    when 'agent'        then 'agent_id'
    when 'feature'      then 'feature'
  end;
$$;

-- Spend of one entity in [p_from, p_to]: as tokensync_entity_standing reads it
-- (users from their buckets, added below; features summed raw like sessions).
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
begin
  if public.tokensync_entity_column(p_entity_type) is null then
    raise exception using errcode = '22023',
      message = format('unknown entity_type %L; expected organization, service, tier, user, session, agent or feature', p_entity_type);
  end if;
  -- [p_from, p_to], p_to included: a microsecond past it is the first instant left out.
  return (select st.spent from public.tokensync_entity_standing(p_entity_type, p_entity_id, p_from,
            case when isfinite(p_to) then p_to + interval '1 microsecond' else p_to end, p_to, p_session_id) st);
end;
$$;

-- ---------------------------------------------------------------------------
-- Spend buckets for hot limits. Settled one call at a time, each call appends a
-- delta row per entity to the current hour, and a reservation reads that hour:
-- merging only closed hours let the read grow with the hour's calls. Compaction
-- now merges the current hour too, and with p_since only the hours since then:
-- the budgets job runs that short pass every time it runs (under load, every
-- BUDGET_WAKE_WINDOW_MS), the rollup job the whole table. Still safe beside
-- writers, who only append, and beside another compaction.
-- ---------------------------------------------------------------------------
create index spend_hourly_hour_idx on tokensync.spend_hourly (hour);

-- Users get buckets too, with tokens (for per-user token quotas): a reservation for a
-- busy user then reads a few rows per hour instead of every call the user made
-- today. Deltas are still appended, never upserted (no writer waits on another's
-- open transaction), and the budgets job's compaction keeps the current hour short.
alter table tokensync.spend_hourly add column tokens bigint not null default 0;
comment on table tokensync.spend_hourly is
  'Deltas of token_usage_logs cost, calls and tokens per entity (organization, service, tier, agent, user) and UTC hour; appended by triggers, merged by tokensync_compact_spend().';

-- p_delta_sql yields (created_at, total_cost, total_tokens, sign, organization_id,
-- service_type, tier, agent_id, user_id); see 20261123000800 for why it returns SQL.
create or replace function public.tokensync_spend_delta_sql(p_delta_sql text)
returns text
language sql
immutable
set search_path = ''
as $$
  select format($q$
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           sum(d.sign * coalesce(d.total_cost, 0)), sum(d.sign), sum(d.sign * coalesce(d.total_tokens, 0))
      from (%s) d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id)) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3
    having sum(d.sign * coalesce(d.total_cost, 0)) <> 0 or sum(d.sign) <> 0
  $q$, p_delta_sql);
$$;

-- Static statements, not the SQL tokensync_spend_delta_sql writes: a settle is one
-- call per statement, and planning the dynamic statement each time was most of the
-- trigger's cost. (Transition tables are visible to static SQL of the trigger
-- function too.) tokensync_spend_delta_sql stays for bulk loads.
create or replace function public.tokensync_track_spend()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           sum(coalesce(d.total_cost, 0)), count(*), sum(coalesce(d.total_tokens, 0))
      from new_rows d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id)) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3;
  elsif tg_op = 'DELETE' then
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           -sum(coalesce(d.total_cost, 0)), -count(*), -sum(coalesce(d.total_tokens, 0))
      from old_rows d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id)) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3;
  else
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           sum(d.sign * coalesce(d.total_cost, 0)), sum(d.sign), sum(d.sign * coalesce(d.total_tokens, 0))
      from (select n.created_at, n.total_cost, n.total_tokens, 1 as sign, n.organization_id, n.service_type, n.tier, n.agent_id, n.user_id
              from new_rows n
            union all
            select o.created_at, o.total_cost, o.total_tokens, -1, o.organization_id, o.service_type, o.tier, o.agent_id, o.user_id
              from old_rows o) d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id)) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3
    having sum(d.sign * coalesce(d.total_cost, 0)) <> 0 or sum(d.sign) <> 0 or sum(d.sign * coalesce(d.total_tokens, 0)) <> 0;
  end if;
  return null;
end;
$$;

-- The users' buckets for the rows that exist already; writers wait for this migration.
lock table public.token_usage_logs in share row exclusive mode;
insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
select 'user', l.user_id, date_trunc('hour', l.created_at, 'UTC'), sum(coalesce(l.total_cost, 0)), count(*), sum(l.total_tokens)
  from public.token_usage_logs l
 where l.user_id is not null
 group by 2, 3;

drop function public.tokensync_compact_spend();
create or replace function public.tokensync_compact_spend(p_since timestamptz default null)
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
     where p_since is null or hour >= date_trunc('hour', p_since, 'UTC')
     group by 1, 2, 3 having count(*) > 1
  ),
  gone as (
    delete from tokensync.spend_hourly s using crowded c
     where s.entity_type = c.entity_type and s.entity_id = c.entity_id and s.hour = c.hour
    returning s.entity_type, s.entity_id, s.hour, s.spent, s.calls, s.tokens
  ),
  merged as (
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select entity_type, entity_id, hour, sum(spent), sum(calls), sum(tokens) from gone group by 1, 2, 3
    having sum(spent) <> 0 or sum(calls) <> 0 or sum(tokens) <> 0
    returning 1
  )
  select count(*) into v_merged from gone;
  return jsonb_build_object('merged_rows', v_merged);
end;
$$;
revoke all on function public.tokensync_compact_spend(timestamptz) from public, anon, authenticated;
grant execute on function public.tokensync_compact_spend(timestamptz) to service_role;

-- ---------------------------------------------------------------------------
-- Subscription tiers (token quotas per user, ranks for feature gates) and gates.
-- ---------------------------------------------------------------------------
create table public.subscription_tiers (
  tier                text primary key,
  rank                integer not null,
  daily_token_quota   bigint,
  monthly_token_quota bigint,
  warning_pcts        numeric[] not null default '{75,90}',
  description         text,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default clock_timestamp(),
  constraint subscription_tiers_tier_not_blank check (btrim(tier) <> '' and char_length(tier) <= 100),
  constraint subscription_tiers_rank_key unique (rank),
  constraint subscription_tiers_daily_quota_non_negative check (daily_token_quota >= 0),
  constraint subscription_tiers_monthly_quota_non_negative check (monthly_token_quota >= 0),
  constraint subscription_tiers_warning_pcts_valid check (
    cardinality(warning_pcts) <= 10 and array_position(warning_pcts, null) is null
    and 0 < all (warning_pcts) and 100 > all (warning_pcts)),
  constraint subscription_tiers_description_bounded check (char_length(description) <= 2000)
);
comment on table public.subscription_tiers is
  'Subscription tiers: a higher rank is a higher tier. Each user on a tier may use its token quota per day and per month (warned at warning_pcts, blocked at 100 %).';

create table public.feature_gates (
  feature       text primary key,
  required_tier text not null references public.subscription_tiers (tier) on update cascade,
  is_active     boolean not null default true,
  description   text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default clock_timestamp(),
  constraint feature_gates_feature_not_blank check (btrim(feature) <> '' and char_length(feature) <= 255),
  constraint feature_gates_description_bounded check (char_length(description) <= 2000)
);
comment on table public.feature_gates is 'A feature that only callers on required_tier or a higher-ranked tier may use.';

create trigger subscription_tiers_touch_updated_at before insert or update on public.subscription_tiers
  for each row execute function public.tokensync_touch_updated_at();
create trigger feature_gates_touch_updated_at before insert or update on public.feature_gates
  for each row execute function public.tokensync_touch_updated_at();

-- ---------------------------------------------------------------------------
-- Agents paused on breach. A pause is lifted, never deleted: lifted_at moves
-- updated_at forward, so the sync carries the lift to Notion like any change.
-- ---------------------------------------------------------------------------
create table public.agent_pauses (
  id           uuid primary key default gen_random_uuid(),
  agent_id     text not null,
  paused_at    timestamptz not null default now(),
  paused_until timestamptz,
  reason       text not null,
  paused_by    text not null,
  lifted_at    timestamptz,
  lifted_by    text,
  updated_at   timestamptz not null default clock_timestamp(),
  constraint agent_pauses_agent_id_not_blank check (btrim(agent_id) <> '' and char_length(agent_id) <= 255)
);
comment on table public.agent_pauses is
  'An agent is paused from paused_at until paused_until (null: until unpaused) unless lifted_at is set. One open pause per agent.';
create unique index agent_pauses_one_open_idx on public.agent_pauses (agent_id) where lifted_at is null;
create trigger agent_pauses_touch_updated_at before insert or update on public.agent_pauses
  for each row execute function public.tokensync_touch_updated_at();

-- ---------------------------------------------------------------------------
-- The audit: who changed which limit, pause or reset, when, and how.
-- ---------------------------------------------------------------------------
create table public.budget_audit (
  id          bigint generated always as identity primary key,
  at          timestamptz not null default clock_timestamp(),
  actor       text not null,
  action      text not null,
  entity_type text,
  entity_id   text,
  details     jsonb not null default '{}'::jsonb,
  constraint budget_audit_action_check check (action in (
    'create_limit', 'update_limit', 'delete_limit', 'reset_spend', 'pause_agent', 'unpause_agent', 'pause_expired'))
);
create index budget_audit_entity_idx on public.budget_audit (entity_type, entity_id, at);
comment on table public.budget_audit is 'Every change to a budget limit, a spend reset, and every agent pause and unpause, with who did it.';

-- Who is acting: admin functions and the Notion edit path set tokensync.actor for their transaction.
create or replace function public.tokensync_actor()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(current_setting('tokensync.actor', true), ''), 'sql:' || session_user);
$$;

-- Limits are audited by a trigger, so an edit made in SQL, from the CLI or from Notion leaves the same row.
create or replace function public.tokensync_audit_limit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old     jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) - 'updated_at' - 'created_at' end;
  v_new     jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) - 'updated_at' - 'created_at' end;
  v_changed jsonb;
  v_action  text;
begin
  if tg_op = 'UPDATE' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('from', v_old -> n.key, 'to', n.value)), '{}'::jsonb)
      into v_changed
      from jsonb_each(v_new) n
     where n.value is distinct from v_old -> n.key;
    if v_changed = '{}'::jsonb then return null; end if;
    v_action := case when v_changed - 'daily_reset_at' - 'monthly_reset_at' = '{}'::jsonb then 'reset_spend' else 'update_limit' end;
  end if;
  insert into public.budget_audit (actor, action, entity_type, entity_id, details)
  values (public.tokensync_actor(),
          case tg_op when 'INSERT' then 'create_limit' when 'DELETE' then 'delete_limit' else v_action end,
          coalesce(new.entity_type, old.entity_type), coalesce(new.entity_id, old.entity_id),
          case tg_op when 'INSERT' then v_new when 'DELETE' then v_old else v_changed end
            || jsonb_build_object('budget_limit_id', coalesce(new.id, old.id)));
  return null;
end;
$$;

create trigger budget_limits_audit after insert or update or delete on public.budget_limits
  for each row execute function public.tokensync_audit_limit();

-- ---------------------------------------------------------------------------
-- Holds: what admitted calls may still spend.
-- ---------------------------------------------------------------------------
create table tokensync.budget_holds (
  id              uuid primary key default gen_random_uuid(),
  created_at      timestamptz not null default now(),
  expires_at      timestamptz not null,
  organization_id text,
  tier            text,
  user_id         text,
  session_id      text,
  service_type    text,
  agent_id        text,
  feature         text,
  amount          numeric not null,
  tokens          bigint not null,
  estimated       boolean not null default false
);
create index budget_holds_expires_idx on tokensync.budget_holds (expires_at);
comment on table tokensync.budget_holds is 'Reservations not yet settled or released; a hold past expires_at counts for nothing and is purged.';

alter table tokensync.budget_holds enable row level security;
revoke all on table tokensync.budget_holds from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.budget_holds to service_role;

-- Cost and tokens of an entity's calls in [p_from, p_to) from the raw logs. One
-- static statement per column, not dynamic SQL: a reservation runs several of
-- these, and a static statement is planned once per connection.
create or replace function public.tokensync_raw_usage(
  p_entity_type text,
  p_entity_id   text,
  p_from        timestamptz,
  p_to          timestamptz,
  p_session_id  text default null
)
returns table (spent numeric, tokens bigint)
language plpgsql
stable
set search_path = ''
as $$
begin
  case p_entity_type
    when 'organization' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.organization_id = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'service' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.service_type = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'tier' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.tier = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'user' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.user_id = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'session' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.session_id = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'agent' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.agent_id = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    when 'feature' then
      return query select coalesce(sum(l.total_cost), 0), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.feature = p_entity_id and l.created_at >= p_from and l.created_at < p_to
         and (p_session_id is null or l.session_id = p_session_id);
    else
      raise exception using errcode = '22023',
        message = format('unknown entity_type %L; expected organization, service, tier, user, session, agent or feature', p_entity_type);
  end case;
end;
$$;

-- Where an entity stands in [p_from, p_to) at p_at: what it spent, its tokens, and
-- what live holds keep back. Stable, so
-- every statement in it reads the snapshot of the statement that calls it: a
-- settle committing meanwhile counts once, as its hold or as its logged call.
--
-- Callers ask as of an instant (p_to just past p_at): the whole hours come from
-- the buckets, so the cost stays flat however busy the current hour is.
create or replace function public.tokensync_entity_standing(
  p_entity_type text,
  p_entity_id   text,
  p_from        timestamptz,
  p_to          timestamptz,
  p_at          timestamptz,
  p_session_id  text default null
)
returns table (spent numeric, tokens bigint, held numeric, held_tokens bigint)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_first_hour timestamptz := date_trunc('hour', p_from, 'UTC');
  v_end_hour   timestamptz := date_trunc('hour', p_to, 'UTC');
  v_edge       record;
begin
  if v_first_hour < p_from then v_first_hour := v_first_hour + interval '1 hour'; end if;
  if v_end_hour < p_to then v_end_hour := v_end_hour + interval '1 hour'; end if;
  -- Sessions and features have no buckets: their index ranges are short.
  if p_entity_type in ('session', 'feature') or p_session_id is not null
     or not isfinite(p_from) or not isfinite(p_to) or v_first_hour >= v_end_hour then
    select r.spent, r.tokens into spent, tokens
      from public.tokensync_raw_usage(p_entity_type, p_entity_id, p_from, p_to, p_session_id) r;
  else
    -- Whole hours from the buckets, through the hour p_to falls in; then the calls of
    -- that hour dated from p_to on are taken out again. For "now" those are none or
    -- few, where summing the hour's calls up to now would be all of them.
    select coalesce(sum(b.spent), 0), coalesce(sum(b.tokens), 0)::bigint into spent, tokens
      from tokensync.spend_hourly b
     where b.entity_type = p_entity_type and b.entity_id = p_entity_id
       and b.hour >= v_first_hour and b.hour < v_end_hour;
    if p_from < v_first_hour then
      select r.spent, r.tokens into v_edge from public.tokensync_raw_usage(p_entity_type, p_entity_id, p_from, v_first_hour) r;
      spent := spent + v_edge.spent;
      tokens := tokens + v_edge.tokens;
    end if;
    if p_to < v_end_hour then
      select r.spent, r.tokens into v_edge from public.tokensync_raw_usage(p_entity_type, p_entity_id, p_to, v_end_hour) r;
      spent := spent - v_edge.spent;
      tokens := tokens - v_edge.tokens;
    end if;
  end if;
  select coalesce(sum(h.amount), 0), coalesce(sum(h.tokens), 0)::bigint into held, held_tokens
    from tokensync.budget_holds h
   where h.created_at >= p_from and h.created_at < p_to and h.expires_at > p_at
     and (p_session_id is null or h.session_id = p_session_id)
     and case p_entity_type
               when 'organization' then h.organization_id = p_entity_id
               when 'service' then h.service_type = p_entity_id
               when 'tier' then h.tier = p_entity_id
               when 'user' then h.user_id = p_entity_id
               when 'session' then h.session_id = p_entity_id
               when 'agent' then h.agent_id = p_entity_id
               when 'feature' then h.feature = p_entity_id
         end;
  return next;
end;
$$;

-- A limit's day [p_day_from, p_day_to) and month [p_month_from, p_month_to) at once:
-- one scan of the buckets and one of the holds serve both, where both periods start
-- on whole UTC hours (every time zone with a whole-hour offset, without a reset
-- mid-hour); otherwise two standings. An end inside an hour takes that hour's
-- calls dated from the end on out again, as in tokensync_entity_standing.
-- Stable: one snapshot, as for tokensync_entity_standing.
create or replace function public.tokensync_entity_day_and_month(
  p_entity_type text,
  p_entity_id   text,
  p_day_from    timestamptz,
  p_day_to      timestamptz,
  p_month_from  timestamptz,
  p_month_to    timestamptz,
  p_at          timestamptz
)
returns table (day_spent numeric, day_held numeric, month_spent numeric, month_held numeric)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_day_end   timestamptz := date_trunc('hour', p_day_to, 'UTC');
  v_month_end timestamptz := date_trunc('hour', p_month_to, 'UTC');
  v_day       record;
  v_month     record;
  v_after     numeric;
begin
  if v_day_end < p_day_to then v_day_end := v_day_end + interval '1 hour'; end if;
  if v_month_end < p_month_to then v_month_end := v_month_end + interval '1 hour'; end if;
  if p_entity_type in ('session', 'feature')
     or date_trunc('hour', p_day_from, 'UTC') <> p_day_from or date_trunc('hour', p_month_from, 'UTC') <> p_month_from
     or p_day_from >= p_day_to or p_month_from >= p_month_to then
    select st.spent, st.held into v_day from public.tokensync_entity_standing(p_entity_type, p_entity_id, p_day_from, p_day_to, p_at) st;
    select st.spent, st.held into v_month from public.tokensync_entity_standing(p_entity_type, p_entity_id, p_month_from, p_month_to, p_at) st;
    return query select v_day.spent, v_day.held, v_month.spent, v_month.held;
    return;
  end if;
  select coalesce(sum(b.spent) filter (where b.hour >= p_day_from and b.hour < v_day_end), 0),
         coalesce(sum(b.spent) filter (where b.hour >= p_month_from and b.hour < v_month_end), 0)
    into day_spent, month_spent
    from tokensync.spend_hourly b
   where b.entity_type = p_entity_type and b.entity_id = p_entity_id
     and b.hour >= least(p_day_from, p_month_from) and b.hour < greatest(v_day_end, v_month_end);
  if p_day_to < v_day_end then
    select r.spent into v_after from public.tokensync_raw_usage(p_entity_type, p_entity_id, p_day_to, v_day_end) r;
    day_spent := day_spent - v_after;
    -- As of one instant (the reporting case), the month ends where the day does.
    if p_month_to = p_day_to then month_spent := month_spent - v_after; end if;
  end if;
  if p_month_to < v_month_end and p_month_to <> p_day_to then
    select r.spent into v_after from public.tokensync_raw_usage(p_entity_type, p_entity_id, p_month_to, v_month_end) r;
    month_spent := month_spent - v_after;
  end if;
  select coalesce(sum(h.amount) filter (where h.created_at >= p_day_from and h.created_at < p_day_to), 0),
         coalesce(sum(h.amount) filter (where h.created_at >= p_month_from and h.created_at < p_month_to), 0)
    into day_held, month_held
    from tokensync.budget_holds h
   where h.created_at >= least(p_day_from, p_month_from) and h.created_at < greatest(p_day_to, p_month_to)
     and h.expires_at > p_at
     and case p_entity_type
               when 'organization' then h.organization_id = p_entity_id
               when 'service' then h.service_type = p_entity_id
               when 'tier' then h.tier = p_entity_id
               when 'user' then h.user_id = p_entity_id
               when 'session' then h.session_id = p_entity_id
               when 'agent' then h.agent_id = p_entity_id
               when 'feature' then h.feature = p_entity_id
         end;
  return next;
end;
$$;

-- The local period around p_at: [start, end). Days are 23 or 25 hours long across DST.
create or replace function public.tokensync_period_bounds(p_period text, p_at timestamptz, p_timezone text)
returns table (period_start timestamptz, period_end timestamptz)
language sql
stable
set search_path = ''
as $$
  select date_trunc(p_period, p_at, p_timezone),
         ((date_trunc(p_period, p_at, p_timezone) at time zone p_timezone)
            + case p_period when 'day' then interval '1 day' else interval '1 month' end) at time zone p_timezone;
$$;

-- Usage of one limit at p_at, resets applied: one row per period it limits, each
-- as of p_at (p_at included), its whole hours from the buckets.
create or replace function public.tokensync_limit_usage(
  p_limit      public.budget_limits,
  p_session_id text,
  p_at         timestamptz,
  p_timezone   text
)
returns table (period text, period_start timestamptz, spent numeric, limit_amount numeric)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_day   record;
  v_month record;
  v_both  record;
begin
  select greatest(b.period_start, p_limit.daily_reset_at) as period_start into v_day
    from public.tokensync_period_bounds('day', p_at, p_timezone) b;
  select greatest(b.period_start, p_limit.monthly_reset_at) as period_start into v_month
    from public.tokensync_period_bounds('month', p_at, p_timezone) b;
  if p_limit.daily_limit is not null or p_limit.monthly_limit is not null then
    -- As of p_at, p_at included.
    select * into v_both from public.tokensync_entity_day_and_month(p_limit.entity_type, p_limit.entity_id,
      v_day.period_start, p_at + interval '1 microsecond', v_month.period_start, p_at + interval '1 microsecond', p_at);
  end if;
  if p_limit.daily_limit is not null then
    period := 'daily'; period_start := v_day.period_start; limit_amount := p_limit.daily_limit;
    spent := v_both.day_spent;
    return next;
  end if;
  if p_limit.monthly_limit is not null then
    period := 'monthly'; period_start := v_month.period_start; limit_amount := p_limit.monthly_limit;
    spent := v_both.month_spent;
    return next;
  end if;
  if p_limit.session_limit is not null and p_session_id is not null then
    period := 'session'; limit_amount := p_limit.session_limit;
    select coalesce(min(l.created_at), p_at) into period_start
      from public.token_usage_logs l where l.session_id = p_session_id;
    spent := public.tokensync_entity_spend(p_limit.entity_type, p_limit.entity_id, '-infinity', p_at, p_session_id);
    return next;
  end if;
end;
$$;

-- The open pause of an agent at p_at, if any.
create or replace function public.tokensync_agent_pause(p_agent_id text, p_at timestamptz)
returns public.agent_pauses
language sql
stable
set search_path = ''
as $$
  select p.* from public.agent_pauses p
   where p.agent_id = p_agent_id and p.lifted_at is null
     and p.paused_at <= p_at and (p.paused_until is null or p.paused_until > p_at)
   limit 1;
$$;

-- Pauses an agent (or extends its open pause) and audits it. Returns the pause.
-- Security definer, like the other writers of pauses: callers may read pauses and
-- the audit, and change them only through these functions.
create or replace function public.tokensync_pause_agent_internal(
  p_agent_id text, p_until timestamptz, p_reason text, p_actor text, p_at timestamptz
)
returns public.agent_pauses
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_pause public.agent_pauses;
begin
  -- A pause that ran out is lifted first, so that at most one is open.
  update public.agent_pauses set lifted_at = p_at, lifted_by = 'tokensync:period ended'
   where agent_id = p_agent_id and lifted_at is null and paused_until <= p_at;
  insert into public.agent_pauses (agent_id, paused_at, paused_until, reason, paused_by)
  values (p_agent_id, p_at, p_until, p_reason, p_actor)
  on conflict (agent_id) where lifted_at is null do update
    set paused_until = case when public.agent_pauses.paused_until is null or excluded.paused_until is null then null
                            else greatest(public.agent_pauses.paused_until, excluded.paused_until) end,
        reason = excluded.reason
  returning * into v_pause;
  insert into public.budget_audit (actor, action, entity_type, entity_id, details)
  values (p_actor, 'pause_agent', 'agent', p_agent_id,
          jsonb_build_object('paused_until', p_until, 'reason', p_reason, 'pause_id', v_pause.id));
  return v_pause;
end;
$$;

-- ---------------------------------------------------------------------------
-- The decision. p_hold: reserve (lock, decide, hold); otherwise a read-only question.
-- p_request keys: organization_id, tier, user_id, session_id, service_type,
-- agent_id, feature (text); estimated_cost (USD, >= 0), estimated_tokens (>= 0),
-- estimated (the cost is a stand-in), ttl_ms (hold lifetime, default 60000).
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_budget_decide(
  p_request  jsonb,
  p_hold     boolean,
  p_at       timestamptz,
  p_timezone text
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_org       text := p_request ->> 'organization_id';
  v_tier      text := p_request ->> 'tier';
  v_user      text := p_request ->> 'user_id';
  v_session   text := p_request ->> 'session_id';
  v_service   text := p_request ->> 'service_type';
  v_agent     text := p_request ->> 'agent_id';
  v_feature   text := p_request ->> 'feature';
  v_estimate  numeric;
  v_tokens    bigint;
  v_ttl_ms    bigint;
  v_limit     public.budget_limits;
  v_limits    public.budget_limits[];
  v_usage     record;
  v_standing  record;
  v_allowance numeric;
  v_message   text;
  v_blocks    text[] := '{}';
  v_warnings  text[] := '{}';
  v_remaining numeric;
  v_remaining_tokens bigint;
  v_checks    jsonb := '[]'::jsonb;
  v_pause     public.agent_pauses;
  v_gate      public.feature_gates;
  v_have      public.subscription_tiers;
  v_need      public.subscription_tiers;
  v_upgrade   text;
  v_quota     record;
  v_used      bigint;
  v_day       record;
  v_month     record;
  v_warn_pct  numeric;
  v_pair      record;
  v_hold      tokensync.budget_holds;
begin
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  begin
    v_estimate := coalesce((p_request ->> 'estimated_cost')::numeric, 0);
    v_tokens := coalesce((p_request ->> 'estimated_tokens')::numeric, 0)::bigint;
    v_ttl_ms := coalesce((p_request ->> 'ttl_ms')::numeric, 60000)::bigint;
  exception when invalid_text_representation or numeric_value_out_of_range then
    raise exception using errcode = '22023',
      message = 'estimated_cost, estimated_tokens and ttl_ms must be numbers';
  end;
  if v_estimate < 0 or v_estimate = 'NaN' or v_estimate = 'Infinity' then
    raise exception using errcode = '22023',
      message = format('estimated_cost must be a finite amount >= 0, got %s', v_estimate);
  end if;
  if v_tokens < 0 then
    raise exception using errcode = '22023', message = format('estimated_tokens must be >= 0, got %s', v_tokens);
  end if;
  if v_ttl_ms < 1000 or v_ttl_ms > 86400000 then
    raise exception using errcode = '22023', message = format('ttl_ms must be between 1000 and 86400000, got %s', v_ttl_ms);
  end if;

  -- Organization and tier come from the caller or, failing that, the user's latest call.
  if (v_org is null or v_tier is null) and v_user is not null then
    select coalesce(v_org, l.organization_id), coalesce(v_tier, l.tier) into v_org, v_tier
      from public.token_usage_logs l where l.user_id = v_user order by l.created_at desc limit 1;
    v_org := coalesce(v_org, p_request ->> 'organization_id');
    v_tier := coalesce(v_tier, p_request ->> 'tier');
  end if;

  -- A paused agent is denied before anything is counted.
  if v_agent is not null then
    v_pause := public.tokensync_agent_pause(v_agent, p_at);
    if v_pause.id is not null then
      v_blocks := v_blocks || format('agent %L is paused%s: %s', v_agent,
        case when v_pause.paused_until is not null then ' until ' || to_char(v_pause.paused_until at time zone p_timezone, 'YYYY-MM-DD HH24:MI') || ' ' || p_timezone else ' until unpaused' end,
        v_pause.reason);
    end if;
  end if;

  -- A gated feature needs the caller's tier to rank at least as high as the gate's.
  select t.* into v_have from public.subscription_tiers t where t.tier = v_tier;
  if v_feature is not null then
    select g.* into v_gate from public.feature_gates g where g.feature = v_feature and g.is_active;
    if v_gate.feature is not null then
      select t.* into v_need from public.subscription_tiers t where t.tier = v_gate.required_tier;
      if v_have.tier is null or v_have.rank < v_need.rank then
        v_blocks := v_blocks || format('feature %L requires tier %L or higher (the caller is on %s)',
          v_feature, v_gate.required_tier, coalesce(quote_literal(v_tier), 'no known tier'));
        v_upgrade := v_gate.required_tier;
      end if;
    end if;
  end if;

  select coalesce(array_agg(b order by b.id), '{}') into v_limits
    from public.budget_limits b
   where b.is_active
     and (   (b.entity_type = 'organization' and b.entity_id = v_org)
          or (b.entity_type = 'service'      and b.entity_id = v_service)
          or (b.entity_type = 'tier'         and b.entity_id = v_tier)
          or (b.entity_type = 'user'         and b.entity_id = v_user)
          or (b.entity_type = 'session'      and b.entity_id = v_session)
          or (b.entity_type = 'agent'        and b.entity_id = v_agent)
          or (b.entity_type = 'feature'      and b.entity_id = v_feature));

  -- Serialize reservations per blocking limit and per user quota; keys in order, so no
  -- deadlock. An alert-only limit denies nothing, so it holds nobody back.
  if p_hold and cardinality(v_blocks) = 0 then
    perform pg_advisory_xact_lock(k)
       from (select distinct hashtextextended(k, 7061) as k
               from unnest(array(select 'limit:' || l.id::text from unnest(v_limits) l where l.breach_action = 'block')
                           || case when v_user is not null and v_have.tier is not null then array['quota:' || v_user] else '{}'::text[] end) k
              order by 1) keys;
  end if;

  select b.period_start, b.period_end into v_day from public.tokensync_period_bounds('day', p_at, p_timezone) b;
  select b.period_start, b.period_end into v_month from public.tokensync_period_bounds('month', p_at, p_timezone) b;
  -- A decision counts its periods whole, to the next local midnight, not as of p_at:
  -- a concurrent call settled (or held) after this transaction began is dated after
  -- its now(), and must count all the same, or two reservations could both pass.

  foreach v_limit in array v_limits loop
    -- A limit read exactly with a daily and a monthly amount reads both at once.
    v_pair := null;
    if v_limit.daily_limit is not null and v_limit.monthly_limit is not null and not (p_hold and v_limit.breach_action = 'alert') then
      select * into v_pair
        from public.tokensync_entity_day_and_month(v_limit.entity_type, v_limit.entity_id,
               greatest(v_day.period_start, v_limit.daily_reset_at), v_day.period_end,
               greatest(v_month.period_start, v_limit.monthly_reset_at), v_month.period_end, p_at);
    end if;
    for v_usage in
      select q.period, q.period_start, q.period_end, q.limit_amount
        from (values
          ('daily', greatest(v_day.period_start, v_limit.daily_reset_at), v_day.period_end, v_limit.daily_limit),
          ('monthly', greatest(v_month.period_start, v_limit.monthly_reset_at), v_month.period_end, v_limit.monthly_limit),
          -- A session's spend and holds count from its start, whenever that was.
          ('session', '-infinity'::timestamptz, 'infinity'::timestamptz, v_limit.session_limit)) q(period, period_start, period_end, limit_amount)
       where q.limit_amount is not null and (q.period <> 'session' or v_session is not null)
    loop
      if p_hold and v_limit.breach_action = 'alert' then
        -- An alert-only limit refuses nothing, so a reservation does not pay to read it
        -- exactly: it warns from the spend the budgets job keeps for Budget Limits
        -- (refreshed on new spend and every BUDGET_INTERVAL_MS). The read-only check
        -- reads it exactly.
        select case v_usage.period when 'daily' then bs.daily_spend when 'monthly' then bs.monthly_spend end as spent,
               0::numeric as held
          into v_standing
          from tokensync.budget_spend bs where bs.budget_limit_id = v_limit.id;
        continue when v_standing.spent is null;
      elsif v_pair is not null and v_usage.period = 'daily' then
        select v_pair.day_spent as spent, v_pair.day_held as held into v_standing;
      elsif v_pair is not null and v_usage.period = 'monthly' then
        select v_pair.month_spent as spent, v_pair.month_held as held into v_standing;
      else
        select st.spent, st.held into v_standing
          from public.tokensync_entity_standing(v_limit.entity_type, v_limit.entity_id, v_usage.period_start, v_usage.period_end, p_at,
                                                case when v_usage.period = 'session' then v_session end) st;
      end if;
      v_allowance := case when v_limit.breach_action = 'block'
                          then v_usage.limit_amount * (1 + v_limit.grace_pct / 100) else v_usage.limit_amount end;
      -- What is left is counted to the limit; the grace is an overdraft, not budget.
      v_remaining := least(coalesce(v_remaining, v_usage.limit_amount - v_standing.spent - v_standing.held),
                           v_usage.limit_amount - v_standing.spent - v_standing.held);
      v_checks := v_checks || jsonb_build_object(
        'entity_type', v_limit.entity_type, 'entity_id', v_limit.entity_id, 'period', v_usage.period,
        'period_start', v_usage.period_start, 'spent', v_standing.spent, 'held', v_standing.held,
        'limit', v_usage.limit_amount, 'allowance', v_allowance, 'breach_action', v_limit.breach_action,
        'fail_mode', v_limit.fail_mode);
      if v_standing.spent + v_standing.held + v_estimate > v_allowance then
        v_message := format('%s %L %s limit %s would be exceeded%s (spent %s%s + estimated %s)',
          v_limit.entity_type, v_limit.entity_id, v_usage.period,
          public.tokensync_format_usd(v_usage.limit_amount),
          case when v_limit.breach_action = 'block' and v_limit.grace_pct > 0
               then format(' beyond its %s%% grace', trim_scale(v_limit.grace_pct)) else '' end,
          public.tokensync_format_usd(v_standing.spent),
          case when v_standing.held > 0 then ' + held ' || public.tokensync_format_usd(v_standing.held) else '' end,
          public.tokensync_format_usd(v_estimate));
        if v_limit.breach_action = 'block' then
          v_blocks := v_blocks || v_message;
          -- An agent already at its cap is paused until the period ends: it stops asking.
          if p_hold and v_limit.entity_type = 'agent' and v_pause.id is null and v_usage.period in ('daily', 'monthly')
             and v_standing.spent + v_standing.held >= v_usage.limit_amount then
            perform public.tokensync_pause_agent_internal(v_agent,
              case v_usage.period when 'daily' then v_day.period_end else v_month.period_end end,
              format('%s limit %s exceeded (spent %s)', v_usage.period,
                     public.tokensync_format_usd(v_usage.limit_amount), public.tokensync_format_usd(v_standing.spent)),
              'tokensync:budget', p_at);
          end if;
        else
          v_warnings := v_warnings || v_message;
        end if;
      end if;
    end loop;
  end loop;

  -- Token quotas: each user on a tier may use its quota per day and per month.
  if v_user is not null and v_have.tier is not null then
    for v_quota in
      select q.period, q.quota, q.period_start, q.period_end
        from (values ('daily', v_have.daily_token_quota, v_day.period_start, v_day.period_end),
                     ('monthly', v_have.monthly_token_quota, v_month.period_start, v_month.period_end)) q(period, quota, period_start, period_end)
       where q.quota is not null
    loop
      select st.tokens + st.held_tokens into v_used
        from public.tokensync_entity_standing('user', v_user, v_quota.period_start, v_quota.period_end, p_at) st;
      v_remaining_tokens := least(coalesce(v_remaining_tokens, v_quota.quota - v_used), v_quota.quota - v_used);
      v_checks := v_checks || jsonb_build_object(
        'entity_type', 'user', 'entity_id', v_user, 'period', v_quota.period, 'period_start', v_quota.period_start,
        'tokens_used', v_used, 'token_quota', v_quota.quota, 'tier', v_have.tier, 'breach_action', 'block');
      if v_used + v_tokens > v_quota.quota then
        v_blocks := v_blocks || format('user %L %s token quota of tier %L would be exceeded (%s used + %s needed > %s)',
          v_user, v_quota.period, v_have.tier, v_used, v_tokens, v_quota.quota);
        -- The lowest higher tier whose quota would take it, if any.
        select t.tier into v_upgrade
          from public.subscription_tiers t
         where t.rank > v_have.rank
           and coalesce(case v_quota.period when 'daily' then t.daily_token_quota else t.monthly_token_quota end, 9223372036854775807)
               >= v_used + v_tokens
         order by t.rank limit 1;
      elsif v_quota.quota > 0 then
        select max(w) into v_warn_pct from unnest(v_have.warning_pcts) w
         where (v_used + v_tokens) * 100 >= v_quota.quota * w;
        if v_warn_pct is not null then
          v_warnings := v_warnings || format('user %L would have used %s%% of the %s token quota of tier %L (%s of %s)',
            v_user, trim_scale(v_warn_pct), v_quota.period, v_have.tier, v_used + v_tokens, v_quota.quota);
        end if;
      end if;
    end loop;
  end if;

  if p_hold and cardinality(v_blocks) = 0 then
    insert into tokensync.budget_holds (created_at, expires_at, organization_id, tier, user_id, session_id,
                                        service_type, agent_id, feature, amount, tokens, estimated)
    values (p_at, p_at + make_interval(secs => v_ttl_ms / 1000.0), v_org, v_tier, v_user, v_session,
            v_service, v_agent, v_feature, v_estimate, v_tokens, coalesce((p_request ->> 'estimated')::boolean, false))
    returning * into v_hold;
  end if;

  return jsonb_build_object(
    'allowed', cardinality(v_blocks) = 0,
    'reason', case
      when cardinality(v_blocks) > 0 then 'blocked: ' || array_to_string(v_blocks || v_warnings, '; ')
      when cardinality(v_warnings) > 0 then 'warning (call allowed): ' || array_to_string(v_warnings, '; ')
      when v_remaining is null and v_remaining_tokens is null then 'no active budget limit applies'
      else 'within every limit that applies' end,
    'warnings', to_jsonb(v_warnings),
    'hold_id', v_hold.id,
    'expires_at', v_hold.expires_at,
    'remaining_budget', case when v_remaining is not null then greatest(v_remaining, 0) end,
    'remaining_tokens', case when v_remaining_tokens is not null then greatest(v_remaining_tokens, 0) end,
    'estimated_cost', v_estimate,
    'tokens_needed', v_tokens,
    'upgrade', case when v_upgrade is not null then jsonb_build_object('would_allow', true, 'tier', v_upgrade)
                    when cardinality(v_blocks) > 0 then jsonb_build_object('would_allow', false, 'tier', null) end,
    'organization_id', v_org,
    'tier', v_tier,
    'checks', v_checks);
end;
$$;

-- Reserve: decide, and when allowed hold the estimate until settle, release or expiry.
create or replace function public.tokensync_reserve(
  p_request  jsonb,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
  -- A hold is committed without waiting for the WAL flush (a third of a reservation's
  -- time): others see it at once, as with any commit; only a crash of the database
  -- itself could forget the holds of its last fraction of a second, and their calls
  -- are still logged, durably, when they settle. A settle commits synchronously.
  perform set_config('synchronous_commit', 'off', true);
  return public.tokensync_budget_decide(p_request, true, coalesce(p_at, now()), p_timezone);
end;
$$;

-- Pauses the agent of a blocking agent limit whose spend this day or month is past
-- the limit and its grace, until that period ends. True when it paused.
create or replace function public.tokensync_pause_agent_over_grace(
  p_limit    public.budget_limits,
  p_at       timestamptz,
  p_timezone text
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_period record;
  v_spent  numeric;
begin
  for v_period in
    select q.period, greatest(b.period_start, q.reset_at) as period_start, b.period_end, q.limit_amount
      from (values ('daily', 'day', p_limit.daily_limit, p_limit.daily_reset_at),
                   ('monthly', 'month', p_limit.monthly_limit, p_limit.monthly_reset_at)) q(period, unit, limit_amount, reset_at)
      cross join lateral public.tokensync_period_bounds(q.unit, p_at, p_timezone) b
     where q.limit_amount is not null
  loop
    select st.spent into v_spent
      from public.tokensync_entity_standing('agent', p_limit.entity_id, v_period.period_start, v_period.period_end, p_at) st;
    if v_spent > v_period.limit_amount * (1 + p_limit.grace_pct / 100) then
      perform public.tokensync_pause_agent_internal(p_limit.entity_id, v_period.period_end,
        format('%s limit %s and its grace exceeded (spent %s)', v_period.period,
               public.tokensync_format_usd(v_period.limit_amount), public.tokensync_format_usd(v_spent)),
        'tokensync:budget', p_at);
      return true;
    end if;
  end loop;
  return false;
end;
$$;

-- Settle: the call happened; log it (p_row, keyed like the table) and drop its hold, in one
-- transaction. The hold's entities fill what the row leaves out. A hold that expired or was
-- released still has its call logged: the money was spent. An agent that ends up past its
-- blocking limit and grace is paused.
create or replace function public.tokensync_settle(
  p_hold_id  uuid,
  p_row      jsonb,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_hold    tokensync.budget_holds;
  v_row     jsonb := p_row;
  v_written jsonb;
  v_limit   public.budget_limits;
  v_agent   text;
  v_at      timestamptz := now();
begin
  if p_row is null or jsonb_typeof(p_row) <> 'object' then
    raise exception using errcode = '22023', message = 'p_row must be a JSON object keyed like token_usage_logs';
  end if;
  delete from tokensync.budget_holds h where h.id = p_hold_id returning * into v_hold;
  if v_hold.id is not null then
    v_row := jsonb_strip_nulls(jsonb_build_object(
      'organization_id', v_hold.organization_id, 'tier', v_hold.tier, 'user_id', v_hold.user_id,
      'session_id', v_hold.session_id, 'service_type', v_hold.service_type, 'agent_id', v_hold.agent_id,
      'feature', v_hold.feature)) || jsonb_strip_nulls(p_row);
  end if;
  v_written := public.tokensync_record_usage(jsonb_build_array(v_row));

  v_agent := v_row ->> 'agent_id';
  -- A call that cost no more than its hold was admitted with room for it: no limit it
  -- counts against can have passed its grace by it. Only a dearer (or unheld) call is
  -- checked here; calls recorded without a hold are the budgets job's (housekeeping).
  if v_agent is not null
     and (v_hold.id is null or coalesce((v_row ->> 'total_cost')::numeric, 0) > v_hold.amount)
     and public.tokensync_agent_pause(v_agent, v_at) is null then
    for v_limit in select b.* from public.budget_limits b
                    where b.is_active and b.breach_action = 'block' and b.entity_type = 'agent' and b.entity_id = v_agent loop
      exit when public.tokensync_pause_agent_over_grace(v_limit, v_at, p_timezone);
    end loop;
  end if;

  return jsonb_build_object(
    'recorded', (v_written ->> 'inserted')::integer = 1,
    'duplicate', (v_written ->> 'duplicates')::integer = 1,
    'hold', case when v_hold.id is null then 'not found (expired or released)' else 'settled' end,
    'held', v_hold.amount);
end;
$$;

create or replace function public.tokensync_release(p_hold_id uuid)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  with gone as (delete from tokensync.budget_holds h where h.id = p_hold_id returning 1)
  select jsonb_build_object('released', exists (select 1 from gone));
$$;

-- Drops expired holds, lifts pauses whose period ended, and pauses agents past a
-- blocking limit and its grace that reservations did not catch (calls recorded
-- without one). All audited. The budgets job runs it.
create or replace function public.tokensync_budget_housekeeping(
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_at      timestamptz := coalesce(p_at, now());
  v_expired integer;
  v_lifted  integer;
  v_paused  integer := 0;
  v_limit   public.budget_limits;
begin
  delete from tokensync.budget_holds where expires_at <= v_at;
  get diagnostics v_expired = row_count;
  -- The last hours' spend deltas, merged: what reservations read stays a few rows per entity.
  perform public.tokensync_compact_spend(v_at - interval '1 hour');
  with lifted as (
    update public.agent_pauses set lifted_at = v_at, lifted_by = 'tokensync:period ended'
     where lifted_at is null and paused_until <= v_at
    returning agent_id, id, paused_until
  ),
  audited as (
    insert into public.budget_audit (actor, action, entity_type, entity_id, details)
    select 'tokensync:period ended', 'pause_expired', 'agent', agent_id,
           jsonb_build_object('pause_id', id, 'paused_until', paused_until) from lifted
    returning 1
  )
  select count(*) into v_lifted from audited;

  for v_limit in select b.* from public.budget_limits b
                  where b.is_active and b.breach_action = 'block' and b.entity_type = 'agent'
                    and public.tokensync_agent_pause(b.entity_id, v_at) is null loop
    if public.tokensync_pause_agent_over_grace(v_limit, v_at, p_timezone) then v_paused := v_paused + 1; end if;
  end loop;
  return jsonb_build_object('expired_holds', v_expired, 'lifted_pauses', v_lifted, 'paused_agents', v_paused);
end;
$$;

-- check_user_budget stays the read-only question, now with agent and feature; it holds nothing.
drop function public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text);
create or replace function public.check_user_budget(
  p_user_id         text,
  p_session_id      text,
  p_service_type    text,
  p_estimated_cost  numeric default 0,
  p_organization_id text default null,
  p_tier            text default null,
  p_at              timestamptz default now(),
  p_timezone        text default 'UTC',
  p_agent_id        text default null,
  p_feature         text default null,
  p_estimated_tokens bigint default 0
)
returns public.budget_check_result
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_decision jsonb;
  v_result   public.budget_check_result;
begin
  if p_estimated_cost < 0 or p_estimated_cost = 'NaN' or p_estimated_cost = 'Infinity' then
    raise exception using errcode = '22023',
      message = format('p_estimated_cost must be a finite amount >= 0, got %s', p_estimated_cost);
  end if;
  v_decision := public.tokensync_budget_decide(jsonb_build_object(
    'user_id', p_user_id, 'session_id', p_session_id, 'service_type', p_service_type,
    'organization_id', p_organization_id, 'tier', p_tier, 'agent_id', p_agent_id, 'feature', p_feature,
    'estimated_cost', coalesce(p_estimated_cost, 0), 'estimated_tokens', coalesce(p_estimated_tokens, 0)), false, p_at, p_timezone);
  v_result.allowed := (v_decision ->> 'allowed')::boolean;
  v_result.reason := v_decision ->> 'reason';
  v_result.remaining_budget := (v_decision ->> 'remaining_budget')::numeric;
  return v_result;
end;
$$;
comment on function public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text, text, text, bigint) is
  'Would a call costing p_estimated_cost stay within every active limit and quota that applies? Read-only: tokensync_reserve holds.';

-- ---------------------------------------------------------------------------
-- Admin actions (service role only). p_actor names who acted, for the audit.
-- ---------------------------------------------------------------------------
-- Updates first and inserts only what does not exist: check constraints judge a
-- row proposed for insert before ON CONFLICT is seen, so changing only the grace
-- of a limit as an upsert would propose a row without amounts and be refused.
create or replace function public.tokensync_admin_set_limit(
  p_entity_type   text,
  p_entity_id     text,
  p_daily_limit   numeric default null,
  p_monthly_limit numeric default null,
  p_session_limit numeric default null,
  p_breach_action text default null,
  p_grace_pct     numeric default null,
  p_fail_mode     text default null,
  p_is_active     boolean default null,
  p_actor         text default null
)
returns public.budget_limits
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_limit public.budget_limits;
begin
  perform set_config('tokensync.actor', coalesce(p_actor, public.tokensync_actor()), true);
  for attempt in 1..2 loop
    update public.budget_limits b
       set daily_limit = coalesce(p_daily_limit, b.daily_limit),
           monthly_limit = coalesce(p_monthly_limit, b.monthly_limit),
           session_limit = coalesce(p_session_limit, b.session_limit),
           breach_action = coalesce(p_breach_action, b.breach_action),
           grace_pct = coalesce(p_grace_pct, b.grace_pct),
           fail_mode = coalesce(p_fail_mode, b.fail_mode),
           is_active = coalesce(p_is_active, b.is_active)
     where b.entity_type = p_entity_type and b.entity_id = p_entity_id
    returning * into v_limit;
    if found then return v_limit; end if;
    begin
      insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, session_limit,
                                        breach_action, grace_pct, fail_mode, is_active)
      values (p_entity_type, p_entity_id, p_daily_limit, p_monthly_limit, p_session_limit,
              coalesce(p_breach_action, 'alert'), coalesce(p_grace_pct, 10), coalesce(p_fail_mode, 'open'), coalesce(p_is_active, true))
      returning * into v_limit;
      return v_limit;
    exception when unique_violation then
      null; -- created meanwhile by someone else: update it on the second pass
    end;
  end loop;
  return v_limit;
end;
$$;

-- Spend before now stops counting toward the period ('daily', 'monthly' or 'both').
create or replace function public.tokensync_admin_reset_spend(
  p_entity_type text,
  p_entity_id   text,
  p_period      text default 'both',
  p_actor       text default null,
  p_at          timestamptz default null
)
returns public.budget_limits
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_limit public.budget_limits;
  v_at    timestamptz := coalesce(p_at, now());
begin
  if p_period not in ('daily', 'monthly', 'both') then
    raise exception using errcode = '22023', message = format('period must be daily, monthly or both, got %L', p_period);
  end if;
  perform set_config('tokensync.actor', coalesce(p_actor, public.tokensync_actor()), true);
  update public.budget_limits b
     set daily_reset_at = case when p_period in ('daily', 'both') then v_at else b.daily_reset_at end,
         monthly_reset_at = case when p_period in ('monthly', 'both') then v_at else b.monthly_reset_at end
   where b.entity_type = p_entity_type and b.entity_id = p_entity_id
  returning * into v_limit;
  if v_limit.id is null then
    raise exception using errcode = 'P0002', message = format('no budget limit for %s %L', p_entity_type, p_entity_id);
  end if;
  return v_limit;
end;
$$;

create or replace function public.tokensync_admin_pause_agent(
  p_agent_id text,
  p_until    timestamptz default null,
  p_reason   text default 'paused by an administrator',
  p_actor    text default null
)
returns public.agent_pauses
language sql
volatile
set search_path = ''
as $$
  select public.tokensync_pause_agent_internal(p_agent_id, p_until, coalesce(p_reason, 'paused by an administrator'),
                                               coalesce(p_actor, public.tokensync_actor()), now());
$$;

create or replace function public.tokensync_admin_unpause_agent(
  p_agent_id text,
  p_actor    text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_actor text := coalesce(p_actor, public.tokensync_actor());
  v_ids   uuid[];
begin
  with lifted as (
    update public.agent_pauses set lifted_at = now(), lifted_by = v_actor
     where agent_id = p_agent_id and lifted_at is null
    returning id
  )
  select coalesce(array_agg(id), '{}') into v_ids from lifted;
  insert into public.budget_audit (actor, action, entity_type, entity_id, details)
  values (v_actor, 'unpause_agent', 'agent', p_agent_id, jsonb_build_object('lifted', cardinality(v_ids), 'pause_ids', to_jsonb(v_ids)));
  return jsonb_build_object('unpaused', cardinality(v_ids) > 0);
end;
$$;

-- Which active limits fail closed: the SDK keeps this list to decide when it cannot ask.
create or replace function public.tokensync_fail_closed_limits()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('entity_type', b.entity_type, 'entity_id', b.entity_id) order by b.entity_type, b.entity_id), '[]'::jsonb)
    from public.budget_limits b where b.is_active and b.fail_mode = 'closed' and b.breach_action = 'block';
$$;

-- ---------------------------------------------------------------------------
-- Rights: tables readable by the service role; functions callable by it only.
-- ---------------------------------------------------------------------------
alter table public.subscription_tiers enable row level security;
alter table public.feature_gates enable row level security;
alter table public.agent_pauses enable row level security;
alter table public.budget_audit enable row level security;
revoke all on table public.subscription_tiers, public.feature_gates, public.agent_pauses, public.budget_audit
  from public, anon, authenticated;
grant select, insert, update, delete on table public.subscription_tiers, public.feature_gates to service_role;
grant select on table public.agent_pauses, public.budget_audit to service_role;

revoke all on function
  public.tokensync_raw_usage(text, text, timestamptz, timestamptz, text),
  public.tokensync_entity_standing(text, text, timestamptz, timestamptz, timestamptz, text),
  public.tokensync_entity_day_and_month(text, text, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz),
  public.tokensync_period_bounds(text, timestamptz, text),
  public.tokensync_agent_pause(text, timestamptz),
  public.tokensync_pause_agent_internal(text, timestamptz, text, text, timestamptz),
  public.tokensync_pause_agent_over_grace(public.budget_limits, timestamptz, text),
  public.tokensync_budget_decide(jsonb, boolean, timestamptz, text),
  public.tokensync_reserve(jsonb, timestamptz, text),
  public.tokensync_settle(uuid, jsonb, text),
  public.tokensync_release(uuid),
  public.tokensync_budget_housekeeping(timestamptz, text),
  public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text, text, text, bigint),
  public.tokensync_admin_set_limit(text, text, numeric, numeric, numeric, text, numeric, text, boolean, text),
  public.tokensync_admin_reset_spend(text, text, text, text, timestamptz),
  public.tokensync_admin_pause_agent(text, timestamptz, text, text),
  public.tokensync_admin_unpause_agent(text, text),
  public.tokensync_fail_closed_limits(),
  public.tokensync_actor(),
  public.tokensync_audit_limit()
from public, anon, authenticated;

grant execute on function
  public.tokensync_raw_usage(text, text, timestamptz, timestamptz, text),
  public.tokensync_entity_standing(text, text, timestamptz, timestamptz, timestamptz, text),
  public.tokensync_entity_day_and_month(text, text, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz),
  public.tokensync_period_bounds(text, timestamptz, text),
  public.tokensync_agent_pause(text, timestamptz),
  public.tokensync_pause_agent_internal(text, timestamptz, text, text, timestamptz),
  public.tokensync_pause_agent_over_grace(public.budget_limits, timestamptz, text),
  public.tokensync_budget_decide(jsonb, boolean, timestamptz, text),
  public.tokensync_reserve(jsonb, timestamptz, text),
  public.tokensync_settle(uuid, jsonb, text),
  public.tokensync_release(uuid),
  public.tokensync_budget_housekeeping(timestamptz, text),
  public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text, text, text, bigint),
  public.tokensync_admin_set_limit(text, text, numeric, numeric, numeric, text, numeric, text, boolean, text),
  public.tokensync_admin_reset_spend(text, text, text, text, timestamptz),
  public.tokensync_admin_pause_agent(text, timestamptz, text, text),
  public.tokensync_admin_unpause_agent(text, text),
  public.tokensync_fail_closed_limits(),
  public.tokensync_actor()
to service_role;

-- verify checks RLS on every public table the migrations create: report them all, not a fixed list.
create or replace function public.tokensync_schema_status()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_migrations jsonb := '[]'::jsonb;
begin
  -- The history table belongs to whichever tool applied the migrations (Supabase CLI or db:migrate).
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select coalesce(jsonb_agg(version order by version), ''[]''::jsonb) from supabase_migrations.schema_migrations'
      into v_migrations;
  end if;
  return jsonb_build_object(
    'migrations', v_migrations,
    'functions', coalesce((
      select jsonb_agg(distinct p.proname order by p.proname)
        from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and (p.proname like 'tokensync\_%' or p.proname = 'check_user_budget')), '[]'::jsonb),
    'tables', coalesce((
      select jsonb_object_agg(c.relname, jsonb_build_object(
               'rls', c.relrowsecurity,
               'anon_can_select', pg_catalog.has_table_privilege('anon', c.oid, 'select')))
        from pg_catalog.pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')), '{}'::jsonb));
end;
$$;
