-- tokensync: budget checks (check_user_budget, for the application before a call)
-- and budget status (spend vs every active limit, for the worker's alerts).
--
-- Periods follow a time zone: a day starts at local midnight, a month on the 1st.
-- A session limit on an entity caps each of that entity's sessions; on a
-- 'session' entity it caps that one session.

create type public.budget_check_result as (
  allowed          boolean,
  reason           text,
  remaining_budget numeric
);

-- The log column that identifies each entity type. Dynamic SQL below uses it so
-- that every spend query is a plain "column = $1" that the (column, created_at)
-- indexes serve.
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
  end;
$$;

-- Spend of one entity in [p_from, p_to], optionally within one session.
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
  v_column text := public.tokensync_entity_column(p_entity_type);
  v_spent  numeric;
begin
  if v_column is null then
    raise exception using errcode = '22023',
      message = format('unknown entity_type %L; expected organization, service, tier, user, session or agent', p_entity_type);
  end if;
  execute format(
    'select coalesce(sum(l.total_cost), 0) from public.token_usage_logs l
      where l.%I = $1 and l.created_at >= $2 and l.created_at <= $3
        and ($4::text is null or l.session_id = $4)', v_column)
    into v_spent
    using p_entity_id, p_from, p_to, p_session_id;
  return v_spent;
end;
$$;

-- The recent sessions of an entity (active after p_since), each with its whole spend.
create or replace function public.tokensync_entity_sessions(
  p_entity_type text,
  p_entity_id   text,
  p_since       timestamptz,
  p_at          timestamptz
)
returns table (session_id text, started_at timestamptz, spent numeric)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_column text := public.tokensync_entity_column(p_entity_type);
begin
  return query execute format(
    'select l.session_id, min(l.created_at), coalesce(sum(l.total_cost), 0)
       from public.token_usage_logs l
      where l.%1$I = $1 and l.session_id is not null and l.created_at <= $3
        and l.session_id in (select r.session_id from public.token_usage_logs r
                              where r.%1$I = $1 and r.created_at > $2 and r.created_at <= $3)
      group by l.session_id', v_column)
    using p_entity_id, p_since, p_at;
end;
$$;

-- Daily, monthly and (given a session) session usage of one limit at p_at.
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
  v_day   timestamptz := date_trunc('day', p_at, p_timezone);
  v_month timestamptz := date_trunc('month', p_at, p_timezone);
begin
  if p_limit.daily_limit is not null then
    period := 'daily'; period_start := v_day; limit_amount := p_limit.daily_limit;
    spent := public.tokensync_entity_spend(p_limit.entity_type, p_limit.entity_id, v_day, p_at);
    return next;
  end if;
  if p_limit.monthly_limit is not null then
    period := 'monthly'; period_start := v_month; limit_amount := p_limit.monthly_limit;
    spent := public.tokensync_entity_spend(p_limit.entity_type, p_limit.entity_id, v_month, p_at);
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

-- Whole cents print as $12.50; smaller amounts keep their micro-dollars.
create or replace function public.tokensync_format_usd(p_amount numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  select '$' || case
    when p_amount = round(p_amount, 2) then to_char(p_amount, 'FM999999999990.00')
    else trim_scale(round(p_amount, 6))::text
  end;
$$;

create or replace function public.check_user_budget(
  p_user_id         text,
  p_session_id      text,
  p_service_type    text,
  p_estimated_cost  numeric default 0,
  p_organization_id text default null,
  p_tier            text default null,
  p_at              timestamptz default now(),
  p_timezone        text default 'UTC'
)
returns public.budget_check_result
language plpgsql
stable
set search_path = ''
as $$
declare
  v_estimate  numeric := coalesce(p_estimated_cost, 0);
  v_org       text := p_organization_id;
  v_tier      text := p_tier;
  v_limit     public.budget_limits;
  v_usage     record;
  v_message   text;
  v_blocks    text[] := '{}';
  v_warnings  text[] := '{}';
  v_remaining numeric;
  v_result    public.budget_check_result;
begin
  p_at := coalesce(p_at, now());
  if v_estimate < 0 or v_estimate = 'NaN' or v_estimate = 'Infinity' then
    raise exception using errcode = '22023',
      message = format('p_estimated_cost must be a finite amount >= 0, got %s', v_estimate);
  end if;

  -- Organization and tier come from the caller or, failing that, the user's latest call.
  if (v_org is null or v_tier is null) and p_user_id is not null then
    select coalesce(v_org, l.organization_id), coalesce(v_tier, l.tier)
      into v_org, v_tier
      from public.token_usage_logs l
     where l.user_id = p_user_id
     order by l.created_at desc
     limit 1;
    v_org := coalesce(v_org, p_organization_id);
    v_tier := coalesce(v_tier, p_tier);
  end if;

  for v_limit in
    select b.* from public.budget_limits b
     where b.is_active
       and (   (b.entity_type = 'organization' and b.entity_id = v_org)
            or (b.entity_type = 'service'      and b.entity_id = p_service_type)
            or (b.entity_type = 'tier'         and b.entity_id = v_tier)
            or (b.entity_type = 'user'         and b.entity_id = p_user_id)
            or (b.entity_type = 'session'      and b.entity_id = p_session_id))
     order by b.entity_type, b.entity_id
  loop
    for v_usage in select * from public.tokensync_limit_usage(v_limit, p_session_id, p_at, p_timezone) loop
      v_remaining := least(coalesce(v_remaining, v_usage.limit_amount - v_usage.spent),
                           v_usage.limit_amount - v_usage.spent);
      if v_usage.spent + v_estimate > v_usage.limit_amount then
        v_message := format('%s %L %s limit %s would be exceeded (spent %s + estimated %s)',
          v_limit.entity_type, v_limit.entity_id, v_usage.period,
          public.tokensync_format_usd(v_usage.limit_amount),
          public.tokensync_format_usd(v_usage.spent), public.tokensync_format_usd(v_estimate));
        if v_limit.breach_action = 'block' then
          v_blocks := v_blocks || v_message;
        else
          v_warnings := v_warnings || v_message;
        end if;
      end if;
    end loop;
  end loop;

  v_result.allowed := cardinality(v_blocks) = 0;
  -- greatest() skips NULLs, so it would turn "no limit" into 0.
  v_result.remaining_budget := case when v_remaining is not null then greatest(v_remaining, 0) end;
  v_result.reason := case
    when cardinality(v_blocks) > 0 then 'blocked: ' || array_to_string(v_blocks || v_warnings, '; ')
    when cardinality(v_warnings) > 0 then 'warning (breach_action alert, call allowed): ' || array_to_string(v_warnings, '; ')
    when v_remaining is null then 'no active budget limit applies'
  end;
  return v_result;
end;
$$;

comment on function public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text) is
  'Would a call costing p_estimated_cost stay within every active limit that applies? '
  'Organization and tier default to those of the user''s latest logged call.';

create or replace function public.tokensync_budget_item(
  p_limit        public.budget_limits,
  p_period       text,
  p_period_start timestamptz,
  p_session_id   text,
  p_spent        numeric,
  p_limit_amount numeric
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'budget_limit_id', p_limit.id,
    'entity_type', p_limit.entity_type,
    'entity_id', p_limit.entity_id,
    'period', p_period,
    'period_start', p_period_start,
    'session_id', p_session_id,
    'spent', p_spent,
    'limit_amount', p_limit_amount,
    'utilisation_pct', case when p_limit_amount > 0 then round(p_spent * 100 / p_limit_amount, 2) end,
    'exceeded', p_spent > p_limit_amount,
    'alert_thresholds', to_jsonb(p_limit.alert_thresholds),
    'thresholds_reached', coalesce((
      select jsonb_agg(t order by t) from unnest(p_limit.alert_thresholds) t
       where (p_limit_amount > 0 and p_spent * 100 >= p_limit_amount * t)
          or (p_limit_amount = 0 and p_spent > 0)), '[]'::jsonb),
    'breach_action', p_limit.breach_action);
$$;

-- Spend against every active limit at p_at: one item per limit and period, and
-- one per session active in the last day for limits with a session limit.
create or replace function public.tokensync_budget_status(
  p_at       timestamptz default now(),
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_limit   public.budget_limits;
  v_usage   record;
  v_session record;
  v_items   jsonb := '[]'::jsonb;
begin
  p_at := coalesce(p_at, now());
  for v_limit in
    select b.* from public.budget_limits b where b.is_active order by b.entity_type, b.entity_id
  loop
    for v_usage in select * from public.tokensync_limit_usage(v_limit, null, p_at, p_timezone) loop
      v_items := v_items || public.tokensync_budget_item(
        v_limit, v_usage.period, v_usage.period_start, null, v_usage.spent, v_usage.limit_amount);
    end loop;
    if v_limit.session_limit is not null then
      for v_session in
        select s.* from public.tokensync_entity_sessions(
          v_limit.entity_type, v_limit.entity_id, p_at - interval '1 day', p_at) s
        order by s.started_at, s.session_id
      loop
        v_items := v_items || public.tokensync_budget_item(
          v_limit, 'session', v_session.started_at, v_session.session_id, v_session.spent, v_limit.session_limit);
      end loop;
    end if;
  end loop;
  return v_items;
end;
$$;

revoke all on function
  public.tokensync_entity_column(text),
  public.tokensync_entity_spend(text, text, timestamptz, timestamptz, text),
  public.tokensync_entity_sessions(text, text, timestamptz, timestamptz),
  public.tokensync_limit_usage(public.budget_limits, text, timestamptz, text),
  public.tokensync_format_usd(numeric),
  public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text),
  public.tokensync_budget_item(public.budget_limits, text, timestamptz, text, numeric, numeric),
  public.tokensync_budget_status(timestamptz, text)
from public, anon, authenticated;

-- The helpers run with the caller's rights, so service_role needs them too.
grant execute on function
  public.tokensync_entity_column(text),
  public.tokensync_entity_spend(text, text, timestamptz, timestamptz, text),
  public.tokensync_entity_sessions(text, text, timestamptz, timestamptz),
  public.tokensync_limit_usage(public.budget_limits, text, timestamptz, text),
  public.tokensync_format_usd(numeric),
  public.check_user_budget(text, text, text, numeric, text, text, timestamptz, text),
  public.tokensync_budget_item(public.budget_limits, text, timestamptz, text, numeric, numeric),
  public.tokensync_budget_status(timestamptz, text)
to service_role;
