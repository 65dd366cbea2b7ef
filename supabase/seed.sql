-- tokensync: the eight budget limits of the original setup (DESIGN.md §2).
-- Idempotent: a limit that already exists keeps the values it has (they may have
-- been edited since, in SQL or from Notion).
insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, breach_action, description)
values
  ('organization', 'mvp',              50, 500, 'alert', 'Whole organization'),
  ('service',      '1:1_conversation',  5, 100, 'alert', '1:1 conversations'),
  ('service',      'virtual_panel',    10, 200, 'alert', 'Virtual panels'),
  ('service',      'workflow',         15, 300, 'alert', 'Workflows'),
  ('service',      'solution_builder', 20, 400, 'alert', 'Solution builder'),
  ('tier',         'tier_1',           30, 600, 'alert', 'Tier 1 users'),
  ('tier',         'tier_2',           15, 300, 'alert', 'Tier 2 users'),
  ('tier',         'tier_3',            5, 100, 'alert', 'Tier 3 users')
on conflict (entity_type, entity_id) do nothing;
