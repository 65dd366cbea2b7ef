-- tokensync: what the tracking SDK needs from the database.
--
-- * model_pricing: dated price overrides. The SDK prices calls from a maintained
--   catalogue (@pydantic/genai-prices); a row here replaces the catalogue's price
--   of one provider's model from effective_from on (negotiated rates, a price
--   change the catalogue does not know yet, an in-house model).
-- * tokensync_record_usage: the one write path for usage rows, idempotent by
--   request_id, so a retried batch never counts a call twice, whatever transport.
-- * tokensync_usage_to_recost / tokensync_apply_costs: keyset pages of past rows
--   and their new costs, for `npm run recost` after a price change.

-- ---------------------------------------------------------------------------
-- model_pricing: USD per million tokens, as providers publish them.
-- ---------------------------------------------------------------------------
create table public.model_pricing (
  id                                uuid primary key default gen_random_uuid(),
  created_at                        timestamptz not null default now(),
  updated_at                        timestamptz not null default clock_timestamp(),
  provider                          text not null,
  model                             text not null,
  effective_from                    timestamptz not null,
  input_per_mtok                    numeric(16,9) not null,
  output_per_mtok                   numeric(16,9) not null,
  cache_read_per_mtok               numeric(16,9),
  cache_write_per_mtok              numeric(16,9),
  reasoning_per_mtok                numeric(16,9),
  long_context_threshold_tokens     integer,
  long_context_input_per_mtok       numeric(16,9),
  long_context_output_per_mtok      numeric(16,9),
  long_context_cache_read_per_mtok  numeric(16,9),
  long_context_cache_write_per_mtok numeric(16,9),
  long_context_reasoning_per_mtok   numeric(16,9),
  notes                             text,

  -- Matching is case-insensitive, so 'OpenAI' and 'openai' must not be two prices.
  constraint model_pricing_model_from_key unique (provider, model, effective_from),
  constraint model_pricing_provider_lowercase check (provider = lower(btrim(provider)) and provider <> '' and char_length(provider) <= 100),
  constraint model_pricing_model_lowercase check (model = lower(btrim(model)) and model <> '' and char_length(model) <= 200),
  constraint model_pricing_effective_from_finite check (isfinite(effective_from)),
  constraint model_pricing_rates_non_negative check (
    input_per_mtok >= 0 and input_per_mtok <> 'NaN'
    and output_per_mtok >= 0 and output_per_mtok <> 'NaN'
    and coalesce(cache_read_per_mtok >= 0 and cache_read_per_mtok <> 'NaN', true)
    and coalesce(cache_write_per_mtok >= 0 and cache_write_per_mtok <> 'NaN', true)
    and coalesce(reasoning_per_mtok >= 0 and reasoning_per_mtok <> 'NaN', true)
    and coalesce(long_context_input_per_mtok >= 0 and long_context_input_per_mtok <> 'NaN', true)
    and coalesce(long_context_output_per_mtok >= 0 and long_context_output_per_mtok <> 'NaN', true)
    and coalesce(long_context_cache_read_per_mtok >= 0 and long_context_cache_read_per_mtok <> 'NaN', true)
    and coalesce(long_context_cache_write_per_mtok >= 0 and long_context_cache_write_per_mtok <> 'NaN', true)
    and coalesce(long_context_reasoning_per_mtok >= 0 and long_context_reasoning_per_mtok <> 'NaN', true)
  ),
  -- A long-context tier is all or nothing: a threshold with its input and output
  -- rates, or none of the long_context_* columns.
  constraint model_pricing_long_context_complete check (
    case when long_context_threshold_tokens is null then
      num_nonnulls(long_context_input_per_mtok, long_context_output_per_mtok, long_context_cache_read_per_mtok,
                   long_context_cache_write_per_mtok, long_context_reasoning_per_mtok) = 0
    else
      long_context_threshold_tokens > 0
      and long_context_input_per_mtok is not null and long_context_output_per_mtok is not null
    end
  ),
  constraint model_pricing_notes_bounded check (char_length(notes) <= 2000)
);

comment on table public.model_pricing is
  'Price overrides in USD per million tokens; a row applies to calls at or after effective_from, '
  'until a later row of the same provider and model.';
comment on column public.model_pricing.cache_read_per_mtok is 'Cached input tokens read; null = the input rate.';
comment on column public.model_pricing.cache_write_per_mtok is 'Input tokens written to the cache; null = the input rate.';
comment on column public.model_pricing.reasoning_per_mtok is 'Reasoning tokens (part of the output); null = the output rate.';
comment on column public.model_pricing.long_context_threshold_tokens is
  'When a call''s input tokens (cached and cache writes included) exceed this, the whole call is priced at the '
  'long_context_* rates; a null long-context cache or reasoning rate falls back to the long-context input or output rate.';

create trigger model_pricing_touch_updated_at
  before insert or update on public.model_pricing
  for each row execute function public.tokensync_touch_updated_at();

alter table public.model_pricing enable row level security;
revoke all on table public.model_pricing from anon, authenticated;
grant select, insert, update, delete on table public.model_pricing to service_role;

