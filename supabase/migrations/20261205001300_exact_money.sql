-- tokensync: exact money.
--
-- A call's cost was stored in numeric(14,6), so every call was rounded to the
-- micro-dollar before anything summed it: a million calls of $0.0000015 were
-- $2.00, not $1.50. Rates carry 9 decimals per million tokens, so a call's exact
-- cost has at most 15 decimals (16 after a batch discount); the SDK computes it
-- in integers and writes it whole. Every column that holds a cost or a sum of
-- costs becomes unconstrained numeric, which stores any decimal exactly, and the
-- sums over them (rollups, spend buckets, budget decisions, alerts, the report) are
-- exact with no change to the functions that compute them. Rounding is left to
-- display (Notion, the report, the CLI).
--
-- Widening numeric(p,s) to unconstrained numeric rewrites no table. The views
-- that read these columns must be dropped for the change and are recreated as
-- they were, two materialized views repopulated; mv_user_spending_summary is
-- recreated once, with local days, by 20261205001710_rollups_by_organization_zone.sql
-- (nothing reads it in between), so history is not aggregated twice.

drop view public.mv_daily_cost_breakdown;
drop materialized view public.mv_user_spending_summary;
drop materialized view public.mv_service_performance;
drop materialized view public.mv_workflow_efficiency;

alter table public.token_usage_logs
  alter column input_cost  type numeric,
  alter column output_cost type numeric,
  alter column total_cost  type numeric;

alter table public.daily_cost_breakdown
  alter column input_cost  type numeric,
  alter column output_cost type numeric,
  alter column total_cost  type numeric;

alter table tokensync.spend_hourly alter column spent type numeric;
alter table public.service_performance_metrics alter column total_cost type numeric;
alter table public.workflow_analytics alter column total_cost type numeric;
alter table public.cost_alerts
  alter column amount_spent     type numeric,
  alter column projected_amount type numeric;
-- tokensync.budget_spend keeps whole cents: it is what Budget Limits shows in
-- Notion, and a page rewritten for every sub-cent of spend would spend Notion's
-- rate limit on a figure no reader sees move. Budget decisions never read it.

-- The old columns refused an infinite cost by overflowing; the bound is now
-- explicit, at the same place (no single call costs $100M: that is a unit
-- mistake). NaN is left to the *_non_negative constraints, which name the column.
alter table public.token_usage_logs
  add constraint token_usage_logs_costs_finite check (
        (input_cost < 100000000 or input_cost = 'NaN')
    and (output_cost < 100000000 or output_cost = 'NaN')
    and (total_cost < 100000000 or total_cost = 'NaN')) not valid;
alter table public.token_usage_logs validate constraint token_usage_logs_costs_finite;

-- ---------------------------------------------------------------------------
-- The views, as they were.
-- ---------------------------------------------------------------------------
create view public.mv_daily_cost_breakdown
with (security_invoker = true)
as
select d.metric_date as usage_date,
       d.service_type,
       d.provider,
       d.model,
       d.requests::bigint as requests,
       d.failed_requests::bigint as failed_requests,
       d.prompt_tokens,
       d.completion_tokens,
       d.cached_tokens,
       d.total_tokens,
       d.total_cost::numeric as total_cost,
       d.unpriced_requests::bigint as unpriced_requests,
       null::bigint as unique_users
  from public.daily_cost_breakdown d;

comment on view public.mv_daily_cost_breakdown is
  'Kept for SQL users of the seed: cost per local day (REPORT_TIMEZONE), service, provider and model, read from daily_cost_breakdown.';

revoke all on public.mv_daily_cost_breakdown from public, anon, authenticated;
grant select on public.mv_daily_cost_breakdown to service_role;



create materialized view public.mv_service_performance as
select l.service_type,
       l.provider,
       l.model,
       count(*)::bigint as requests,
       round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
       round(avg(l.latency_ms), 2) as avg_latency_ms,
       round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_latency_ms,
       sum(l.total_tokens)::bigint as total_tokens,
       coalesce(sum(l.total_cost), 0) as total_cost,
       round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_request
  from public.token_usage_logs l
 group by l.service_type, l.provider, l.model;
create unique index mv_service_performance_key on public.mv_service_performance (service_type, provider, model);

create materialized view public.mv_workflow_efficiency as
select l.workflow_id,
       l.workflow_step,
       count(*)::bigint as executions,
       count(distinct l.session_id)::bigint as sessions,
       round(count(*) filter (where l.success)::numeric / count(*), 6) as success_rate,
       round(avg(l.latency_ms), 2) as avg_duration_ms,
       round(percentile_cont(0.95) within group (order by l.latency_ms)::numeric, 2) as p95_duration_ms,
       round(avg(l.total_tokens), 2) as avg_tokens_per_execution,
       coalesce(sum(l.total_cost), 0) as total_cost,
       round(coalesce(sum(l.total_cost), 0) / count(*), 6) as avg_cost_per_execution
  from public.token_usage_logs l
 where l.workflow_id is not null
 group by l.workflow_id, l.workflow_step;
create unique index mv_workflow_efficiency_key
  on public.mv_workflow_efficiency (workflow_id, workflow_step) nulls not distinct;

revoke all on public.mv_service_performance, public.mv_workflow_efficiency from public, anon, authenticated;
grant select on public.mv_service_performance, public.mv_workflow_efficiency to service_role;
