-- tokensync: the read-only budget question with the whole answer.
--
-- check_user_budget answers (allowed, reason, remaining_budget), a contract kept
-- as it is. The SDK's checkBudget asks this instead: the same decision as a
-- reservation (every limit and quota that applies, agents and features
-- included), holding nothing, with what remains in tokens, the tokens needed,
-- the warnings and whether a higher tier would allow it.
create or replace function public.tokensync_budget_question(
  p_request  jsonb,
  p_at       timestamptz default null,
  p_timezone text default 'UTC'
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  select public.tokensync_budget_decide(p_request, false, coalesce(p_at, now()), p_timezone) - 'hold_id' - 'expires_at';
$$;

revoke all on function public.tokensync_budget_question(jsonb, timestamptz, text) from public, anon, authenticated;
grant execute on function public.tokensync_budget_question(jsonb, timestamptz, text) to service_role;