-- Every override, rates as text so that no client rounds them through a float.
create or replace function public.tokensync_model_pricing()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'provider', p.provider,
           'model', p.model,
           'effective_from', p.effective_from,
           'input_per_mtok', p.input_per_mtok::text,
           'output_per_mtok', p.output_per_mtok::text,
           'cache_read_per_mtok', p.cache_read_per_mtok::text,
           'cache_write_per_mtok', p.cache_write_per_mtok::text,
           'reasoning_per_mtok', p.reasoning_per_mtok::text,
           'long_context_threshold_tokens', p.long_context_threshold_tokens,
           'long_context_input_per_mtok', p.long_context_input_per_mtok::text,
           'long_context_output_per_mtok', p.long_context_output_per_mtok::text,
           'long_context_cache_read_per_mtok', p.long_context_cache_read_per_mtok::text,
           'long_context_cache_write_per_mtok', p.long_context_cache_write_per_mtok::text,
           'long_context_reasoning_per_mtok', p.long_context_reasoning_per_mtok::text)
         order by p.provider, p.model, p.effective_from), '[]'::jsonb)
    from public.model_pricing p;
$$;

-- ---------------------------------------------------------------------------
-- Writes from the SDK: one batch of usage rows (a JSON array of objects keyed
-- like the table's columns). A row whose request_id is already stored is
-- skipped, so a batch retried after a lost response changes nothing.
-- Returns {"inserted": n, "duplicates": n}. Any constraint violation rejects the
-- whole batch (the SDK then splits it to find the row).
-- ---------------------------------------------------------------------------
create or replace function public.tokensync_record_usage(p_rows jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_count    integer;
  v_inserted integer;
begin
  if p_rows is null or jsonb_typeof(p_rows) <> 'array' then
    raise exception using errcode = '22023', message = 'p_rows must be a JSON array of usage rows';
  end if;
  v_count := jsonb_array_length(p_rows);
  if v_count > 10000 then
    raise exception using errcode = '22023',
      message = format('p_rows holds %s rows; write at most 10000 per call', v_count);
  end if;

  insert into public.token_usage_logs (
    request_id, created_at, organization_id, user_id, session_id, tier, service_type,
    agent_id, agent_name, workflow_id, workflow_step, provider, model,
    prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
    input_cost, output_cost, total_cost, latency_ms, success, error_type, metadata)
  select r.request_id, coalesce(r.created_at, now()), r.organization_id, r.user_id, r.session_id, r.tier, r.service_type,
         r.agent_id, r.agent_name, r.workflow_id, r.workflow_step, r.provider, r.model,
         coalesce(r.prompt_tokens, 0), coalesce(r.completion_tokens, 0), coalesce(r.cached_tokens, 0),
         coalesce(r.cache_write_tokens, 0), coalesce(r.reasoning_tokens, 0),
         r.input_cost, r.output_cost, r.total_cost, r.latency_ms, coalesce(r.success, true), r.error_type,
         coalesce(r.metadata, '{}'::jsonb)
    from jsonb_populate_recordset(null::public.token_usage_logs, p_rows) r
  on conflict (request_id) do nothing;
  get diagnostics v_inserted = row_count;

  return jsonb_build_object('inserted', v_inserted, 'duplicates', v_count - v_inserted);
end;
$$;

-- ---------------------------------------------------------------------------
-- Re-costing: pages of rows created in [p_from, p_to), optionally of one model,
-- in (created_at, id) keyset order (never OFFSET), with what pricing needs.
-- Returns {"rows": [...], "has_more": bool}.
-- ---------------------------------------------------------------------------
create index token_usage_logs_created_at_id_idx on public.token_usage_logs (created_at, id);

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

-- New costs for rows by id: [{id, input_cost, output_cost, total_cost, pricing}].
-- Only rows whose costs or pricing note differ are written, so an unchanged row
-- keeps its updated_at and the sync does not touch its Notion page.
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
    raise exception using errcode = '22023', message = 'p_costs must be a JSON array of {id, input_cost, output_cost, total_cost, pricing}';
  end if;
  update public.token_usage_logs l
     set input_cost = c.input_cost,
         output_cost = c.output_cost,
         total_cost = c.total_cost,
         metadata = l.metadata || jsonb_build_object('pricing', c.pricing)
    from jsonb_to_recordset(p_costs) as c(id uuid, input_cost numeric, output_cost numeric, total_cost numeric, pricing jsonb)
   where l.id = c.id
     and (l.input_cost, l.output_cost, l.total_cost, l.metadata -> 'pricing')
         is distinct from (c.input_cost, c.output_cost, c.total_cost, c.pricing);
  get diagnostics v_updated = row_count;
  return jsonb_build_object('updated', v_updated);
end;
$$;

revoke all on function
  public.tokensync_model_pricing(),
  public.tokensync_record_usage(jsonb),
  public.tokensync_usage_to_recost(timestamptz, timestamptz, text, timestamptz, uuid, integer),
  public.tokensync_apply_costs(jsonb)
from public, anon, authenticated;
grant execute on function
  public.tokensync_model_pricing(),
  public.tokensync_record_usage(jsonb),
  public.tokensync_usage_to_recost(timestamptz, timestamptz, text, timestamptz, uuid, integer),
  public.tokensync_apply_costs(jsonb)
to service_role;
