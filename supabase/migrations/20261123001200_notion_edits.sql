-- tokensync: the two edits stakeholders may make in Notion, carried back to
-- Supabase (which stays the source of truth): acknowledging a cost alert, and
-- changing a budget limit's daily, monthly or session limit or its Active flag.
--
-- An edit is a difference between the page and the row. When both changed
-- since they last agreed, the newer side wins: the edit applies only if the page
-- was edited after the row's updated_at (Notion reports edit times to the
-- minute, so a tie within a minute goes to Supabase). Every decision is logged
-- with the page, the editor and what was overwritten.

create schema if not exists tokensync;

create table tokensync.notion_edit_log (
  id          bigint generated always as identity primary key,
  logged_at   timestamptz not null default now(),
  dataset     text not null,
  row_id      uuid not null,
  page_id     text not null,
  editor      text,
  edited_at   timestamptz not null,
  outcome     text not null,
  reason      text,
  overwritten jsonb,
  applied     jsonb,
  constraint notion_edit_log_outcome_check check (outcome in ('applied', 'superseded', 'rejected', 'gone'))
);
create index notion_edit_log_row_idx on tokensync.notion_edit_log (dataset, row_id, logged_at);

/** Where polling for edits resumes, per dataset (Notion's last_edited_time). */
create table tokensync.notion_edit_cursors (
  dataset      text primary key,
  edited_after timestamptz not null
);

create or replace function public.tokensync_edit_cursor(p_dataset text)
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select edited_after from tokensync.notion_edit_cursors where dataset = p_dataset;
$$;

create or replace function public.tokensync_set_edit_cursor(p_dataset text, p_edited_after timestamptz)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into tokensync.notion_edit_cursors (dataset, edited_after) values (p_dataset, p_edited_after)
  on conflict (dataset) do update set edited_after = greatest(tokensync.notion_edit_cursors.edited_after, excluded.edited_after);
$$;

create or replace function public.tokensync_log_edit(
  p_dataset text, p_row_id uuid, p_page_id text, p_editor text, p_edited_at timestamptz,
  p_outcome text, p_reason text, p_overwritten jsonb, p_applied jsonb
)
returns jsonb
language sql
volatile
security definer
set search_path = ''
as $$
  insert into tokensync.notion_edit_log (dataset, row_id, page_id, editor, edited_at, outcome, reason, overwritten, applied)
  values (p_dataset, p_row_id, p_page_id, p_editor, p_edited_at, p_outcome, p_reason, p_overwritten, p_applied);
  select jsonb_build_object('outcome', p_outcome, 'reason', p_reason, 'overwritten', p_overwritten, 'applied', p_applied);
$$;

