-- tokensync: administering budgets, from the CLI and from Notion.
--
-- 20261205000500 gave limits a grace, a failure policy and resets, and agents
-- pauses, with SQL admin functions and an audit. This migration makes them
-- visible and reachable:
--   * read-only admin functions for `npm run budget -- show` and `… audit`
--     (service role only; jsonb, so either transport calls them alike);
--   * Budget Limits in Notion show Grace, Fail Mode, and an agent's open pause
--     (Paused Until, Pause Reason): the synced view joins them, and its
--     updated_at moves when the pause is made, lifted or runs out, so each
--     reaches Notion like any other change;
--   * edits from Notion may set Grace and Fail Mode, and unpause an agent, and
--     every one is audited with a notion: actor;
--   * the spend Notion shows starts at an admin reset when that is later than
--     the start of the day or month, as enforcement already does.

-- ---------------------------------------------------------------------------
-- Where a limit's period starts at p_at: the local day or month, or its reset if later.
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
    when 'daily'   then greatest(date_trunc('day', p_at, p_timezone), p_limit.daily_reset_at)
    when 'monthly' then greatest(date_trunc('month', p_at, p_timezone), p_limit.monthly_reset_at)
  end;
$$;

-- ---------------------------------------------------------------------------
-- Spend for Notion, resets honoured (otherwise as in 20261204000950).
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
begin
  -- As of v_at (included), both periods in one read: whole hours from the buckets, however busy the current one.
  with spend as (
    select b.id, b.daily_limit, b.monthly_limit, b.updated_at as limit_updated_at, b.alert_thresholds,
           round(dm.day_spent, 2) as daily_spend, round(dm.month_spent, 2) as monthly_spend
      from public.budget_limits b
      cross join lateral public.tokensync_entity_day_and_month(b.entity_type, b.entity_id,
             public.tokensync_limit_period_start(b, 'daily', v_at, p_timezone), v_at + interval '1 microsecond',
             public.tokensync_limit_period_start(b, 'monthly', v_at, p_timezone), v_at + interval '1 microsecond', v_at) dm
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
-- Budget Limits as the sync reads them, with grace, failure policy and pause.
-- ---------------------------------------------------------------------------
-- The view's updated_at takes the agent's latest pause, open or lifted: were it
-- the open pause only, lifting one would move updated_at backwards and the
-- keyset read would never see the lift.
create index if not exists agent_pauses_agent_updated_idx on public.agent_pauses (agent_id, updated_at desc);

create or replace view tokensync.budget_limits_synced with (security_invoker = true) as
  select b.id, b.created_at,
         greatest(b.updated_at, s.updated_at, latest.updated_at) as updated_at,
         b.entity_type, b.entity_id, b.daily_limit, b.monthly_limit, b.session_limit,
         b.alert_thresholds, b.breach_action, b.is_active, b.description,
         s.daily_spend, s.monthly_spend, s.daily_utilisation, s.monthly_utilisation,
         b.grace_pct, b.fail_mode,
         open_pause.paused_until, open_pause.reason as pause_reason
    from public.budget_limits b
    left join tokensync.budget_spend s on s.budget_limit_id = b.id
    left join lateral (
      select p.updated_at from public.agent_pauses p
       where b.entity_type = 'agent' and p.agent_id = b.entity_id
       order by p.updated_at desc limit 1
    ) latest on true
    left join public.agent_pauses open_pause
      on b.entity_type = 'agent' and open_pause.agent_id = b.entity_id and open_pause.lifted_at is null;

revoke all on table tokensync.budget_limits_synced from public, anon, authenticated;
grant select on table tokensync.budget_limits_synced to service_role;

-- ---------------------------------------------------------------------------
-- Edits from Notion: limits and Active as before, plus Grace, Fail Mode, and
-- clearing an agent's pause. Every change is audited as notion:<editor>.
-- ---------------------------------------------------------------------------

-- Whether a page's pause fields ask to lift the agent's open pause: Paused Until
-- cleared, or for a pause without an end (whose Paused Until is empty anyway)
-- Pause Reason cleared. Only a page written after the pause last changed counts:
-- a page that never showed the pause says nothing about it.
create or replace function public.tokensync_notion_unpause_wanted(
  p_limit public.budget_limits, p_edit jsonb, p_page_synced_at timestamptz
)
returns public.agent_pauses
language plpgsql
stable
set search_path = ''
as $$
declare
  v_pause public.agent_pauses;
begin
  if p_limit.entity_type <> 'agent' or not (p_edit ? 'paused_until' or p_edit ? 'pause_reason') then
    return null;
  end if;
  select * into v_pause from public.agent_pauses p where p.agent_id = p_limit.entity_id and p.lifted_at is null;
  if v_pause.id is null or p_page_synced_at is null or p_page_synced_at < v_pause.updated_at then
    return null;
  end if;
  if v_pause.paused_until is not null and p_edit ? 'paused_until' and jsonb_typeof(p_edit -> 'paused_until') = 'null' then
    return v_pause;
  end if;
  if v_pause.paused_until is null and p_edit ? 'pause_reason' and coalesce(btrim(p_edit ->> 'pause_reason'), '') = '' then
    return v_pause;
  end if;
  return null;
end;
$$;

-- Why a wanted value is refused, or null when it may be written.
create or replace function public.tokensync_budget_edit_problem(p_field text, p_value jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when p_field = 'is_active' then
      case when jsonb_typeof(p_value) <> 'boolean' then format('is_active must be true or false, got %s', p_value) end
    when p_field = 'grace_pct' then
      case when jsonb_typeof(p_value) <> 'number' then format('grace_pct must be a number from 0 to 100, got %s', p_value)
           when (p_value::text)::numeric not between 0 and 100 then format('grace_pct must be from 0 to 100, got %s', p_value) end
    when p_field = 'fail_mode' then
      case when jsonb_typeof(p_value) <> 'string' or p_value #>> '{}' not in ('open', 'closed')
           then format('fail_mode must be open or closed, got %s', p_value) end
    when jsonb_typeof(p_value) not in ('number', 'null') then format('%s must be a number, got %s', p_field, p_value)
    when jsonb_typeof(p_value) = 'number' and (p_value::text)::numeric < 0 then format('%s must be 0 or more, got %s', p_field, p_value)
  end;
$$;

-- p_edit holds the fields read from the page: daily_limit, monthly_limit,
-- session_limit (numbers or null), is_active (boolean), and when the page has
-- them grace_pct (number), fail_mode (text), paused_until (ISO or null),
-- pause_reason (text). Fields the page lacks are left as they are.
create or replace function public.tokensync_apply_budget_edit(
  p_limit_id uuid, p_edit jsonb, p_editor text, p_edited_at timestamptz, p_page_id text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_limit     public.budget_limits;
  v_current   jsonb;
  v_wanted    jsonb;
  v_field     text;
  v_value     jsonb;
  v_problem   text;
  v_synced_at timestamptz;
  v_pause     public.agent_pauses;
  v_actor     text := 'notion:' || coalesce(nullif(btrim(p_editor), ''), 'unknown editor');
  v_limits_changed boolean;
  v_applied   jsonb := '{}'::jsonb;
begin
  select * into v_limit from public.budget_limits where id = p_limit_id for update;
  if not found then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'gone', 'the limit no longer exists', null, null);
  end if;
  v_current := jsonb_build_object('daily_limit', v_limit.daily_limit, 'monthly_limit', v_limit.monthly_limit,
                                  'session_limit', v_limit.session_limit, 'is_active', v_limit.is_active,
                                  'grace_pct', v_limit.grace_pct, 'fail_mode', v_limit.fail_mode);
  v_wanted := v_current || (p_edit - array(select k from jsonb_object_keys(p_edit) k where not v_current ? k));
  v_limits_changed := v_wanted <> v_current;
  select s.synced_at into v_synced_at from tokensync.notion_sync_state s where s.dataset = 'budget_limits' and s.key = p_limit_id;
  v_pause := public.tokensync_notion_unpause_wanted(v_limit, p_edit, v_synced_at);
  if not v_limits_changed and v_pause.id is null then
    return jsonb_build_object('outcome', 'unchanged');
  end if;

  for v_field, v_value in select * from jsonb_each(v_wanted) loop
    v_problem := public.tokensync_budget_edit_problem(v_field, v_value);
    if v_problem is not null then
      return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected',
        v_problem, null, p_edit) || jsonb_build_object('current', v_current);
    end if;
  end loop;
  if v_wanted->'daily_limit' = 'null' and v_wanted->'monthly_limit' = 'null' and v_wanted->'session_limit' = 'null' then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected',
      'a limit needs at least one of daily, monthly or session', null, p_edit) || jsonb_build_object('current', v_current);
  end if;
  -- Newer side wins, separately for the limit and for the pause.
  if v_limits_changed and v_limit.updated_at > p_edited_at then v_limits_changed := false; end if;
  if v_pause.id is not null and v_pause.updated_at > p_edited_at then v_pause := null; end if;
  if not v_limits_changed and v_pause.id is null then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'superseded',
      'the limit or its pause changed in Supabase after the page was edited', null, p_edit);
  end if;

  -- The audit trigger on budget_limits reads who acts from here.
  perform set_config('tokensync.actor', v_actor, true);
  if v_limits_changed then
    update public.budget_limits
       set daily_limit = (v_wanted->>'daily_limit')::numeric,
           monthly_limit = (v_wanted->>'monthly_limit')::numeric,
           session_limit = (v_wanted->>'session_limit')::numeric,
           is_active = (v_wanted->>'is_active')::boolean,
           grace_pct = (v_wanted->>'grace_pct')::numeric,
           fail_mode = v_wanted->>'fail_mode'
     where id = p_limit_id;
    v_applied := v_wanted;
  end if;
  if v_pause.id is not null then
    perform public.tokensync_admin_unpause_agent(v_limit.entity_id, v_actor);
    v_applied := v_applied || jsonb_build_object('unpaused', v_limit.entity_id);
  end if;
  return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'applied', null,
    v_current || case when v_pause.id is not null
                      then jsonb_build_object('paused_until', v_pause.paused_until, 'pause_reason', v_pause.reason) else '{}'::jsonb end,
    v_applied);
