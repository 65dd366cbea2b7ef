-- tokensync: service tiers and one-hour cache writes reach recost.
--
-- A call's service tier (OpenAI/Anthropic batch, OpenAI flex and priority) and
-- its one-hour cache writes (Anthropic) change its price. They are stored in
-- the row's metadata (metadata.service_tier, metadata.cache_write_1h_tokens),
-- not in columns: nothing filters or sums by them in SQL. Recost reads them
-- (tokensync_usage_to_recost, 20261205000600) so that re-pricing a batch call
-- keeps its discount and a one-hour cache write its rate. No column is added;
-- this migration adds what `npm run prices` reads and writes.

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
