-- tokensync: two more facts per logged call.
--
-- feature: which product feature made the call. Budgets may guard a feature
-- like any other entity, and a feature may require a subscription tier.
--
-- cost_estimated: the cost is not the provider's price but a conservative
-- stand-in (a model the price catalogue does not know is counted at its
-- provider's dearest known price). Unpriced is never free: the call counts in
-- every budget at that price, and `npm run recost` replaces it once the model is
-- priced.

alter table public.token_usage_logs
  add column feature text,
  add column cost_estimated boolean not null default false,
  add constraint token_usage_logs_feature_bounded check (char_length(feature) <= 255);

comment on column public.token_usage_logs.feature is 'The product feature that made the call; budgets and tier gates may apply to it.';
comment on column public.token_usage_logs.cost_estimated is
  'true: the cost is a stand-in: the model had no price (priced at a fallback, metadata.pricing), or the provider reported no usage and the tokens were estimated from the text (metadata.usage_estimated).';

create index token_usage_logs_feature_time_idx on public.token_usage_logs (feature, created_at) where feature is not null;
create index token_usage_logs_estimated_idx on public.token_usage_logs (model, created_at) where cost_estimated;

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
    agent_id, agent_name, workflow_id, workflow_step, feature, provider, model,
    prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
    input_cost, output_cost, total_cost, cost_estimated, latency_ms, success, error_type, metadata)
  select r.request_id, coalesce(r.created_at, now()), r.organization_id, r.user_id, r.session_id, r.tier, r.service_type,
         r.agent_id, r.agent_name, r.workflow_id, r.workflow_step, r.feature, r.provider, r.model,
         coalesce(r.prompt_tokens, 0), coalesce(r.completion_tokens, 0), coalesce(r.cached_tokens, 0),
         coalesce(r.cache_write_tokens, 0), coalesce(r.reasoning_tokens, 0),
         r.input_cost, r.output_cost, r.total_cost, coalesce(r.cost_estimated, false), r.latency_ms,
         coalesce(r.success, true), r.error_type, coalesce(r.metadata, '{}'::jsonb)
    from jsonb_populate_recordset(null::public.token_usage_logs, p_rows) r
  on conflict (request_id) do nothing;
  get diagnostics v_inserted = row_count;

  return jsonb_build_object('inserted', v_inserted, 'duplicates', v_count - v_inserted);
end;
$$;
