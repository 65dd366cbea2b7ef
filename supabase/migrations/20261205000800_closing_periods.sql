-- tokensync: alerts for periods that have ended.
--
-- tokensync_evaluate_alerts looked only at the period containing p_at, so a
-- threshold crossed in the last minutes of a day or month was never alerted
-- (the next evaluation was already in the next period), and a late row dated
-- in a past period, or a re-cost of one, never reached its alerts.
--
-- Now each evaluation also looks at past periods, in two ways:
--
-- * Closing. Per time zone and period kind, tokensync.alert_periods_closed
--   keeps the instant up to which every period has had its final evaluation.
--   The first evaluation after a day (month) ends evaluates it whole, once,
--   and moves the mark; after downtime, every period missed is evaluated. The
--   first evaluation in a zone closes the period just before the current one.
-- * Late rows. The rollup job already learns which UTC hours of usage changed
--   (tokensync.rollup_dirty_hours, marked by triggers, claimed by
--   tokensync_rollup_changed). A trigger forwards every claimed hour to
--   tokensync.alert_dirty_hours, and the evaluation claims those: each past
--   day and month an hour falls in is evaluated again. Forwarding the claims,
--   rather than marking again on token_usage_logs, adds nothing to the writers'
--   path, and inherits the claim's guarantee that a mark is seen no sooner than
--   its rows. A late row therefore reaches its alerts one rollup run and one
--   budget run after it commits.
--
-- A past period's spend is its whole local period, [start, end), DST days
-- 23 or 25 hours long; a reset inside the period starts it, as for the
-- current period, so the unique key (entity, period, period_start, threshold,
-- kind) still stops any alert from being raised twice. An alert raised once
-- its period has ended is marked late, and its message says when the period
-- ended. Forecasts stay for the current month only. Alerts already raised are
-- never withdrawn (a re-cost that lowers spend leaves them). Past periods are
-- evaluated against each limit as it is now (budget_limits keeps no history),
-- and only those that ended after the limit was created.

alter table public.cost_alerts add column late boolean not null default false;

comment on column public.cost_alerts.late is
  'Raised after its period had ended: the threshold was crossed before the end, and seen at the period''s closing evaluation or when late rows or a re-cost changed it.';

create table tokensync.alert_periods_closed (
  timezone       text not null,
  period         text not null,
  -- Every period of this kind in this zone that ended at or before this instant has had its final evaluation.
  closed_through timestamptz not null,
  updated_at     timestamptz not null default clock_timestamp(),

  constraint alert_periods_closed_pkey primary key (timezone, period),
  constraint alert_periods_closed_period_check check (period in ('daily', 'monthly'))
);

comment on table tokensync.alert_periods_closed is
  'Per time zone and period kind, how far alert evaluation has closed past periods; kept by tokensync_evaluate_alerts().';

create table tokensync.alert_dirty_hours (
  id   bigint generated always as identity primary key,
  hour timestamptz not null
);

comment on table tokensync.alert_dirty_hours is
  'UTC hours of usage changes the rollups have claimed and alert evaluation has not: forwarded from tokensync.rollup_dirty_hours, claimed by tokensync_evaluate_alerts().';

alter table tokensync.alert_periods_closed enable row level security;
alter table tokensync.alert_dirty_hours enable row level security;
revoke all on table tokensync.alert_periods_closed, tokensync.alert_dirty_hours from public, anon, authenticated;
grant select, insert, update on table tokensync.alert_periods_closed to service_role;
grant select, insert, delete on table tokensync.alert_dirty_hours to service_role;

-- ---------------------------------------------------------------------------
-- Forwarding: the hours a rollup claim deletes are the hours whose changes are
-- committed and now rolled up; alerts get the same list. Runs as its owner, so
-- whoever may claim rollups keeps it right without rights on the table.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_forward_claimed_hours()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- '-infinity' (a TRUNCATE) is expanded into real hours before it is claimed.
  insert into tokensync.alert_dirty_hours (hour)
  select distinct o.hour from old_rows o where isfinite(o.hour);
  return null;
end;
$$;

create trigger rollup_dirty_hours_forward after delete on tokensync.rollup_dirty_hours
  referencing old table as old_rows for each statement execute function public.tokensync_forward_claimed_hours();

-- What existed before this migration and was already claimed is covered by the
-- first closing; marks not yet claimed are forwarded when they are.

-- ---------------------------------------------------------------------------
-- The past periods to evaluate at p_at in p_timezone: those that ended since
-- the last closing (moving the mark), and those that claimed hours touch.
-- Volatile: it claims and moves the mark; call it once per evaluation.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_claim_past_periods(p_at timestamptz, p_timezone text)
returns table (period text, period_start timestamptz, period_end timestamptz)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_day          timestamptz := date_trunc('day', p_at, p_timezone);
  v_month        timestamptz := date_trunc('month', p_at, p_timezone);
  v_days_from    timestamptz;
  v_months_from  timestamptz;