-- Acknowledged ticked (or unticked) on a Cost Alerts page.
create or replace function public.tokensync_apply_acknowledgement(
  p_alert_id uuid, p_acknowledged boolean, p_editor text, p_edited_at timestamptz, p_page_id text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_alert public.cost_alerts;
begin
  select * into v_alert from public.cost_alerts where id = p_alert_id for update;
  if not found then
    return public.tokensync_log_edit('cost_alerts', p_alert_id, p_page_id, p_editor, p_edited_at, 'gone', 'the alert no longer exists', null, null);
  end if;
  if v_alert.acknowledged = p_acknowledged then
    return jsonb_build_object('outcome', 'unchanged');
  end if;
  if v_alert.updated_at > p_edited_at then
    return public.tokensync_log_edit('cost_alerts', p_alert_id, p_page_id, p_editor, p_edited_at, 'superseded',
      'the alert changed in Supabase after the page was edited', null, jsonb_build_object('acknowledged', p_acknowledged));
  end if;
  update public.cost_alerts
     set acknowledged = p_acknowledged,
         acknowledged_by = case when p_acknowledged then p_editor end,
         acknowledged_at = case when p_acknowledged then p_edited_at end
   where id = p_alert_id;
  return public.tokensync_log_edit('cost_alerts', p_alert_id, p_page_id, p_editor, p_edited_at, 'applied', null,
    jsonb_build_object('acknowledged', v_alert.acknowledged, 'acknowledged_by', v_alert.acknowledged_by, 'acknowledged_at', v_alert.acknowledged_at),
    jsonb_build_object('acknowledged', p_acknowledged));
end;
$$;

-- Limits or Active changed on a Budget Limits page. p_edit holds only the fields
-- read from the page: daily_limit, monthly_limit, session_limit (numbers or null)
-- and is_active (boolean). Invalid values are rejected, not clamped; a rejection
-- returns the row's current values so the page can be put back.
create or replace function public.tokensync_apply_budget_edit(
  p_limit_id uuid, p_edit jsonb, p_editor text, p_edited_at timestamptz, p_page_id text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_limit   public.budget_limits;
  v_current jsonb;
  v_wanted  jsonb;
  v_field   text;
  v_value   jsonb;
begin
  select * into v_limit from public.budget_limits where id = p_limit_id for update;
  if not found then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'gone', 'the limit no longer exists', null, null);
  end if;
  v_current := jsonb_build_object('daily_limit', v_limit.daily_limit, 'monthly_limit', v_limit.monthly_limit,
                                  'session_limit', v_limit.session_limit, 'is_active', v_limit.is_active);
  v_wanted := v_current || (p_edit - array(select k from jsonb_object_keys(p_edit) k where k not in ('daily_limit', 'monthly_limit', 'session_limit', 'is_active')));
  if v_wanted = v_current then
    return jsonb_build_object('outcome', 'unchanged');
  end if;

  for v_field, v_value in select * from jsonb_each(v_wanted) loop
    if v_field <> 'is_active' and jsonb_typeof(v_value) not in ('number', 'null') then
      return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected',
        format('%s must be a number, got %s', v_field, v_value), null, p_edit) || jsonb_build_object('current', v_current);
    end if;
    if v_field <> 'is_active' and jsonb_typeof(v_value) = 'number' and (v_value::text)::numeric < 0 then
      return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected',
        format('%s must be 0 or more, got %s', v_field, v_value), null, p_edit) || jsonb_build_object('current', v_current);
    end if;
  end loop;
  if v_wanted->'daily_limit' = 'null' and v_wanted->'monthly_limit' = 'null' and v_wanted->'session_limit' = 'null' then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected',
      'a limit needs at least one of daily, monthly or session', null, p_edit) || jsonb_build_object('current', v_current);
  end if;
  if v_limit.updated_at > p_edited_at then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'superseded',
      'the limit changed in Supabase after the page was edited', null, p_edit);
  end if;

  update public.budget_limits
     set daily_limit = (v_wanted->>'daily_limit')::numeric,
         monthly_limit = (v_wanted->>'monthly_limit')::numeric,
         session_limit = (v_wanted->>'session_limit')::numeric,
         is_active = (v_wanted->>'is_active')::boolean
   where id = p_limit_id;
  return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'applied', null, v_current, v_wanted);
exception
  when check_violation or numeric_value_out_of_range then
    return public.tokensync_log_edit('budget_limits', p_limit_id, p_page_id, p_editor, p_edited_at, 'rejected', sqlerrm, null, p_edit)
           || jsonb_build_object('current', v_current);
end;
$$;

-- The poller sends every edited page of a dataset at once: one round trip, not one per page.
-- Each element: {row_id, page_id, editor, edited_at} plus acknowledged / changes.
-- Returns the outcomes in the same order.
create or replace function public.tokensync_apply_acknowledgements(p_edits jsonb)
returns jsonb
language sql
volatile
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.tokensync_apply_acknowledgement(
           (e->>'row_id')::uuid, (e->>'acknowledged')::boolean, e->>'editor', (e->>'edited_at')::timestamptz, e->>'page_id')
         order by x.ord), '[]'::jsonb)
    from jsonb_array_elements(p_edits) with ordinality as x(e, ord);
$$;

create or replace function public.tokensync_apply_budget_edits(p_edits jsonb)
returns jsonb
language sql
volatile
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.tokensync_apply_budget_edit(
           (e->>'row_id')::uuid, e->'changes', e->>'editor', (e->>'edited_at')::timestamptz, e->>'page_id')
         order by x.ord), '[]'::jsonb)
    from jsonb_array_elements(p_edits) with ordinality as x(e, ord);
$$;

revoke all on table tokensync.notion_edit_log, tokensync.notion_edit_cursors from public;
grant select on table tokensync.notion_edit_log to service_role;
revoke all on function public.tokensync_edit_cursor(text), public.tokensync_set_edit_cursor(text, timestamptz),
  public.tokensync_log_edit(text, uuid, text, text, timestamptz, text, text, jsonb, jsonb),
  public.tokensync_apply_acknowledgement(uuid, boolean, text, timestamptz, text),
  public.tokensync_apply_budget_edit(uuid, jsonb, text, timestamptz, text),
  public.tokensync_apply_acknowledgements(jsonb), public.tokensync_apply_budget_edits(jsonb) from public, anon, authenticated;
grant execute on function public.tokensync_edit_cursor(text), public.tokensync_set_edit_cursor(text, timestamptz),
  public.tokensync_apply_acknowledgement(uuid, boolean, text, timestamptz, text),
  public.tokensync_apply_budget_edit(uuid, jsonb, text, timestamptz, text),
  public.tokensync_apply_acknowledgements(jsonb), public.tokensync_apply_budget_edits(jsonb) to service_role;
