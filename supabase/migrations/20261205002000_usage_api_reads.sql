-- tokensync: the usage API's reads (issue #19), callable from Supabase.
--
-- Every figure the usage API answers is one of these functions, so the API, a
-- Supabase app calling supabase.rpc() under its user's JWT, Notion and the
-- report read the same SQL. They read what stays flat in history: the day
-- rollup (daily_cost_breakdown: local date x service x provider x model), the
-- hourly spend buckets (tokensync.spend_hourly, users with tokens, and from
-- this migration operations), the budget functions; one user's or one
-- session's calls only through their (user_id, created_at) and
-- (session_id, created_at) indexes.
--
-- Days and months mean what 20261205001700 says: a call's day is its
-- organization's local date (the rollups' metric_date); a user's periods are in
-- the user's zone (tokensync_entity_zone); p_timezone is the default zone
-- (REPORT_TIMEZONE) and the installation's "today" is the date of p_at in it.
--
-- Who may read what (tokensync_usage_caller): the caller is read from the
-- request's JWT claims, as Supabase's auth.uid() reads them
-- (request.jwt.claims ->> 'sub', ->> 'role'), and from the database role
-- PostgREST sets. A caller with role authenticated reads only its own user's
-- figures: naming another user is refused (42501), a session's figures are its
-- own calls in that session, and installation-wide functions are refused
-- (42501). service_role (or a direct connection with no claims, as the worker
-- and the API use) may ask for any user and for installation-wide figures.
-- anon may execute none of them.
--
-- "Operation" is a call's feature, falling back to its service_type when the
-- call names no feature.

-- ---------------------------------------------------------------------------
-- Operation buckets: the installation's cost by operation from hourly buckets,
-- as budgets read spend, never from a scan of the logs. The spend trigger adds
-- one entity, ('operation', coalesce(feature, service_type)); it is otherwise
-- its latest definition (20261205000500).
-- ---------------------------------------------------------------------------
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
                                 ('agent', d.agent_id), ('user', d.user_id),
                                 ('operation', coalesce(d.feature, d.service_type))) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3
    having sum(d.sign * coalesce(d.total_cost, 0)) <> 0 or sum(d.sign) <> 0
  $q$, p_delta_sql);
$$;

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
                                 ('agent', d.agent_id), ('user', d.user_id),
                                 ('operation', coalesce(d.feature, d.service_type))) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3;
  elsif tg_op = 'DELETE' then
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           -sum(coalesce(d.total_cost, 0)), -count(*), -sum(coalesce(d.total_tokens, 0))
      from old_rows d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id),
                                 ('operation', coalesce(d.feature, d.service_type))) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3;
  else
    insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
    select e.entity_type, e.entity_id, date_trunc('hour', d.created_at, 'UTC'),
           sum(d.sign * coalesce(d.total_cost, 0)), sum(d.sign), sum(d.sign * coalesce(d.total_tokens, 0))
      from (select n.created_at, n.total_cost, n.total_tokens, 1 as sign, n.organization_id, n.service_type, n.tier, n.agent_id, n.user_id, n.feature
              from new_rows n
            union all
            select o.created_at, o.total_cost, o.total_tokens, -1, o.organization_id, o.service_type, o.tier, o.agent_id, o.user_id, o.feature
              from old_rows o) d
      cross join lateral (values ('organization', d.organization_id), ('service', d.service_type), ('tier', d.tier),
                                 ('agent', d.agent_id), ('user', d.user_id),
                                 ('operation', coalesce(d.feature, d.service_type))) e(entity_type, entity_id)
     where e.entity_id is not null
     group by 1, 2, 3
    having sum(d.sign * coalesce(d.total_cost, 0)) <> 0 or sum(d.sign) <> 0 or sum(d.sign * coalesce(d.total_tokens, 0)) <> 0;
  end if;
  return null;
end;
$$;

comment on table tokensync.spend_hourly is
  'Deltas of token_usage_logs cost, calls and tokens per entity (organization, service, tier, agent, user, operation = coalesce(feature, service_type)) and UTC hour; appended by triggers, merged by tokensync_compact_spend().';

-- The operations' buckets for the rows that exist already; writers wait for this migration.
lock table public.token_usage_logs in share row exclusive mode;
insert into tokensync.spend_hourly (entity_type, entity_id, hour, spent, calls, tokens)
select 'operation', coalesce(l.feature, l.service_type), date_trunc('hour', l.created_at, 'UTC'),
       sum(coalesce(l.total_cost, 0)), count(*), sum(coalesce(l.total_tokens, 0))
  from public.token_usage_logs l
 where coalesce(l.feature, l.service_type) is not null
 group by 2, 3;

-- ---------------------------------------------------------------------------
-- The caller, and what it may read.
-- ---------------------------------------------------------------------------

