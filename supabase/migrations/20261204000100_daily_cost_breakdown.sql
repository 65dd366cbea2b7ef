-- tokensync: the daily cost breakdown every cost chart in Notion is drawn from.
--
-- One row per local day × service × provider × model, so its size grows with
-- days × dimensions, never with calls. Money is summed exactly (numeric), so a
-- chart total equals sum(total_cost) over the same days to the micro-dollar,
-- whatever happened to the raw-log pages in Notion.
--
-- tokensync_rollup_daily_costs recomputes whole local days and converges the
-- table on the result, with the same contract as the other two rollups:
-- identical rows are not touched, rows with no source left are deleted.

create table public.daily_cost_breakdown (
  id                 uuid primary key default gen_random_uuid(),
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default clock_timestamp(),
  metric_date        date not null,
  service_type       text not null,
  provider           text not null,
  model              text not null,
  requests           integer not null,
  failed_requests    integer not null,
  -- Calls whose price was unknown (total_cost null): their cost is not in total_cost.
  unpriced_requests  integer not null,
  prompt_tokens      bigint not null,
  completion_tokens  bigint not null,
  cached_tokens      bigint not null,
  total_tokens       bigint not null,
  input_cost         numeric(20,6) not null,
  output_cost        numeric(20,6) not null,
  total_cost         numeric(20,6) not null,

  constraint daily_cost_breakdown_key unique (metric_date, service_type, provider, model),
  constraint daily_cost_breakdown_counts_non_negative check (
    requests >= 0 and failed_requests between 0 and requests and unpriced_requests between 0 and requests),
  constraint daily_cost_breakdown_tokens_non_negative check (
    prompt_tokens >= 0 and completion_tokens >= 0 and cached_tokens >= 0 and total_tokens >= 0),
  constraint daily_cost_breakdown_cost_non_negative check (input_cost >= 0 and output_cost >= 0 and total_cost >= 0)
);

comment on table public.daily_cost_breakdown is
  'Cost per local day (REPORT_TIMEZONE), service, provider and model; maintained by tokensync from token_usage_logs.';

create trigger daily_cost_breakdown_touch_updated_at
  before insert or update on public.daily_cost_breakdown
  for each row execute function public.tokensync_touch_updated_at();
create index daily_cost_breakdown_keyset_idx on public.daily_cost_breakdown (updated_at, id);

alter table public.daily_cost_breakdown enable row level security;
revoke all on table public.daily_cost_breakdown from anon, authenticated;
grant select, insert, update, delete on table public.daily_cost_breakdown to service_role;

create or replace function public.tokensync_rollup_daily_costs(
  p_from     date,
  p_to       date,
  p_timezone text default 'UTC'
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_bounds  record;
  v_changed integer;
  v_deleted integer;
begin
  select * into v_bounds from public.tokensync_local_day_bounds(p_from, p_to, p_timezone);

  with fresh as (
    select (l.created_at at time zone p_timezone)::date as metric_date,
           l.service_type,
           l.provider,
           l.model,
           count(*)::integer as requests,
           count(*) filter (where not l.success)::integer as failed_requests,
           count(*) filter (where l.total_cost is null)::integer as unpriced_requests,
           coalesce(sum(l.prompt_tokens), 0)::bigint as prompt_tokens,
           coalesce(sum(l.completion_tokens), 0)::bigint as completion_tokens,
           coalesce(sum(l.cached_tokens), 0)::bigint as cached_tokens,
           coalesce(sum(l.total_tokens), 0)::bigint as total_tokens,
           coalesce(sum(l.input_cost), 0) as input_cost,
           coalesce(sum(l.output_cost), 0) as output_cost,
           coalesce(sum(l.total_cost), 0) as total_cost
      from public.token_usage_logs l
     where l.created_at >= v_bounds.range_start and l.created_at < v_bounds.range_end
     group by 1, 2, 3, 4
  ),
  upserted as (
    insert into public.daily_cost_breakdown as d (
      metric_date, service_type, provider, model, requests, failed_requests, unpriced_requests,
      prompt_tokens, completion_tokens, cached_tokens, total_tokens, input_cost, output_cost, total_cost)
    select * from fresh
    on conflict (metric_date, service_type, provider, model) do update set
      requests = excluded.requests,
      failed_requests = excluded.failed_requests,
      unpriced_requests = excluded.unpriced_requests,
      prompt_tokens = excluded.prompt_tokens,
      completion_tokens = excluded.completion_tokens,
      cached_tokens = excluded.cached_tokens,
      total_tokens = excluded.total_tokens,
      input_cost = excluded.input_cost,
      output_cost = excluded.output_cost,
      total_cost = excluded.total_cost
    where (d.requests, d.failed_requests, d.unpriced_requests, d.prompt_tokens, d.completion_tokens,
           d.cached_tokens, d.total_tokens, d.input_cost, d.output_cost, d.total_cost)
      is distinct from
          (excluded.requests, excluded.failed_requests, excluded.unpriced_requests, excluded.prompt_tokens,
           excluded.completion_tokens, excluded.cached_tokens, excluded.total_tokens, excluded.input_cost,
           excluded.output_cost, excluded.total_cost)
    returning 1
  ),
  deleted as (
    delete from public.daily_cost_breakdown d
     where d.metric_date between p_from and p_to
       and not exists (
         select 1 from fresh f
          where f.metric_date = d.metric_date and f.service_type = d.service_type
            and f.provider = d.provider and f.model = d.model)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from deleted) into v_changed, v_deleted;

  return jsonb_build_object('changed', v_changed, 'deleted', v_deleted);
end;
$$;

revoke all on function public.tokensync_rollup_daily_costs(date, date, text) from public, anon, authenticated;
grant execute on function public.tokensync_rollup_daily_costs(date, date, text) to service_role;