begin
  select c.closed_through into v_days_from from tokensync.alert_periods_closed c
   where c.timezone = p_timezone and c.period = 'daily';
  select c.closed_through into v_months_from from tokensync.alert_periods_closed c
   where c.timezone = p_timezone and c.period = 'monthly';
  -- Written only when a period has ended, so most evaluations write nothing here. Two
  -- evaluations closing the same period at once both evaluate it: the unique key keeps
  -- each alert once.
  if v_days_from is null or v_days_from < v_day or v_months_from is null or v_months_from < v_month then
    insert into tokensync.alert_periods_closed as c (timezone, period, closed_through)
    values (p_timezone, 'daily', v_day), (p_timezone, 'monthly', v_month)
    on conflict on constraint alert_periods_closed_pkey do update
      set closed_through = greatest(c.closed_through, excluded.closed_through), updated_at = clock_timestamp()
      where excluded.closed_through > c.closed_through;
  end if;
  v_days_from := coalesce(v_days_from, date_trunc('day', v_day - interval '1 microsecond', p_timezone));
  v_months_from := coalesce(v_months_from, date_trunc('month', v_month - interval '1 microsecond', p_timezone));

  return query
  with marks as (
    delete from tokensync.alert_dirty_hours m returning m.hour
  ),
  -- An hour falls in one local day, or two where the zone's offset is not whole hours.
  instants as (
    select m.hour as at from marks m
    union select m.hour + interval '1 hour' - interval '1 microsecond' from marks m
  ),
  touched as (
    select 'daily' as kind, date_trunc('day', i.at, p_timezone) as start from instants i
    union select 'monthly', date_trunc('month', i.at, p_timezone) from instants i
  ),
  -- Local midnights, stepped in local time so that DST days are 23 or 25 hours long.
  ended as (
    select 'daily' as kind, date_trunc('day', d at time zone p_timezone, p_timezone) as start
      from generate_series(v_days_from at time zone p_timezone, (v_day at time zone p_timezone) - interval '1 day', interval '1 day') d
    union
    select 'monthly', date_trunc('month', d at time zone p_timezone, p_timezone)
      from generate_series(v_months_from at time zone p_timezone, (v_month at time zone p_timezone) - interval '1 month', interval '1 month') d
  ),
  past as (
    select t.kind, t.start from touched t
     where t.start < case t.kind when 'daily' then v_day else v_month end
    union
    select e.kind, e.start from ended e
  )
  select p.kind, b.period_start, b.period_end
    from past p
    cross join lateral public.tokensync_period_bounds(case p.kind when 'daily' then 'day' else 'month' end, p.start, p_timezone) b
   order by 2, 1;
end;
$$;

-- Every active limit's spend in each past period given ([{period, period_start,
-- period_end}]), shaped like tokensync_budget_status's items plus period_end:
-- the whole period, or from a reset made inside it. A period that ended before
-- the limit was created is not its to alert (history imported on install, a
-- re-cost of last year under this year's limits).
create or replace function public.tokensync_past_period_usage(p_periods jsonb, p_at timestamptz)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.tokensync_budget_item(b, p.period, s.start, null, st.spent, l.amount)
                              || jsonb_build_object('period_end', p.period_end)
                            order by p.period_start, b.entity_type, b.entity_id, p.period), '[]'::jsonb)
    from jsonb_to_recordset(p_periods) as p(period text, period_start timestamptz, period_end timestamptz)
    join public.budget_limits b
      on b.is_active and b.created_at < p.period_end
     and case p.period when 'daily' then b.daily_limit is not null else b.monthly_limit is not null end
    cross join lateral (select case p.period when 'daily' then b.daily_limit else b.monthly_limit end as amount,
                               case p.period when 'daily' then b.daily_reset_at else b.monthly_reset_at end as reset_at) l
    cross join lateral (select case when l.reset_at >= p.period_start and l.reset_at < p.period_end
                                    then l.reset_at else p.period_start end as start) s
    cross join lateral public.tokensync_entity_standing(b.entity_type, b.entity_id, s.start, p.period_end, p_at) st;
$$;

-- " (late: the day ended at 2026-11-21 00:00 America/New_York)".
create or replace function public.tokensync_late_note(p_period text, p_period_end timestamptz, p_timezone text)
returns text
language sql
stable
set search_path = ''
as $$
  select format(' (late: the %s ended at %s %s)', case p_period when 'daily' then 'day' else 'month' end,
                to_char(p_period_end at time zone p_timezone, 'YYYY-MM-DD HH24:MI'), p_timezone);
$$;