-- Who is asking: (false, sub) for a user (role authenticated, by the database
-- role or the claims), (true, null) for the service. What Supabase's auth.uid()
-- reads, without needing the auth schema (plain Postgres has none).
create or replace function public.tokensync_usage_caller(out is_service boolean, out user_id text)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_role   text := nullif(current_setting('role', true), 'none');
  v_claims jsonb;
begin
  begin
    v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  exception when invalid_text_representation then
    raise exception using errcode = '42501', message = 'request.jwt.claims is not JSON: no caller';
  end;
  if v_role = 'anon' or v_claims ->> 'role' = 'anon' then
    raise exception using errcode = '42501', message = 'usage figures need a signed-in user or the service role';
  end if;
  if v_role = 'authenticated' or v_claims ->> 'role' = 'authenticated' then
    if coalesce(v_claims ->> 'sub', '') = '' then
      raise exception using errcode = '42501', message = 'the JWT has no sub: no user to read for';
    end if;
    is_service := false;
    user_id := v_claims ->> 'sub';
    return;
  end if;
  is_service := true;
  user_id := null;
end;
$$;

-- The user whose figures are read: a user reads its own (naming another is
-- refused, naming none is itself); the service names the user (or, with
-- p_required false, none: then the function reads installation-wide).
create or replace function public.tokensync_usage_user_scope(p_user_id text, p_required boolean default true)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_caller record;
begin
  select * into v_caller from public.tokensync_usage_caller();
  if not v_caller.is_service then
    if p_user_id is not null and p_user_id <> v_caller.user_id then
      raise exception using errcode = '42501', message = 'other_user: a user reads only its own figures';
    end if;
    return v_caller.user_id;
  end if;
  if p_user_id is null and p_required then
    raise exception using errcode = '22023', message = 'p_user_id is required for the service role';
  end if;
  return p_user_id;
end;
$$;

create or replace function public.tokensync_usage_require_service()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not (select c.is_service from public.tokensync_usage_caller() c) then
    raise exception using errcode = '42501', message = 'installation-wide figures are for the service role only';
  end if;
end;
$$;

-- Spend, calls and tokens per operation in [p_from, p_to): whole UTC hours from
-- the buckets, the partial hours at either end from the logs' created_at index.
create or replace function public.tokensync_usage_operation_spend(p_from timestamptz, p_to timestamptz)
returns table (operation text, spent numeric, calls bigint, tokens bigint)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_first timestamptz := date_trunc('hour', p_from, 'UTC');
  v_last  timestamptz := date_trunc('hour', p_to, 'UTC');
begin
  if v_first < p_from then v_first := v_first + interval '1 hour'; end if;
  if v_first >= v_last then
    return query
      select coalesce(l.feature, l.service_type), coalesce(sum(l.total_cost), 0), count(*), coalesce(sum(l.total_tokens), 0)::bigint
        from public.token_usage_logs l
       where l.created_at >= p_from and l.created_at < p_to and coalesce(l.feature, l.service_type) is not null
       group by 1;
    return;
  end if;
  return query
    select u.operation, sum(u.spent), sum(u.calls)::bigint, sum(u.tokens)::bigint
      from (select b.entity_id as operation, b.spent, b.calls::bigint as calls, b.tokens
              from tokensync.spend_hourly b
             where b.entity_type = 'operation' and b.hour >= v_first and b.hour < v_last
            union all
            select coalesce(l.feature, l.service_type), coalesce(l.total_cost, 0), 1, coalesce(l.total_tokens, 0)::bigint
              from public.token_usage_logs l
             where ((l.created_at >= p_from and l.created_at < v_first) or (l.created_at >= v_last and l.created_at < p_to))
               and coalesce(l.feature, l.service_type) is not null) u
     group by 1
    having sum(u.calls) <> 0 or sum(u.spent) <> 0;
end;
$$;

-- ---------------------------------------------------------------------------
-- A user's figures.
-- ---------------------------------------------------------------------------

