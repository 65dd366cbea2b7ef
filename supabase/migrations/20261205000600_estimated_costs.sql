-- tokensync: unpriced is never free, and says so.
--
-- A call on a model neither the price catalogue nor model_pricing knows is
-- written by the SDK at a fallback price (its provider's dearest known model,
-- or the one PRICING_FALLBACK_MODELS names) with cost_estimated = true (added
-- by 20261205000400). This migration:
--
-- * carries cost_estimated through recost: tokensync_usage_to_recost reads it,
--   tokensync_apply_costs writes it (and counts a flag that clears as a change,
--   even when the real price equals the estimate);
-- * tokensync_unpriced_models: the estimated calls of a period per provider and
--   model, for the report page and `npm run verify`;
-- * the report figures gain unpriced_models (this month);
-- * alert messages say how much of the spend they report is estimated.
--
-- Budgets need no change: the fallback cost is in total_cost, which every
-- budget sums.

-- Estimated rows of a period, whatever their model: few rows, a small index.
create index token_usage_logs_estimated_time_idx on public.token_usage_logs (created_at)
  include (provider, model, total_cost) where cost_estimated;

-- ---------------------------------------------------------------------------
-- Recost: as in 20261123000600_model_pricing.sql, plus cost_estimated.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_usage_to_recost(
  p_from             timestamptz,
  p_to               timestamptz default null,
  p_model            text default null,
  p_after_created_at timestamptz default null,
  p_after_id         uuid default null,
  p_limit            integer default 1000
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_rows jsonb;
begin
  if p_from is null then
    raise exception using errcode = '22023', message = 'p_from is required';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception using errcode = '22023',
      message = format('p_limit must be between 1 and 10000, got %s', coalesce(p_limit::text, 'null'));
  end if;
  if (p_after_created_at is null) <> (p_after_id is null) then
    raise exception using errcode = '22023',
      message = 'a cursor needs both p_after_created_at and p_after_id, or neither';
  end if;

  select coalesce(jsonb_agg(jsonb_build_object(
           'id', page.id,
           'created_at', page.created_at,
           'provider', page.provider,
           'model', page.model,
           'prompt_tokens', page.prompt_tokens,
           'completion_tokens', page.completion_tokens,
           'cached_tokens', page.cached_tokens,
           'cache_write_tokens', page.cache_write_tokens,
           'reasoning_tokens', page.reasoning_tokens,
           'input_cost', page.input_cost::text,
           'output_cost', page.output_cost::text,
           'total_cost', page.total_cost::text,
           'cost_estimated', page.cost_estimated,
           'pricing_source', page.metadata #>> '{pricing,source}')
         order by page.created_at, page.id), '[]'::jsonb)
    into v_rows
    from (select l.* from public.token_usage_logs l
           where l.created_at >= p_from
             and (p_to is null or l.created_at < p_to)
             and (p_model is null or l.model = p_model)
             and (p_after_id is null or (l.created_at, l.id) > (p_after_created_at, p_after_id))
           order by l.created_at, l.id
           limit p_limit) page;

  return jsonb_build_object('rows', v_rows, 'has_more', jsonb_array_length(v_rows) = p_limit);
end;
$$;

-- New costs for rows by id: [{id, input_cost, output_cost, total_cost, cost_estimated, pricing}].
-- Only rows whose costs, flag or pricing note differ are written, so an
-- unchanged row keeps its updated_at and the sync does not touch its Notion page.
-- A caller that sends no cost_estimated (an older SDK) writes false.
-- Returns {"updated": n}.
create or replace function public.tokensync_apply_costs(p_costs jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_updated integer;
begin
  if p_costs is null or jsonb_typeof(p_costs) <> 'array' then
    raise exception using errcode = '22023',
      message = 'p_costs must be a JSON array of {id, input_cost, output_cost, total_cost, cost_estimated, pricing}';
  end if;
  update public.token_usage_logs l
     set input_cost = c.input_cost,
         output_cost = c.output_cost,
         total_cost = c.total_cost,
         cost_estimated = coalesce(c.cost_estimated, false),
         metadata = l.metadata || jsonb_build_object('pricing', c.pricing)
    from jsonb_to_recordset(p_costs) as c(id uuid, input_cost numeric, output_cost numeric, total_cost numeric,
                                          cost_estimated boolean, pricing jsonb)
   where l.id = c.id
     and (l.input_cost, l.output_cost, l.total_cost, l.cost_estimated, l.metadata -> 'pricing')
         is distinct from (c.input_cost, c.output_cost, c.total_cost, coalesce(c.cost_estimated, false), c.pricing);
  get diagnostics v_updated = row_count;
  return jsonb_build_object('updated', v_updated);
end;
$$;

-- ---------------------------------------------------------------------------
-- Unpriced models: estimated calls created in [p_from, p_to), per provider and
-- model, dearest first: [{provider, model, calls, estimated_spend, priced_as,
-- first_seen, last_seen}]. priced_as is the fallback of the latest such call.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_unpriced_models(
  p_from timestamptz default '-infinity',
  p_to   timestamptz default 'infinity'
)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'provider', m.provider, 'model', m.model, 'calls', m.calls, 'estimated_spend', m.spent,
           'priced_as', m.priced_as, 'first_seen', m.first_seen, 'last_seen', m.last_seen)
         order by m.spent desc, m.provider, m.model), '[]'::jsonb)
    from (select l.provider, l.model, count(*) as calls, coalesce(sum(l.total_cost), 0) as spent,
                 (array_agg(l.metadata #>> '{pricing,priced_as}' order by l.created_at desc))[1] as priced_as,
                 min(l.created_at) as first_seen, max(l.created_at) as last_seen
            from public.token_usage_logs l
           where l.cost_estimated and l.created_at >= p_from and l.created_at < p_to
           group by l.provider, l.model) m;
$$;

-- ---------------------------------------------------------------------------
-- Alerts: the estimated part of an entity's spend in [p_from, p_to] (inclusive,
-- like tokensync_entity_spend), optionally within one session.
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_entity_estimated_spend(
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
  -- cost_estimated first: the partial index holds only estimated rows, however long the history.
  execute format(
    'select coalesce(sum(l.total_cost), 0) from public.token_usage_logs l
      where l.cost_estimated and l.created_at >= $2 and l.created_at <= $3 and l.%I = $1
        and ($4::text is null or l.session_id = $4)', v_column)
    into v_spent
    using p_entity_id, p_from, p_to, p_session_id;
  return v_spent;
end;
$$;

-- " (includes $0.42 estimated for unpriced models)", or '' when nothing is estimated.
create or replace function public.tokensync_estimate_note(p_estimated numeric, p_lead text default 'includes')
returns text
language sql
immutable
set search_path = ''
as $$
  select case when coalesce(p_estimated, 0) > 0
    then format(' (%s %s estimated for unpriced models)', p_lead, public.tokensync_format_usd(p_estimated))
    else '' end;
$$;

-- As in 20261123001000_cost_alert_evaluation.sql; the messages now say how much
-- of the spend is estimated.
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
  v_created     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_month_start := date_trunc('month', p_at, p_timezone);
  v_month_end := (((v_month_start at time zone p_timezone) + interval '1 month') at time zone p_timezone);

  with usage as (
    select u.*
      from jsonb_to_recordset(public.tokensync_budget_status(p_at, p_timezone)) as u(
        budget_limit_id uuid, entity_type text, entity_id text, period text, period_start timestamptz,
        session_id text, spent numeric, limit_amount numeric, thresholds_reached jsonb)
  ),
  -- How much of each spend is estimated (unpriced models at a fallback price), said in the message.
  usage_estimated as (
    select u.*,
           case when u.spent > 0 then public.tokensync_entity_estimated_spend(
                  u.entity_type, u.entity_id,
                  case when u.period = 'session' then '-infinity'::timestamptz else u.period_start end,
                  p_at, u.session_id)
                else 0 end as estimated
      from usage u
  ),
  crossings as (
    select u.*, t.pct::numeric as threshold_pct
      from usage_estimated u cross join lateral jsonb_array_elements_text(u.thresholds_reached) t(pct)
  ),
  threshold_alerts as (
    insert into public.cost_alerts as a (budget_limit_id, entity_type, entity_id, period, period_start, session_id,
                                         threshold_pct, amount_spent, limit_amount, severity, message, kind)
    select c.budget_limit_id, c.entity_type, c.entity_id, c.period, c.period_start, c.session_id,
           c.threshold_pct, c.spent, c.limit_amount, public.tokensync_alert_severity(c.threshold_pct),
           format('%s %L reached %s%% of its %s limit%s: %s of %s%s',
                  c.entity_type, c.entity_id, trim_scale(c.threshold_pct), c.period,
                  case when c.session_id is not null and c.entity_type <> 'session' then format(' in session %L', c.session_id) else '' end,
                  public.tokensync_format_usd(c.spent), public.tokensync_format_usd(c.limit_amount),
                  public.tokensync_estimate_note(c.estimated)),
           'threshold'
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
     where u.period = 'monthly' and u.limit_amount > 0 and u.spent > 0 and u.spent < u.limit_amount
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
  select coalesce(jsonb_agg(to_jsonb(n) order by n.kind desc, n.entity_type, n.entity_id, n.period, n.threshold_pct), '[]'::jsonb)
    into v_created
    from (select * from threshold_alerts union all select * from forecast_alerts) n;
  return v_created;
end;
$$;


-- As in 20261123001100_report_figures.sql, plus unpriced_models (this month).
create or replace function public.tokensync_report_figures(
  p_at       timestamptz default now(),
  p_timezone text default 'UTC',
  p_top      integer default 5
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_day        timestamptz;
  v_week       timestamptz;
  v_month      timestamptz;
  v_month_end  timestamptz;
  v_month_days numeric;
  v_elapsed    numeric;
  v_mtd        numeric;
  v_result     jsonb;
begin
  p_at := coalesce(p_at, now());
  v_day := date_trunc('day', p_at, p_timezone);
  v_week := date_trunc('week', p_at, p_timezone);
  v_month := date_trunc('month', p_at, p_timezone);
  v_month_end := ((v_month at time zone p_timezone) + interval '1 month') at time zone p_timezone;
  v_month_days := extract(epoch from v_month_end - v_month) / 86400;
  v_elapsed := extract(epoch from p_at - v_month) / 86400;
  v_mtd := public.tokensync_spend_between(v_month, p_at);

  select jsonb_build_object(
    'generated_at', p_at,
    'timezone', p_timezone,
    'today', jsonb_build_object(
      'start', v_day,
      'spent', public.tokensync_spend_between(v_day, p_at),
      'yesterday_same_time', public.tokensync_spend_between(v_day - interval '1 day', p_at - interval '1 day'),
      'yesterday_total', public.tokensync_spend_between(v_day - interval '1 day', v_day)),
    'week', jsonb_build_object(
      'start', v_week,
      'spent', public.tokensync_spend_between(v_week, p_at),
      'last_week_same_span', public.tokensync_spend_between(v_week - interval '7 days', p_at - interval '7 days'),
      'last_week_total', public.tokensync_spend_between(v_week - interval '7 days', v_week)),
    'month', jsonb_build_object(
      'start', v_month,
      'spent', v_mtd,
      'days_elapsed', round(v_elapsed, 4),
      'days_in_month', v_month_days,
      'projected', case when v_elapsed >= 1 then round(v_mtd * v_month_days / v_elapsed, 6) end),
    'organization_budgets', coalesce((
      select jsonb_agg(jsonb_build_object(
               'organization', b.entity_id,
               'monthly_limit', b.monthly_limit,
               'spent', s.spent,
               'utilisation_pct', case when b.monthly_limit > 0 then round(s.spent * 100 / b.monthly_limit, 2) end,
               'projected', case when v_elapsed >= 1 then round(s.spent * v_month_days / v_elapsed, 6) end,
               'exhausted_on', case when s.spent >= b.monthly_limit then (p_at at time zone p_timezone)::date
                                    when s.spent > 0 and v_elapsed >= 1
                                     and b.monthly_limit * v_elapsed / s.spent < v_month_days
                                    then ((v_month + make_interval(secs => (b.monthly_limit * v_elapsed / s.spent * 86400)::double precision))
                                           at time zone p_timezone)::date end)
             order by b.entity_id)
        from public.budget_limits b
        cross join lateral (select public.tokensync_entity_spend('organization', b.entity_id, v_month, p_at) as spent) s
       where b.is_active and b.entity_type = 'organization' and b.monthly_limit is not null), '[]'::jsonb),
    'top_services', public.tokensync_spend_leaders('service', v_week, p_at, interval '7 days', p_top),
    'top_models', public.tokensync_spend_leaders('model', v_week, p_at, interval '7 days', p_top),
    'top_users', public.tokensync_spend_leaders('user', v_week, p_at, interval '7 days', p_top),
    'drivers', coalesce((
      select jsonb_agg(d order by abs((d->>'change')::numeric) desc) from (
        select jsonb_build_object('service', coalesce(n.service_type, b.service_type), 'model', coalesce(n.model, b.model),
                                  'spent', coalesce(n.spent, 0), 'previous', coalesce(b.spent, 0),
                                  'change', coalesce(n.spent, 0) - coalesce(b.spent, 0)) as d
          from (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                 where created_at >= v_week and created_at < p_at group by 1, 2) n
          full join (select service_type, model, sum(total_cost) as spent from public.token_usage_logs
                      where created_at >= v_week - interval '7 days' and created_at < p_at - interval '7 days' group by 1, 2) b
            on b.service_type = n.service_type and b.model = n.model
         order by abs(coalesce(n.spent, 0) - coalesce(b.spent, 0)) desc
         limit 3) t), '[]'::jsonb),
    'budgets', coalesce((
      select jsonb_agg(u) from jsonb_array_elements(public.tokensync_budget_status(p_at, p_timezone)) u
       where u->>'period' <> 'session'), '[]'::jsonb),
    'unpriced_models', public.tokensync_unpriced_models(v_month, p_at),
    'open_critical_alerts', coalesce((
      select jsonb_agg(jsonb_build_object('message', a.message, 'raised_at', a.created_at, 'entity_type', a.entity_type,
                                          'entity_id', a.entity_id, 'period', a.period) order by a.created_at desc)
        from (select * from public.cost_alerts where not acknowledged and severity = 'critical'
               order by created_at desc limit 10) a), '[]'::jsonb)
  ) into v_result;
  return v_result;
end;
$$;


revoke all on function
  public.tokensync_unpriced_models(timestamptz, timestamptz),
  public.tokensync_entity_estimated_spend(text, text, timestamptz, timestamptz, text),
  public.tokensync_estimate_note(numeric, text)
from public, anon, authenticated;
grant execute on function
  public.tokensync_unpriced_models(timestamptz, timestamptz),
  public.tokensync_entity_estimated_spend(text, text, timestamptz, timestamptz, text),
  public.tokensync_estimate_note(numeric, text)
to service_role;
