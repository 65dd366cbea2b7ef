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

-- npm run prices: the models the logs have seen since p_from (what a newer
-- catalogue's differences are listed for), with their call counts.
create or replace function public.tokensync_models_seen(p_from timestamptz)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('provider', s.provider, 'model', s.model, 'calls', s.calls)
                            order by s.provider, s.model), '[]'::jsonb)
    from (select l.provider, l.model, count(*)::bigint as calls
            from public.token_usage_logs l
           where l.created_at >= p_from
           group by l.provider, l.model) s;
$$;

-- npm run prices -- --apply: model_pricing rows from a checked JSON file (a JSON
-- array of objects keyed like the table's columns). A row whose (provider,
-- model, effective_from) is already there is left as it is, so applying the same
-- file twice changes nothing. Returns {"inserted": n, "existing": n}.
create or replace function public.tokensync_apply_model_pricing(p_rows jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_inserted integer;
begin
  if p_rows is null or jsonb_typeof(p_rows) <> 'array' then
    raise exception using errcode = '22023', message = 'p_rows must be a JSON array';
  end if;
  insert into public.model_pricing (
    provider, model, effective_from, input_per_mtok, output_per_mtok, cache_read_per_mtok,
    cache_write_per_mtok, reasoning_per_mtok, long_context_threshold_tokens, long_context_input_per_mtok,
    long_context_output_per_mtok, long_context_cache_read_per_mtok, long_context_cache_write_per_mtok,
    long_context_reasoning_per_mtok, notes)
  select r.provider, r.model, r.effective_from, r.input_per_mtok, r.output_per_mtok, r.cache_read_per_mtok,
         r.cache_write_per_mtok, r.reasoning_per_mtok, r.long_context_threshold_tokens, r.long_context_input_per_mtok,
         r.long_context_output_per_mtok, r.long_context_cache_read_per_mtok, r.long_context_cache_write_per_mtok,
         r.long_context_reasoning_per_mtok, r.notes
    from jsonb_to_recordset(p_rows) as r(
           provider text, model text, effective_from timestamptz, input_per_mtok numeric, output_per_mtok numeric,
           cache_read_per_mtok numeric, cache_write_per_mtok numeric, reasoning_per_mtok numeric,
           long_context_threshold_tokens integer, long_context_input_per_mtok numeric,
           long_context_output_per_mtok numeric, long_context_cache_read_per_mtok numeric,
           long_context_cache_write_per_mtok numeric, long_context_reasoning_per_mtok numeric, notes text)
  on conflict (provider, model, effective_from) do nothing;
  get diagnostics v_inserted = row_count;
  return jsonb_build_object('inserted', v_inserted, 'existing', jsonb_array_length(p_rows) - v_inserted);
end;
$$;

revoke all on function
  public.tokensync_models_seen(timestamptz),
  public.tokensync_apply_model_pricing(jsonb)
from public, anon, authenticated;
grant execute on function
  public.tokensync_models_seen(timestamptz),
  public.tokensync_apply_model_pricing(jsonb)
to service_role;