-- Today and this month of one user, in the user's zone, as of p_at (included):
-- what the budget functions count (spend buckets), and what live holds keep back.
create or replace function public.tokensync_usage_user(
  p_user_id  text default null,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user  text := public.tokensync_usage_user_scope(p_user_id);
  v_zone  text;
  v_day   timestamptz;
  v_month timestamptz;
  v_today record;
  v_mtd   record;
begin
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  v_zone := public.tokensync_entity_zone('user', v_user, p_timezone);
  v_day := date_trunc('day', p_at, v_zone);
  v_month := date_trunc('month', p_at, v_zone);
  select * into v_today from public.tokensync_entity_standing('user', v_user, v_day, p_at + interval '1 microsecond', p_at);
  select * into v_mtd from public.tokensync_entity_standing('user', v_user, v_month, p_at + interval '1 microsecond', p_at);
  return jsonb_build_object(
    'user_id', v_user, 'timezone', v_zone, 'as_of', p_at,
    'today', jsonb_build_object('start', v_day, 'date', (p_at at time zone v_zone)::date,
                                'spent', v_today.spent, 'tokens', v_today.tokens, 'held', v_today.held),
    'month', jsonb_build_object('start', v_month, 'spent', v_mtd.spent, 'tokens', v_mtd.tokens, 'held', v_mtd.held));
end;
$$;

-- One conversation thread: its calls (a user's own only, for a user), by model,
-- through the (session_id, created_at) index.
create or replace function public.tokensync_usage_session(
  p_session_id text,
  p_user_id    text default null,
  p_at         timestamptz default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user   text := public.tokensync_usage_user_scope(p_user_id, false);
  v_result jsonb;
begin
  p_at := coalesce(p_at, now());
  if p_session_id is null then
    raise exception using errcode = '22023', message = 'p_session_id is required';
  end if;
  with calls as materialized (
    select l.provider, l.model, l.total_cost, l.total_tokens, l.created_at
      from public.token_usage_logs l
     where l.session_id = p_session_id and l.created_at <= p_at
       and (v_user is null or l.user_id = v_user)
  )
  select jsonb_build_object(
           'session_id', p_session_id, 'user_id', v_user, 'as_of', p_at,
           'calls', (select count(*) from calls),
           'spent', (select coalesce(sum(c.total_cost), 0) from calls c),
           'tokens', (select coalesce(sum(c.total_tokens), 0) from calls c),
           'first_at', (select min(c.created_at) from calls c),
           'last_at', (select max(c.created_at) from calls c),
           'models', coalesce((
             select jsonb_agg(jsonb_build_object('provider', m.provider, 'model', m.model, 'calls', m.calls,
                                                 'spent', m.spent, 'tokens', m.tokens) order by m.spent desc, m.provider, m.model)
               from (select c.provider, c.model, count(*) as calls, coalesce(sum(c.total_cost), 0) as spent,
                            coalesce(sum(c.total_tokens), 0) as tokens
                       from calls c group by 1, 2) m), '[]'::jsonb))
    into v_result;
  return v_result;
end;
$$;

-- The newest calls of a user (or a session), newest first: a keyset page after
-- (p_before_created_at, p_before_id), through the (user_id | session_id, created_at) index.
create or replace function public.tokensync_usage_recent(
  p_user_id            text default null,
  p_session_id         text default null,
  p_limit              integer default 50,
  p_before_created_at  timestamptz default null,
  p_before_id          uuid default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user   text := public.tokensync_usage_user_scope(p_user_id, false);
  v_limit  integer := coalesce(p_limit, 50);
  v_rows   jsonb;
  v_count  integer;
  v_last   jsonb;
begin
  if v_user is null and p_session_id is null then
    raise exception using errcode = '22023', message = 'name p_user_id or p_session_id';
  end if;
  if v_limit < 1 or v_limit > 500 then
    raise exception using errcode = '22023', message = format('p_limit must be between 1 and 500, got %s', v_limit);
  end if;
  if (p_before_created_at is null) <> (p_before_id is null) then
    raise exception using errcode = '22023', message = 'p_before_created_at and p_before_id go together';
  end if;
  select coalesce(jsonb_agg(to_jsonb(r) order by r.created_at desc, r.id desc), '[]'::jsonb), count(*)
    into v_rows, v_count
    from (select l.id, l.created_at, l.request_id, l.organization_id, l.user_id, l.session_id, l.service_type, l.feature,
                 l.agent_id, l.provider, l.model, l.prompt_tokens, l.completion_tokens, l.cached_tokens, l.total_tokens,
                 l.total_cost, l.cost_estimated, l.latency_ms, l.success, l.error_type
            from public.token_usage_logs l
           where (v_user is null or l.user_id = v_user)
             and (p_session_id is null or l.session_id = p_session_id)
             and (p_before_created_at is null or (l.created_at, l.id) < (p_before_created_at, p_before_id))
           order by l.created_at desc, l.id desc
           limit v_limit + 1) r;
  if v_count > v_limit then
    v_rows := v_rows - v_limit;
    v_last := v_rows -> (v_limit - 1);
    return jsonb_build_object('items', v_rows,
                              'next', jsonb_build_object('created_at', v_last -> 'created_at', 'id', v_last -> 'id'));
  end if;
  return jsonb_build_object('items', v_rows, 'next', null);
end;
$$;

-- The local dates a read covers: to defaults to today in p_zone at p_at, from
-- to the 1st of to's month; refused when reversed or over a year apart.
create or replace function public.tokensync_usage_dates(p_from date, p_to date, p_at timestamptz, p_zone text)
returns table (date_from date, date_to date)
language plpgsql
stable
set search_path = ''
as $$
begin
  date_to := coalesce(p_to, (p_at at time zone p_zone)::date);
  date_from := coalesce(p_from, date_trunc('month', date_to)::date);
  if date_from > date_to or date_to - date_from > 366 then
    raise exception using errcode = '22023', message = format('from %s to %s: from must not be after to, and at most 366 days apart', date_from, date_to);
  end if;
  return next;
end;
$$;

-- Spend by model over local dates [p_from, p_to]: a user's calls (the user's
-- dates, in the user's zone; the user index), or, for the service naming no
-- user, the installation's from the day rollup (each call on its organization's date).
create or replace function public.tokensync_usage_models(
  p_from     date default null,
  p_to       date default null,
  p_user_id  text default null,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user  text := public.tokensync_usage_user_scope(p_user_id, false);
  v_zone  text;
  v_items jsonb;
begin
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  v_zone := case when v_user is null then p_timezone else public.tokensync_entity_zone('user', v_user, p_timezone) end;
  select d.date_from, d.date_to into p_from, p_to from public.tokensync_usage_dates(p_from, p_to, p_at, v_zone) d;
  -- The installation's from the day rollup, or the user's own calls (user index).
  select coalesce(jsonb_agg(jsonb_build_object('provider', m.provider, 'model', m.model, 'requests', m.requests,
                                               'failed_requests', m.failed, 'unpriced_requests', m.unpriced,
                                               'tokens', m.tokens, 'spent', m.spent)
                            order by m.spent desc, m.provider, m.model), '[]'::jsonb)
    into v_items
    from (select d.provider, d.model, sum(d.requests) as requests, sum(d.failed_requests) as failed,
                 sum(d.unpriced_requests) as unpriced, sum(d.total_tokens) as tokens, sum(d.total_cost) as spent
            from public.daily_cost_breakdown d
           where v_user is null and d.metric_date between p_from and p_to
           group by 1, 2
          union all
          select l.provider, l.model, count(*), count(*) filter (where not l.success),
                 count(*) filter (where l.total_cost is null),
                 coalesce(sum(l.total_tokens), 0), coalesce(sum(l.total_cost), 0)
            from public.token_usage_logs l
           where v_user is not null and l.user_id = v_user
             and l.created_at >= (p_from::timestamp at time zone v_zone)
             and l.created_at < ((p_to + 1)::timestamp at time zone v_zone)
             and l.created_at <= p_at
           group by 1, 2) m;
  return jsonb_build_object('user_id', v_user, 'timezone', v_zone, 'from', p_from, 'to', p_to, 'as_of', p_at,
                            'source', case when v_user is null then 'daily_cost_breakdown' else 'user_calls' end,
                            'models', v_items);
end;
$$;

-- Spend by operation (feature, else service_type) over local dates [p_from, p_to]:
-- a user's calls (user index, the user's zone), or the installation's from the
-- operation buckets, those dates' instants in p_timezone.
create or replace function public.tokensync_usage_operations(
  p_from     date default null,
  p_to       date default null,
  p_user_id  text default null,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user  text := public.tokensync_usage_user_scope(p_user_id, false);
  v_zone  text;
  v_from  timestamptz;
  v_to    timestamptz;
  v_items jsonb;
begin
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  v_zone := case when v_user is null then p_timezone else public.tokensync_entity_zone('user', v_user, p_timezone) end;
  select d.date_from, d.date_to into p_from, p_to from public.tokensync_usage_dates(p_from, p_to, p_at, v_zone) d;
  v_from := p_from::timestamp at time zone v_zone;
  v_to := least((p_to + 1)::timestamp at time zone v_zone, p_at + interval '1 microsecond');
  -- The installation's from the operation buckets, or the user's own calls (user index).
  select coalesce(jsonb_agg(jsonb_build_object('operation', o.operation, 'requests', o.calls, 'tokens', o.tokens, 'spent', o.spent)
                            order by o.spent desc, o.operation), '[]'::jsonb)
    into v_items
    from (select b.operation, b.calls, b.tokens, b.spent
            from public.tokensync_usage_operation_spend(v_from, greatest(v_from, v_to)) b
           where v_user is null
          union all
          select coalesce(l.feature, l.service_type), count(*), coalesce(sum(l.total_tokens), 0), coalesce(sum(l.total_cost), 0)
            from public.token_usage_logs l
           where v_user is not null and l.user_id = v_user and l.created_at >= v_from and l.created_at < v_to
           group by 1) o;
  return jsonb_build_object('user_id', v_user, 'timezone', v_zone, 'from', p_from, 'to', p_to, 'as_of', p_at,
                            'operations', v_items);
end;
$$;

-- A user's quotas and limits now: the token quotas of the user's tier (its
-- latest call's, as budget decisions take it), counted as a decision counts them
-- (the whole local day and month, live holds included), the user's own budget
-- limits (tokensync_limit_usage), the warnings reached, and this month's calls by operation.
create or replace function public.tokensync_usage_quota(
  p_user_id  text default null,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user     text := public.tokensync_usage_user_scope(p_user_id);
  v_zone     text;
  v_tier     public.subscription_tiers;
  v_tier_id  text;
  v_quotas   jsonb := '[]'::jsonb;
  v_limits   jsonb := '[]'::jsonb;
  v_warnings text[] := '{}';
  v_q        record;
  v_used     record;
  v_pct      numeric;
  v_warn     numeric;
  v_limit    public.budget_limits;
  v_u        record;
  v_month    timestamptz;
  v_ops      jsonb;
begin
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  v_zone := public.tokensync_entity_zone('user', v_user, p_timezone);
  select l.tier into v_tier_id from public.token_usage_logs l where l.user_id = v_user order by l.created_at desc limit 1;
  select t.* into v_tier from public.subscription_tiers t where t.tier = v_tier_id;
  if v_tier.tier is not null then
    for v_q in
      select q.period, q.quota, b.period_start, b.period_end
        from (values ('daily', 'day', v_tier.daily_token_quota), ('monthly', 'month', v_tier.monthly_token_quota)) q(period, unit, quota)
        cross join lateral public.tokensync_period_bounds(q.unit, p_at, v_zone) b
       where q.quota is not null
    loop
      select st.tokens, st.held_tokens into v_used
        from public.tokensync_entity_standing('user', v_user, v_q.period_start, v_q.period_end, p_at) st;
      v_pct := case when v_q.quota > 0 then round((v_used.tokens + v_used.held_tokens) * 100.0 / v_q.quota, 2) end;
      select max(w) into v_warn from unnest(v_tier.warning_pcts) w
       where v_q.quota > 0 and (v_used.tokens + v_used.held_tokens) * 100 >= v_q.quota * w;
      if v_used.tokens + v_used.held_tokens >= v_q.quota then
        v_warnings := v_warnings || format('%s token quota of tier %L used up (%s of %s)', v_q.period, v_tier.tier,
                                           v_used.tokens + v_used.held_tokens, v_q.quota);
      elsif v_warn is not null then
        v_warnings := v_warnings || format('%s%% of the %s token quota of tier %L used (%s of %s)', trim_scale(v_warn),
                                           v_q.period, v_tier.tier, v_used.tokens + v_used.held_tokens, v_q.quota);
      end if;
      v_quotas := v_quotas || jsonb_build_object(
        'period', v_q.period, 'period_start', v_q.period_start, 'period_end', v_q.period_end,
        'token_quota', v_q.quota, 'tokens_used', v_used.tokens, 'tokens_held', v_used.held_tokens,
        'tokens_remaining', greatest(v_q.quota - v_used.tokens - v_used.held_tokens, 0),
        'utilisation_pct', v_pct, 'warning_pct', v_warn,
        'exceeded', v_used.tokens + v_used.held_tokens >= v_q.quota);
    end loop;
  end if;
  for v_limit in
    select b.* from public.budget_limits b where b.entity_type = 'user' and b.entity_id = v_user and b.is_active
  loop
    for v_u in select * from public.tokensync_limit_usage(v_limit, null, p_at, p_timezone) u where u.period <> 'session' loop
      v_pct := case when v_u.limit_amount > 0 then round(v_u.spent * 100 / v_u.limit_amount, 2) end;
      if v_pct >= 100 then
        v_warnings := v_warnings || format('%s limit %s reached (spent %s)', v_u.period,
                                           public.tokensync_format_usd(v_u.limit_amount), public.tokensync_format_usd(v_u.spent));
      elsif exists (select 1 from unnest(v_limit.alert_thresholds) t where t < 100 and v_pct >= t) then
        v_warnings := v_warnings || format('%s%% of the %s limit %s spent', v_pct, v_u.period, public.tokensync_format_usd(v_u.limit_amount));
      end if;
      v_limits := v_limits || jsonb_build_object(
        'period', v_u.period, 'period_start', v_u.period_start, 'limit', v_u.limit_amount, 'spent', v_u.spent,
        'remaining', greatest(v_u.limit_amount - v_u.spent, 0), 'utilisation_pct', v_pct,
        'breach_action', v_limit.breach_action);
    end loop;
  end loop;
  v_month := date_trunc('month', p_at, v_zone);
  select coalesce(jsonb_agg(jsonb_build_object('operation', o.operation, 'requests', o.calls, 'tokens', o.tokens, 'spent', o.spent)
                            order by o.tokens desc, o.operation), '[]'::jsonb)
    into v_ops
    from (select coalesce(l.feature, l.service_type) as operation, count(*) as calls,
                 coalesce(sum(l.total_tokens), 0) as tokens, coalesce(sum(l.total_cost), 0) as spent
            from public.token_usage_logs l
           where l.user_id = v_user and l.created_at >= v_month and l.created_at <= p_at
           group by 1) o;
  return jsonb_build_object('user_id', v_user, 'tier', v_tier.tier, 'timezone', v_zone, 'as_of', p_at,
                            'quotas', v_quotas, 'limits', v_limits, 'warnings', to_jsonb(v_warnings),
                            'month_start', v_month, 'operations', v_ops);
end;
$$;

-- "May I run this operation?": tokensync_budget_question (every limit and quota
-- that applies, read-only), for the caller's own user when a user asks.
create or replace function public.tokensync_usage_may_run(
  p_request  jsonb,
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
  v_user text := public.tokensync_usage_user_scope(coalesce(p_request, '{}'::jsonb) ->> 'user_id', false);
begin
  if jsonb_typeof(coalesce(p_request, '{}'::jsonb)) <> 'object' then
    raise exception using errcode = '22023', message = 'p_request must be a JSON object';
  end if;
  return public.tokensync_budget_question(
    coalesce(p_request, '{}'::jsonb) || case when v_user is null then '{}'::jsonb else jsonb_build_object('user_id', v_user) end,
    p_at, coalesce(p_timezone, 'UTC'));
end;
$$;

-- ---------------------------------------------------------------------------
-- Installation-wide figures: the service role only.
-- ---------------------------------------------------------------------------

-- The dashboard: today and month to date (the day rollup, each call on its
-- organization's date; today is p_at's date in p_timezone, as the report's),
-- the top models this month (the rollup) and the top agents this month (their
-- spend buckets, from the month's start in p_timezone to p_at).
create or replace function public.tokensync_usage_overview(
  p_at       timestamptz default null,
  p_timezone text default 'UTC',
  p_top      integer default 5
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_today      date;
  v_first      date;
  v_month      timestamptz;
  v_sums       record;
  v_models     jsonb;
  v_agents     jsonb;
  v_services   jsonb;
begin
  perform public.tokensync_usage_require_service();
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  p_top := least(greatest(coalesce(p_top, 5), 1), 100);
  v_today := (p_at at time zone p_timezone)::date;
  v_first := date_trunc('month', v_today)::date;
  v_month := date_trunc('month', p_at, p_timezone);
  select coalesce(sum(d.total_cost) filter (where d.metric_date = v_today), 0) as today_spent,
         coalesce(sum(d.requests) filter (where d.metric_date = v_today), 0) as today_requests,
         coalesce(sum(d.total_tokens) filter (where d.metric_date = v_today), 0) as today_tokens,
         coalesce(sum(d.total_cost), 0) as month_spent,
         coalesce(sum(d.requests), 0) as month_requests,
         coalesce(sum(d.total_tokens), 0) as month_tokens,
         coalesce(sum(d.failed_requests), 0) as month_failed
    into v_sums
    from public.daily_cost_breakdown d
   where d.metric_date between v_first and v_today;
  select coalesce(jsonb_agg(jsonb_build_object('provider', m.provider, 'model', m.model, 'requests', m.requests, 'spent', m.spent)
                            order by m.spent desc, m.provider, m.model), '[]'::jsonb)
    into v_models
    from (select d.provider, d.model, sum(d.requests) as requests, sum(d.total_cost) as spent
            from public.daily_cost_breakdown d
           where d.metric_date between v_first and v_today
           group by 1, 2 order by 4 desc, 1, 2 limit p_top) m;
  select coalesce(jsonb_agg(jsonb_build_object('service_type', m.service_type, 'requests', m.requests, 'spent', m.spent)
                            order by m.spent desc, m.service_type), '[]'::jsonb)
    into v_services
    from (select d.service_type, sum(d.requests) as requests, sum(d.total_cost) as spent
            from public.daily_cost_breakdown d
           where d.metric_date between v_first and v_today
           group by 1 order by 3 desc, 1 limit p_top) m;
  -- Ranked by their buckets, then each leader's spend exact to p_at (tokensync_entity_spend).
  select coalesce(jsonb_agg(jsonb_build_object('agent_id', a.entity_id, 'spent', a.spent) order by a.spent desc, a.entity_id), '[]'::jsonb)
    into v_agents
    from (select r.entity_id, public.tokensync_entity_spend('agent', r.entity_id, v_month, p_at) as spent
            from (select b.entity_id, sum(b.spent) as ranked
                    from tokensync.spend_hourly b
                   where b.entity_type = 'agent' and b.hour >= date_trunc('hour', v_month, 'UTC') and b.hour <= p_at
                   group by 1
                  having sum(b.spent) <> 0
                   order by 2 desc, 1 limit p_top) r) a;
  return jsonb_build_object(
    'as_of', p_at, 'timezone', p_timezone,
    'today', jsonb_build_object('date', v_today, 'spent', v_sums.today_spent, 'requests', v_sums.today_requests,
                                'tokens', v_sums.today_tokens),
    'month', jsonb_build_object('start_date', v_first, 'spent', v_sums.month_spent, 'requests', v_sums.month_requests,
                                'failed_requests', v_sums.month_failed, 'tokens', v_sums.month_tokens),
    'top_models', v_models, 'top_services', v_services, 'top_agents', v_agents);
end;
$$;

-- A filtered summary over local dates [p_from, p_to] from the day rollup:
-- totals and the split by service, for the calls of a service, provider and/or model.
create or replace function public.tokensync_usage_summary(
  p_from         date default null,
  p_to           date default null,
  p_service_type text default null,
  p_provider     text default null,
  p_model        text default null,
  p_at           timestamptz default null,
  p_timezone     text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_totals  record;
  v_by      jsonb;
begin
  perform public.tokensync_usage_require_service();
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  select d.date_from, d.date_to into p_from, p_to from public.tokensync_usage_dates(p_from, p_to, p_at, p_timezone) d;
  select coalesce(sum(d.requests), 0) as requests, coalesce(sum(d.failed_requests), 0) as failed,
         coalesce(sum(d.unpriced_requests), 0) as unpriced, coalesce(sum(d.prompt_tokens), 0) as prompt,
         coalesce(sum(d.completion_tokens), 0) as completion, coalesce(sum(d.total_tokens), 0) as tokens,
         coalesce(sum(d.total_cost), 0) as spent
    into v_totals
    from public.daily_cost_breakdown d
   where d.metric_date between p_from and p_to
     and (p_service_type is null or d.service_type = p_service_type)
     and (p_provider is null or d.provider = p_provider)
     and (p_model is null or d.model = p_model);
  select coalesce(jsonb_agg(jsonb_build_object('service_type', s.service_type, 'requests', s.requests, 'spent', s.spent)
                            order by s.spent desc, s.service_type), '[]'::jsonb)
    into v_by
    from (select d.service_type, sum(d.requests) as requests, sum(d.total_cost) as spent
            from public.daily_cost_breakdown d
           where d.metric_date between p_from and p_to
             and (p_service_type is null or d.service_type = p_service_type)
             and (p_provider is null or d.provider = p_provider)
             and (p_model is null or d.model = p_model)
           group by 1) s;
  return jsonb_build_object(
    'from', p_from, 'to', p_to, 'timezone', p_timezone,
    'filters', jsonb_build_object('service_type', p_service_type, 'provider', p_provider, 'model', p_model),
    'requests', v_totals.requests, 'failed_requests', v_totals.failed, 'unpriced_requests', v_totals.unpriced,
    'prompt_tokens', v_totals.prompt, 'completion_tokens', v_totals.completion, 'tokens', v_totals.tokens,
    'spent', v_totals.spent, 'services', v_by);
end;
$$;

-- Every agent with an active limit or an open pause: each limit's period in the
-- agent's zone (tokensync_limit_usage), spent, remaining, utilisation, and the pause.
create or replace function public.tokensync_usage_agent_budgets(
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  perform public.tokensync_usage_require_service();
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  select coalesce(jsonb_agg(jsonb_build_object(
           'agent_id', a.agent_id,
           'timezone', public.tokensync_entity_zone('agent', a.agent_id, p_timezone),
           'paused', p.id is not null,
           'paused_until', p.paused_until,
           'pause_reason', p.reason,
           'limits', coalesce((
             select jsonb_agg(jsonb_build_object(
                      'period', u.period, 'period_start', u.period_start, 'limit', u.limit_amount, 'spent', u.spent,
                      'remaining', greatest(u.limit_amount - u.spent, 0),
                      'utilisation_pct', case when u.limit_amount > 0 then round(u.spent * 100 / u.limit_amount, 2) end,
                      'breach_action', b.breach_action) order by u.period)
               from public.budget_limits b
               cross join lateral public.tokensync_limit_usage(b, null, p_at, p_timezone) u
              where b.entity_type = 'agent' and b.entity_id = a.agent_id and b.is_active and u.period <> 'session'), '[]'::jsonb))
         order by a.agent_id), '[]'::jsonb)
    into v_result
    from (select b.entity_id as agent_id from public.budget_limits b where b.entity_type = 'agent' and b.is_active
          union
          select ap.agent_id from public.agent_pauses ap
           where ap.lifted_at is null and ap.paused_at <= p_at and (ap.paused_until is null or ap.paused_until > p_at)) a
    left join lateral public.tokensync_agent_pause(a.agent_id, p_at) p on true;
  return jsonb_build_object('as_of', p_at, 'agents', v_result);
end;
$$;

-- Daily spend over the last p_days local dates (to p_at's date in p_timezone,
-- from the day rollup, days without calls as 0), and the month's projection as
-- the report makes it (spend so far x days in the month / days elapsed) with a
-- confidence: low before 7 whole days or when the whole days' spend varies by
-- more than half its mean (coefficient of variation), medium above a quarter, else high.
create or replace function public.tokensync_usage_trends(
  p_days     integer default 30,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_today    date;
  v_first    date;
  v_bounds   record;
  v_days     jsonb;
  v_spent    numeric;
  v_elapsed  numeric;
  v_length   numeric;
  v_whole    record;
  v_cv       numeric;
  v_conf     text;
begin
  perform public.tokensync_usage_require_service();
  p_at := coalesce(p_at, now());
  p_timezone := coalesce(p_timezone, 'UTC');
  p_days := coalesce(p_days, 30);
  if p_days < 1 or p_days > 366 then
    raise exception using errcode = '22023', message = format('p_days must be between 1 and 366, got %s', p_days);
  end if;
  v_today := (p_at at time zone p_timezone)::date;
  v_first := date_trunc('month', v_today)::date;
  select * into v_bounds from public.tokensync_period_bounds('month', p_at, p_timezone);
  v_length := extract(epoch from v_bounds.period_end - v_bounds.period_start) / 86400;
  v_elapsed := extract(epoch from p_at - v_bounds.period_start) / 86400;

  with per_day as (
    select d.metric_date, sum(d.total_cost) as spent, sum(d.requests) as requests, sum(d.total_tokens) as tokens
      from public.daily_cost_breakdown d
     where d.metric_date between least(v_today - (p_days - 1), v_first) and v_today
     group by 1
  )
  select coalesce((select jsonb_agg(jsonb_build_object('date', g.day::date, 'spent', coalesce(p.spent, 0),
                                                       'requests', coalesce(p.requests, 0), 'tokens', coalesce(p.tokens, 0))
                                    order by g.day)
                     from generate_series(v_today - (p_days - 1), v_today, interval '1 day') g(day)
                     left join per_day p on p.metric_date = g.day::date), '[]'::jsonb),
         (select coalesce(sum(p.spent), 0) from per_day p where p.metric_date between v_first and v_today)
    into v_days, v_spent;

  -- The month's whole days so far (today is not whole yet).
  select count(*) as n, avg(coalesce(p.spent, 0)) as mean, stddev_pop(coalesce(p.spent, 0)) as sd
    into v_whole
    from generate_series(v_first, v_today - 1, interval '1 day') g(day)
    left join (select d.metric_date, sum(d.total_cost) as spent from public.daily_cost_breakdown d
                where d.metric_date between v_first and v_today - 1 group by 1) p on p.metric_date = g.day::date;
  v_cv := case when v_whole.mean > 0 then round(v_whole.sd / v_whole.mean, 4) end;
  v_conf := case when v_whole.n < 7 or v_cv is null or v_cv > 0.5 then 'low'
                 when v_cv > 0.25 then 'medium'
                 else 'high' end;
  return jsonb_build_object(
    'as_of', p_at, 'timezone', p_timezone, 'days', v_days,
    'month', jsonb_build_object(
      'start', v_bounds.period_start, 'start_date', v_first, 'spent', v_spent,
      'days_elapsed', round(v_elapsed, 4), 'days_in_month', v_length,
      'projected', case when v_elapsed >= 1 then round(v_spent * v_length / v_elapsed, 6) end,
      'confidence', v_conf, 'whole_days', v_whole.n, 'variation', v_cv));
end;
$$;

-- ---------------------------------------------------------------------------
-- Grants: the reads for signed-in users and the service, never anon; the helpers for no one else.
-- ---------------------------------------------------------------------------
revoke all on function
  public.tokensync_usage_caller(),
  public.tokensync_usage_user_scope(text, boolean),
  public.tokensync_usage_require_service(),
  public.tokensync_usage_dates(date, date, timestamptz, text),
  public.tokensync_usage_operation_spend(timestamptz, timestamptz)
  from public, anon, authenticated;

revoke all on function
  public.tokensync_usage_user(text, timestamptz, text),
  public.tokensync_usage_session(text, text, timestamptz),
  public.tokensync_usage_recent(text, text, integer, timestamptz, uuid),
  public.tokensync_usage_models(date, date, text, timestamptz, text),
  public.tokensync_usage_operations(date, date, text, timestamptz, text),
  public.tokensync_usage_quota(text, timestamptz, text),
  public.tokensync_usage_may_run(jsonb, timestamptz, text),
  public.tokensync_usage_overview(timestamptz, text, integer),
  public.tokensync_usage_summary(date, date, text, text, text, timestamptz, text),
  public.tokensync_usage_agent_budgets(timestamptz, text),
  public.tokensync_usage_trends(integer, timestamptz, text)
  from public, anon;
grant execute on function
  public.tokensync_usage_user(text, timestamptz, text),
  public.tokensync_usage_session(text, text, timestamptz),
  public.tokensync_usage_recent(text, text, integer, timestamptz, uuid),
  public.tokensync_usage_models(date, date, text, timestamptz, text),
  public.tokensync_usage_operations(date, date, text, timestamptz, text),
  public.tokensync_usage_quota(text, timestamptz, text),
  public.tokensync_usage_may_run(jsonb, timestamptz, text),
  public.tokensync_usage_overview(timestamptz, text, integer),
  public.tokensync_usage_summary(date, date, text, text, text, timestamptz, text),
  public.tokensync_usage_agent_budgets(timestamptz, text),
  public.tokensync_usage_trends(integer, timestamptz, text)
  to authenticated, service_role;