exception
  when check_violation or numeric_value_out_of_range then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected', sqlerrm, null, p_edit)
           || jsonb_build_object('current', v_current);
end;
$$;

-- ---------------------------------------------------------------------------
-- Read-only admin views for the CLI (service role only).
-- ---------------------------------------------------------------------------

-- Limits (all, or one entity's) with spend since each period's start (resets
-- honoured) and utilisation, and the open pauses (all, or the agent's).
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
  with chosen as (
    select b.*, public.tokensync_limit_period_start(b, 'daily', v_at, p_timezone) as day_start,
           public.tokensync_limit_period_start(b, 'monthly', v_at, p_timezone) as month_start
      from public.budget_limits b
     where p_entity_type is null or (b.entity_type = p_entity_type and b.entity_id = p_entity_id)
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
           'daily_reset_at', s.daily_reset_at, 'monthly_reset_at', s.monthly_reset_at,
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

-- The newest audit rows first (all, or one entity's), at most p_limit (1..1000).
create or replace function public.tokensync_admin_budget_audit(
  p_entity_type text default null,
  p_entity_id   text default null,
  p_limit       integer default 50
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception using errcode = '22023', message = format('p_limit must be from 1 to 1000, got %s', p_limit);
  end if;
  if (p_entity_type is null) <> (p_entity_id is null) then
    raise exception using errcode = '22023', message = 'give both p_entity_type and p_entity_id, or neither';
  end if;
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', a.id, 'at', a.at, 'actor', a.actor, 'action', a.action,
             'entity_type', a.entity_type, 'entity_id', a.entity_id, 'details', a.details) order by a.at desc, a.id desc), '[]'::jsonb)
      from (select * from public.budget_audit a
             where p_entity_type is null or (a.entity_type = p_entity_type and a.entity_id = p_entity_id)
             order by a.at desc, a.id desc limit p_limit) a);
end;
$$;

revoke all on function
  public.tokensync_limit_period_start(public.budget_limits, text, timestamptz, text),
  public.tokensync_refresh_budget_spend(timestamptz, text, integer),
  public.tokensync_notion_unpause_wanted(public.budget_limits, jsonb, timestamptz),
  public.tokensync_budget_edit_problem(text, jsonb),
  public.tokensync_apply_budget_edit(uuid, jsonb, text, timestamptz, text),
  public.tokensync_admin_budget_overview(text, text, timestamptz, text),
  public.tokensync_admin_budget_audit(text, text, integer)
from public, anon, authenticated;

grant execute on function
  public.tokensync_limit_period_start(public.budget_limits, text, timestamptz, text),
  public.tokensync_refresh_budget_spend(timestamptz, text, integer),
  public.tokensync_notion_unpause_wanted(public.budget_limits, jsonb, timestamptz),
  public.tokensync_budget_edit_problem(text, jsonb),
  public.tokensync_apply_budget_edit(uuid, jsonb, text, timestamptz, text),
  public.tokensync_admin_budget_overview(text, text, timestamptz, text),
  public.tokensync_admin_budget_audit(text, text, integer)
to service_role;
