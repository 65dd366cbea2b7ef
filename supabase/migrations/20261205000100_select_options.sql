-- tokensync: which values of an open-ended select (model, provider, service,
-- tier) are options in Notion, and which overflow.
--
-- Notion refuses a page that would give a select its 101st option, so a router
-- with hundreds of model ids had every call of every new model refused once the
-- Model select was full. The sync now decides, once per value, whether it gets
-- an option: while the property has room (p_capacity options, fewer than
-- Notion's 100 so people can still add their own) it does; past that the value
-- overflows: its pages show the overflow option and the exact value in a text
-- property next to it (docs/limits.md).
--
-- A decision is kept: a value never moves between option and overflow, so two
-- passes never disagree about a page. Only the values with an option are stored
-- (at most p_capacity, plus what people add in Notion): options are never taken
-- back, so once a select is full it stays full, and a value not stored then
-- overflows, now and later, however many distinct values arrive. When more new
-- values arrive than there is room for, the most used get the options: calls
-- with that value in the last seven days of token_usage_logs (every open select
-- is one of its columns), then by name. Names are compared folded (lower case,
-- as the engine folds them): Notion takes "GPT-4o" for the option "gpt-4o".

create table tokensync.select_options (
  dataset    text not null,
  property   text not null,
  folded     text not null,
  -- The option's name as Notion has it.
  name       text not null,
  decided_at timestamptz not null default clock_timestamp(),

  constraint select_options_pkey primary key (dataset, property, folded),
  constraint select_options_dataset_check check (public.tokensync_dataset_table(dataset) is not null),
  constraint select_options_property_check check (property in ('model', 'provider', 'service_type', 'tier'))
);

comment on table tokensync.select_options is
  'Per open select: the values that have a Notion option, with its name; any other value overflows.';

alter table tokensync.select_options enable row level security;
revoke all on table tokensync.select_options from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.select_options to service_role;

-- p_live: [{"name", "folded"}], the options Notion's schema has (and the
-- overflow option); p_values: [{"name", "folded", "raw"}], the values a batch
-- of rows shows (name: as it would be sent; raw: the column's value, to count
-- its calls). Returns {"<folded>": "<option name>" | null (overflows)} for p_values.
create or replace function public.tokensync_select_options(
  p_dataset  text,
  p_property text,
  p_live     jsonb,
  p_values   jsonb,
  p_capacity integer
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_room   integer;
  v_new    integer;
  v_result jsonb;
begin
  if p_property is null or p_property not in ('model', 'provider', 'service_type', 'tier') then
    raise exception using errcode = '22023', message = format('%L is not an open select (model, provider, service_type, tier)', p_property);
  end if;
  -- One decider per property at a time: two could otherwise both take the last option.
  perform pg_advisory_xact_lock(hashtext('tokensync.select_options'), hashtext(p_dataset || '.' || p_property));

  -- What Notion has is an option, whatever was decided before (someone may have added it by hand).
  insert into tokensync.select_options as o (dataset, property, folded, name)
  select distinct on (l ->> 'folded') p_dataset, p_property, l ->> 'folded', l ->> 'name'
    from jsonb_array_elements(coalesce(p_live, '[]'::jsonb)) l
   where l ->> 'folded' is not null
  on conflict (dataset, property, folded) do nothing;

  -- The values not decided yet.
  select count(distinct v ->> 'folded') into v_new
    from jsonb_array_elements(coalesce(p_values, '[]'::jsonb)) v
   where v ->> 'folded' is not null
     and not exists (select 1 from tokensync.select_options o
                      where o.dataset = p_dataset and o.property = p_property and o.folded = v ->> 'folded');
  select greatest(0, p_capacity - count(*)) into v_room
    from tokensync.select_options
   where dataset = p_dataset and property = p_property;

  -- Room for all of them needs no count; otherwise the calls of the last seven
  -- days rank them (the created_at index bounds the work, whatever the history).
  if v_new > 0 and v_room > 0 then
    execute format($sql$
      insert into tokensync.select_options (dataset, property, folded, name)
      select ranked.dataset, ranked.property, ranked.folded, ranked.name
        from (select $2 as dataset, $3 as property, c.folded, c.name,
                     row_number() over (order by coalesce(u.calls, 0) desc, c.folded) as rank
                from (select distinct on (v ->> 'folded') v ->> 'folded' as folded, v ->> 'name' as name, v ->> 'raw' as raw
                        from jsonb_array_elements(coalesce($1, '[]'::jsonb)) v
                       where v ->> 'folded' is not null
                         and not exists (select 1 from tokensync.select_options o
                                          where o.dataset = $2 and o.property = $3 and o.folded = v ->> 'folded')) c
                left join (select t.%1$I as raw, count(*) as calls
                             from public.token_usage_logs t
                            where $5 and t.created_at >= now() - interval '7 days'
                              and t.%1$I in (select v ->> 'raw' from jsonb_array_elements(coalesce($1, '[]'::jsonb)) v)
                            group by 1) u on u.raw = c.raw) ranked
       where ranked.rank <= $4
      on conflict do nothing
    $sql$, p_property)
    using p_values, p_dataset, p_property, v_room, v_new > v_room;
  end if;

  select coalesce(jsonb_object_agg(v.folded, o.name), '{}'::jsonb) into v_result
    from (select distinct x ->> 'folded' as folded
            from jsonb_array_elements(coalesce(p_values, '[]'::jsonb)) x
           where x ->> 'folded' is not null) v
    left join tokensync.select_options o
      on o.dataset = p_dataset and o.property = p_property and o.folded = v.folded;
  return v_result;
end;
$$;

comment on function public.tokensync_select_options(text, text, jsonb, jsonb, integer) is
  'Decides, once per value, whether an open select value gets a Notion option or overflows; returns the decisions.';

revoke all on function public.tokensync_select_options(text, text, jsonb, jsonb, integer) from public, anon, authenticated;
grant execute on function public.tokensync_select_options(text, text, jsonb, jsonb, integer) to service_role;
