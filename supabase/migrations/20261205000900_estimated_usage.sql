-- tokensync: two reasons for an estimated cost.
--
-- cost_estimated now also marks a call whose tokens were estimated from its text
-- (the provider reported no usage; metadata.usage_estimated says how). The
-- unpriced-models list (report page, verify) and the estimated part of an alert's
-- spend are about prices only: they take the rows priced at a fallback
-- (metadata.pricing.source = 'estimated'). Recost is told which rows had their
-- tokens estimated, so that pricing their model does not clear the flag.

comment on column public.token_usage_logs.cost_estimated is
  'true: the cost is a stand-in: the model had no price (priced at a fallback, metadata.pricing), or the provider reported no usage and the tokens were estimated from the text (metadata.usage_estimated).';

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
           'usage_estimated', page.metadata ? 'usage_estimated')
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
