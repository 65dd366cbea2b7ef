-- tokensync: budgets reckon each entity's day and month in its zone.
--
-- 20261205001700 gave organizations zones of their own and defined what they
-- mean for budgets: a limit's periods (its local day and month, "whole to the
-- next local midnight" for a reservation, the period a reset cuts short, a
-- user's token quota) are in the entity's zone, tokensync_entity_zone: an
-- organization's own; a user's, session's or agent's that of the organization
-- it calls for (in a decision the request's organization, for check_user_budget
-- the one it already takes from the user's latest call; in status, budget spend
-- and housekeeping, with no request, its latest call's); services, tiers and
-- features keep the default. p_timezone stays the default zone everywhere.
--
-- Passing an entity's zone as p_timezone gives the same periods as passing the
-- default: an entity with a zone of its own keeps it, one without takes
-- p_timezone, whichever it is. Callers may do either.
--
-- Without organization settings every figure is as before and as cheap: the
-- decision and the budget spend ask tokensync_has_organization_zones() once and
-- use the default's periods. Spend itself is still read by instant (the
-- buckets, tokensync_entity_standing, tokensync_entity_day_and_month take the
-- bounds they are given), so a 23- or 25-hour local day is counted whole.
--
-- The advisory locks of a reservation, their order and the one snapshot of its
-- reads are as in 20261205000500; only the bounds each limit is read over moved.
-- Otherwise every function here is its latest definition (20261205000500,
-- 20261205000700).

-- ---------------------------------------------------------------------------
-- Where a limit's period starts at p_at: its entity's local day or month, or its
-- reset if later. p_timezone is the default zone.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_limit_period_start(
  p_limit    public.budget_limits,
  p_period   text,
  p_at       timestamptz,
  p_timezone text
)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case p_period
    when 'daily'   then greatest(date_trunc('day', p_at, z.zone), p_limit.daily_reset_at)
    when 'monthly' then greatest(date_trunc('month', p_at, z.zone), p_limit.monthly_reset_at)
  end
  from (select public.tokensync_entity_zone(p_limit.entity_type, p_limit.entity_id, p_timezone) as zone) z;
$$;

-- ---------------------------------------------------------------------------
-- Spend for Notion (Budget Limits: spend today and this month, whole cents),
-- each limit in its entity's zone.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_refresh_budget_spend(
  p_at         timestamptz default null,
  p_timezone   text default 'UTC',
  p_min_age_ms integer default 0
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_at      timestamptz := coalesce(p_at, now());
  v_fresh_after timestamptz := clock_timestamp() - make_interval(secs => greatest(coalesce(p_min_age_ms, 0), 0) / 1000.0);
  v_changed integer;
  v_zoned   boolean := public.tokensync_has_organization_zones();
begin
  -- As of v_at (included), both periods in one read: whole hours from the buckets, however busy the current one.
  -- Each limit's day and month are its entity's (the latest call's organization for a user, session or
  -- agent); without organization settings every zone is p_timezone and nothing is looked up.
  with spend as (
    select b.id, b.daily_limit, b.monthly_limit, b.updated_at as limit_updated_at, b.alert_thresholds,
           round(dm.day_spent, 2) as daily_spend, round(dm.month_spent, 2) as monthly_spend
      from public.budget_limits b
      cross join lateral (select case when v_zoned then public.tokensync_entity_zone(b.entity_type, b.entity_id, p_timezone)
                                      else p_timezone end as zone) z
      cross join lateral public.tokensync_entity_day_and_month(b.entity_type, b.entity_id,
             greatest(date_trunc('day', v_at, z.zone), b.daily_reset_at), v_at + interval '1 microsecond',
             greatest(date_trunc('month', v_at, z.zone), b.monthly_reset_at), v_at + interval '1 microsecond', v_at) dm
  ),
  fresh as (
    select id, limit_updated_at, alert_thresholds, daily_spend, monthly_spend,
           case when daily_limit > 0 then round(daily_spend / daily_limit, 4) end as daily_utilisation,
           case when monthly_limit > 0 then round(monthly_spend / monthly_limit, 4) end as monthly_utilisation
      from spend
  ),
  due as (
    select f.id, f.daily_spend, f.monthly_spend, f.daily_utilisation, f.monthly_utilisation
      from fresh f
      left join tokensync.budget_spend s on s.budget_limit_id = f.id
     where s.budget_limit_id is null
        or s.updated_at <= v_fresh_after
        or f.limit_updated_at > s.updated_at -- a reset moves the limit's updated_at: its figures drop at once
        or public.tokensync_threshold_band(s.daily_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.daily_utilisation, f.alert_thresholds)
        or public.tokensync_threshold_band(s.monthly_utilisation, f.alert_thresholds)
           <> public.tokensync_threshold_band(f.monthly_utilisation, f.alert_thresholds)
  ),
  written as (
    insert into tokensync.budget_spend as s (budget_limit_id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation)
    select id, daily_spend, monthly_spend, daily_utilisation, monthly_utilisation from due
    on conflict (budget_limit_id) do update
      set daily_spend = excluded.daily_spend, monthly_spend = excluded.monthly_spend,
          daily_utilisation = excluded.daily_utilisation, monthly_utilisation = excluded.monthly_utilisation,
          updated_at = clock_timestamp()
      where (s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation)
            is distinct from (excluded.daily_spend, excluded.monthly_spend, excluded.daily_utilisation, excluded.monthly_utilisation)
    returning 1
  ),
  gone as (
    delete from tokensync.budget_spend s
     where not exists (select 1 from public.budget_limits b where b.id = s.budget_limit_id)
    returning 1
  )
  select (select count(*) from written) + (select count(*) from gone) into v_changed;
  return jsonb_build_object('changed', v_changed);