-- As in 20261123001000_cost_alert_evaluation.sql, with messages that say how much
-- of the spend is estimated (tokensync_estimate_note, 20261205000600), plus the
-- past periods: those that ended since the last evaluation and those that late
-- rows (or a re-cost) changed.
create or replace function public.tokensync_evaluate_alerts(
  p_at       timestamptz default now(),
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_month_start timestamptz;
  v_month_end   timestamptz;
  v_past        jsonb;
  v_created     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_month_start := date_trunc('month', p_at, p_timezone);
  v_month_end := (((v_month_start at time zone p_timezone) + interval '1 month') at time zone p_timezone);
  -- Claimed first, in its own statement: the spend read below sees at least the rows of every hour claimed.
  select coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb) into v_past from public.tokensync_claim_past_periods(p_at, p_timezone) c;

  with usage as (
    select u.*, false as late, null::timestamptz as period_end
      from jsonb_to_recordset(public.tokensync_budget_status(p_at, p_timezone)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb)
    union all
    select u.budget_limit_id, u.entity_type, u.entity_id, u.period, u.period_start, u.session_id, u.spent,
           u.limit_amount, u.thresholds_reached, true, u.period_end
      from jsonb_to_recordset(public.tokensync_past_period_usage(v_past, p_at)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb, period_end timestamptz)
  ),
  -- How much of each spend is estimated (unpriced models at a fallback price), said in the message.
  usage_estimated as (
    select u.*,
           case when u.spent > 0 then public.tokensync_entity_estimated_spend(
                  u.entity_type, u.entity_id,
                  case when u.period = 'session' then '-infinity'::timestamptz else u.period_start end,
                  case when u.late then u.period_end - interval '1 microsecond' else p_at end, u.session_id)
                else 0 end as estimated
      from usage u
  ),
  crossings as (
    select u.*, t.pct::numeric as threshold_pct
      from usage_estimated u cross join lateral jsonb_array_elements_text(u.thresholds_reached) t(pct)
  ),
  threshold_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start, session_id,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind, late)
    select c.budget_limit_id, c.entity_type, c.entity_id, c.period, c.period_start, c.session_id,
           c.threshold_pct, c.spent, c.limit_amount, public.tokensync_alert_severity(c.threshold_pct),
           format('%s %L reached %s%% of its %s limit%s: %s of %s%s%s',
                  c.entity_type, c.entity_id, trim_scale(c.threshold_pct), c.period,
                  case when c.session_id is not null and c.entity_type <> 'session' then format(' in session %L', c.session_id) else '' end,
                  public.tokensync_format_usd(c.spent), public.tokensync_format_usd(c.limit_amount),
                  public.tokensync_estimate_note(c.estimated),
                  case when c.late then public.tokensync_late_note(c.period, c.period_end, p_timezone) else '' end),
           'threshold', c.late
      from crossings c
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  ),
  -- Run-rate over the elapsed part of the month, once at least a day has passed.
  projections as (
    select u.*,
           u.spent * extract(epoch from v_month_end - v_month_start) / extract(epoch from p_at - v_month_start) as projected,
           v_month_start + (p_at - v_month_start) * (u.limit_amount / u.spent) as limit_reached_at
      from usage_estimated u
     where not u.late and u.period = 'monthly' and u.limit_amount > 0 and u.spent > 0 and u.spent < u.limit_amount
       and p_at - v_month_start >= interval '1 day'
  ),
  forecast_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind,
                                         projected_amount, projected_date)
    select p.budget_limit_id, p.entity_type, p.entity_id, 'monthly', p.period_start, 100, p.spent, p.limit_amount,
           'warning',
           format('%s %L is on track to spend %s this month, past its %s monthly limit around %s%s',
                  p.entity_type, p.entity_id, public.tokensync_format_usd(round(p.projected, 2)),
                  public.tokensync_format_usd(p.limit_amount), to_char(p.limit_reached_at at time zone p_timezone, 'YYYY-MM-DD'),
                  public.tokensync_estimate_note(p.estimated, 'spend so far includes')),
           'forecast', round(p.projected, 6), (p.limit_reached_at at time zone p_timezone)::date
      from projections p
     where p.projected > p.limit_amount
    on conflict on constraint cost_alerts_once_per_period do nothing
    returning a.*
  )
  select coalesce(jsonb_agg(to_jsonb(n) order by n.kind desc, n.entity_type, n.entity_id, n.period, n.period_start, n.threshold_pct), '[]'::jsonb)
    into v_created
    from (select * from threshold_alerts union all select * from forecast_alerts) n;
  return v_created;
end;
$$;

revoke all on function
  public.tokensync_forward_claimed_hours(),
  public.tokensync_claim_past_periods(timestamptz, text),
  public.tokensync_past_period_usage(jsonb, timestamptz),
  public.tokensync_late_note(text, timestamptz, text)
from public, anon, authenticated;
grant execute on function
  public.tokensync_claim_past_periods(timestamptz, text),
  public.tokensync_past_period_usage(jsonb, timestamptz),
  public.tokensync_late_note(text, timestamptz, text)
to service_role;
