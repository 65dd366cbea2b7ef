-- tokensync: service tiers and one-hour cache writes reach recost.
--
-- A call's service tier (OpenAI/Anthropic batch, OpenAI flex and priority) and
-- its one-hour cache writes (Anthropic) change its price. They are stored in
-- the row's metadata (metadata.service_tier, metadata.cache_write_1h_tokens),
-- not in columns: nothing filters or sums by them in SQL. Recost reads them
-- here so that re-pricing a batch call keeps its discount and a one-hour cache
-- write its rate. Only this function changes; no column is added.

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