end;
$$;

-- ---------------------------------------------------------------------------
-- Usage of one limit at p_at (budget status, alerts, the report's budgets), resets
-- applied, as of p_at, in its entity's zone.
-- ---------------------------------------------------------------------------
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
  v_zone  text := public.tokensync_entity_zone(p_limit.entity_type, p_limit.entity_id, p_timezone);
begin
  select greatest(b.period_start, p_limit.daily_reset_at) as period_start into v_day
    from public.tokensync_period_bounds('day', p_at, v_zone) b;
  select greatest(b.period_start, p_limit.monthly_reset_at) as period_start into v_month
    from public.tokensync_period_bounds('month', p_at, v_zone) b;
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

-- ---------------------------------------------------------------------------
-- An agent past a blocking limit and its grace is paused until its local period ends.
-- ---------------------------------------------------------------------------
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
  -- The agent's day and month: those of the organization of its latest call (the one just settled, in a settle).
  v_zone   text := public.tokensync_entity_zone('agent', p_limit.entity_id, p_timezone);
begin
  for v_period in
    select q.period, greatest(b.period_start, q.reset_at) as period_start, b.period_end, q.limit_amount
      from (values ('daily', 'day', p_limit.daily_limit, p_limit.daily_reset_at),
                   ('monthly', 'month', p_limit.monthly_limit, p_limit.monthly_reset_at)) q(period, unit, limit_amount, reset_at)
      cross join lateral public.tokensync_period_bounds(q.unit, p_at, v_zone) b
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

-- ---------------------------------------------------------------------------
-- The decision (tokensync_reserve, tokensync_budget_question, check_user_budget):
-- each limit and the user's token quota over its entity's periods.
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
  v_zoned     boolean;
  v_zone      text;
  v_lday      record;
  v_lmonth    record;
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

  -- The default zone's day and month; a limit whose entity has a zone of its own (tokensync_entity_zone:
  -- an organization's, or for a user, session or agent the request's organization's) reckons in that.
  -- Without organization settings every limit takes these and nothing more is looked up.
  select b.period_start, b.period_end into v_day from public.tokensync_period_bounds('day', p_at, p_timezone) b;
  select b.period_start, b.period_end into v_month from public.tokensync_period_bounds('month', p_at, p_timezone) b;
  v_zoned := public.tokensync_has_organization_zones();
  -- A decision counts its periods whole, to the next local midnight, not as of p_at:
  -- a concurrent call settled (or held) after this transaction began is dated after
  -- its now(), and must count all the same, or two reservations could both pass.

  foreach v_limit in array v_limits loop
    v_zone := case when v_zoned then public.tokensync_entity_zone(v_limit.entity_type, v_limit.entity_id, p_timezone, v_org)
                   else p_timezone end;
    if v_zone = p_timezone then
      v_lday := v_day;
      v_lmonth := v_month;
    else
      select b.period_start, b.period_end into v_lday from public.tokensync_period_bounds('day', p_at, v_zone) b;
      select b.period_start, b.period_end into v_lmonth from public.tokensync_period_bounds('month', p_at, v_zone) b;
    end if;
    -- A limit read exactly with a daily and a monthly amount reads both at once.
    v_pair := null;
    if v_limit.daily_limit is not null and v_limit.monthly_limit is not null and not (p_hold and v_limit.breach_action = 'alert') then
      select * into v_pair
        from public.tokensync_entity_day_and_month(v_limit.entity_type, v_limit.entity_id,
               greatest(v_lday.period_start, v_limit.daily_reset_at), v_lday.period_end,
               greatest(v_lmonth.period_start, v_limit.monthly_reset_at), v_lmonth.period_end, p_at);
    end if;
    for v_usage in
      select q.period, q.period_start, q.period_end, q.limit_amount
        from (values
          ('daily', greatest(v_lday.period_start, v_limit.daily_reset_at), v_lday.period_end, v_limit.daily_limit),
          ('monthly', greatest(v_lmonth.period_start, v_limit.monthly_reset_at), v_lmonth.period_end, v_limit.monthly_limit),
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
              case v_usage.period when 'daily' then v_lday.period_end else v_lmonth.period_end end,
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
    -- In the user's zone: the request's organization's.
    v_zone := case when v_zoned then public.tokensync_entity_zone('user', v_user, p_timezone, v_org) else p_timezone end;
    if v_zone = p_timezone then
      v_lday := v_day;
      v_lmonth := v_month;
    else
      select b.period_start, b.period_end into v_lday from public.tokensync_period_bounds('day', p_at, v_zone) b;
      select b.period_start, b.period_end into v_lmonth from public.tokensync_period_bounds('month', p_at, v_zone) b;
    end if;
    for v_quota in
      select q.period, q.quota, q.period_start, q.period_end
        from (values ('daily', v_have.daily_token_quota, v_lday.period_start, v_lday.period_end),
                     ('monthly', v_have.monthly_token_quota, v_lmonth.period_start, v_lmonth.period_end)) q(period, quota, period_start, period_end)
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

-- ---------------------------------------------------------------------------
-- `npm run budget -- show`: each limit's spend in its entity's zone, which it names (time_zone).
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_admin_budget_overview(
  p_entity_type text default null,
  p_entity_id   text default null,
  p_at          timestamptz default null,
  p_timezone    text default 'UTC'
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_at     timestamptz := coalesce(p_at, now());
  v_limits jsonb;
  v_pauses jsonb;
begin
  if (p_entity_type is null) <> (p_entity_id is null) then
    raise exception using errcode = '22023', message = 'give both p_entity_type and p_entity_id, or neither';
  end if;
  with zoned as (
    select b.*, public.tokensync_entity_zone(b.entity_type, b.entity_id, p_timezone) as time_zone
      from public.budget_limits b
     where p_entity_type is null or (b.entity_type = p_entity_type and b.entity_id = p_entity_id)
  ),
  chosen as (
    select z.*, greatest(date_trunc('day', v_at, z.time_zone), z.daily_reset_at) as day_start,
           greatest(date_trunc('month', v_at, z.time_zone), z.monthly_reset_at) as month_start
      from zoned z
  ),
  spent as (
    select c.*, round(public.tokensync_entity_spend(c.entity_type, c.entity_id, c.day_start, v_at), 6) as daily_spend,
           round(public.tokensync_entity_spend(c.entity_type, c.entity_id, c.month_start, v_at), 6) as monthly_spend
      from chosen c
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'entity_type', s.entity_type, 'entity_id', s.entity_id,
           'daily_limit', s.daily_limit, 'monthly_limit', s.monthly_limit, 'session_limit', s.session_limit,
           'breach_action', s.breach_action, 'grace_pct', s.grace_pct, 'fail_mode', s.fail_mode, 'is_active', s.is_active,
           'daily_reset_at', s.daily_reset_at, 'monthly_reset_at', s.monthly_reset_at, 'time_zone', s.time_zone,
           'daily_spend', s.daily_spend, 'monthly_spend', s.monthly_spend,
           'daily_utilisation', case when s.daily_limit > 0 then round(s.daily_spend / s.daily_limit, 4) end,
           'monthly_utilisation', case when s.monthly_limit > 0 then round(s.monthly_spend / s.monthly_limit, 4) end,
           'updated_at', s.updated_at) order by s.entity_type, s.entity_id), '[]'::jsonb)
    into v_limits from spent s;

  select coalesce(jsonb_agg(jsonb_build_object(
           'agent_id', p.agent_id, 'paused_at', p.paused_at, 'paused_until', p.paused_until,
           'reason', p.reason, 'paused_by', p.paused_by,
           'in_effect', p.paused_at <= v_at and (p.paused_until is null or p.paused_until > v_at)) order by p.agent_id), '[]'::jsonb)
    into v_pauses
    from public.agent_pauses p
   where p.lifted_at is null
     and (p_entity_type is null or (p_entity_type = 'agent' and p.agent_id = p_entity_id));

  return jsonb_build_object('at', v_at, 'limits', v_limits, 'pauses', v_pauses);
end;
$$;

-- ---------------------------------------------------------------------------
-- `npm run budget -- zone list`: the organizations with a zone of their own, and
-- the default every other organization (and every call without one) follows.
-- Setting one is tokensync_set_organization_time_zone (20261205001700).
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_admin_organization_zones(p_default text default 'UTC')
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'default_time_zone', p_default,
    'organizations', coalesce((
      select jsonb_agg(jsonb_build_object('organization_id', s.organization_id, 'time_zone', s.time_zone,
                                          'updated_at', s.updated_at) order by s.organization_id)
        from public.organization_settings s), '[]'::jsonb));
$$;

revoke all on function public.tokensync_admin_organization_zones(text) from public, anon, authenticated;
grant execute on function public.tokensync_admin_organization_zones(text) to service_role;
