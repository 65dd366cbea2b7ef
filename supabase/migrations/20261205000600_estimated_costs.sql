-- tokensync: unpriced is never free, and says so.
--
-- A call on a model neither the price catalogue nor model_pricing knows is
-- written by the SDK at a fallback price (its provider's dearest known model,
-- or the one PRICING_FALLBACK_MODELS names) with cost_estimated = true (added
-- by 20261205000400). This migration:
--
-- * carries cost_estimated through recost: tokensync_usage_to_recost reads it
--   (with what else pricing keeps in metadata: the price source, whether the
--   tokens were estimated, the service tier and one-hour cache writes),
--   tokensync_apply_costs writes it (and counts a flag that clears as a change,
--   even when the real price equals the estimate);
-- * tokensync_unpriced_models: the calls of a period priced at a fallback, per
--   provider and model, for the report page and `npm run verify`;
-- * tokensync_entity_estimated_spend and tokensync_estimate_note, with which the
--   alerts (20261205000800) say how much of their spend is estimated, and the
--   report figures (20261205001100) list the unpriced models of the month.
--
-- cost_estimated has a second reason too: tokens estimated from the call's text
-- (metadata.usage_estimated). Those calls are not an unpriced model: only rows
-- whose price is a fallback (metadata.pricing.source = 'estimated') count as one.
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
           'pricing_source', page.metadata #>> '{pricing,source}',
           'usage_estimated', page.metadata ? 'usage_estimated',
           'service_tier', page.metadata ->> 'service_tier',
           'cache_write_1h_tokens', case when jsonb_typeof(page.metadata -> 'cache_write_1h_tokens') = 'number'
                                         then (page.metadata ->> 'cache_write_1h_tokens')::numeric end)
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
             and l.metadata #>> '{pricing,source}' = 'estimated'
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
        and l.metadata #>> ''{pricing,source}'' = ''estimated''
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
