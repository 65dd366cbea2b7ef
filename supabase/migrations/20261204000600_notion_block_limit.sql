-- tokensync: what every process must know when Notion stops creating blocks.
--
-- A Free Notion workspace with more than one member has 1,000 lifetime blocks;
-- past them (and a three-day grace) every request that creates a page or block
-- fails with 403 restricted_resource + additional_data.block_limit, while
-- reads and edits in place still work. The first process that meets that
-- answer records it here, so every worker process, the CLI and a restart stop
-- sending creates at once instead of each finding out by failing.
--
-- * tokensync.notion_creation: one row; stopped_at set while creation is
--   stopped. probe_at spaces out the single create that checks whether the
--   workspace has been upgraded (at most one per interval, across processes).
-- * tokensync.notion_creation_held: per dataset, the keyset cursor before the
--   first row whose create was held back. When creation resumes the dataset's
--   checkpoint goes back there, so held rows are read and created again (rows
--   already in Notion are unchanged and cost nothing).

create table tokensync.notion_creation (
  singleton       boolean primary key default true,
  stopped_at      timestamptz,
  request_id      text,
  message         text,
  refused         integer not null default 0,
  last_refused_at timestamptz,
  probe_at        timestamptz,

  constraint notion_creation_singleton check (singleton)
);

create table tokensync.notion_creation_held (
  dataset          text primary key,
  after_updated_at timestamptz,
  after_id         uuid,
  held_at          timestamptz not null default clock_timestamp(),

  constraint notion_creation_held_dataset_check check (public.tokensync_dataset_table(dataset) is not null),
  constraint notion_creation_held_cursor_complete check ((after_updated_at is null) = (after_id is null))
);

comment on table tokensync.notion_creation is 'Whether Notion refuses to create blocks (the Free-workspace block limit), for every process.';
comment on table tokensync.notion_creation_held is 'Per dataset, where rows whose create was held back start.';

-- {stopped, stopped_at, request_id, message, refused, last_refused_at, held: {dataset: n}}
create or replace function public.tokensync_notion_creation_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'stopped', c.stopped_at is not null,
    'stopped_at', c.stopped_at,
    'request_id', c.request_id,
    'message', c.message,
    'refused', coalesce(c.refused, 0),
    'last_refused_at', c.last_refused_at,
    'held_datasets', coalesce((select jsonb_agg(h.dataset order by h.dataset) from tokensync.notion_creation_held h), '[]'::jsonb)
  )
  from (select 1) one
  left join tokensync.notion_creation c on c.singleton;
$$;

-- Notion refused a create for the block limit. The first refusal stops
-- creation; later ones (a process that had not heard yet, or a probe) count.
create or replace function public.tokensync_notion_creation_stop(p_request_id text, p_message text)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  insert into tokensync.notion_creation as c (singleton, stopped_at, request_id, message, refused, last_refused_at, probe_at)
  values (true, clock_timestamp(), p_request_id, p_message, 1, clock_timestamp(), clock_timestamp())
  on conflict (singleton) do update
    set stopped_at = coalesce(c.stopped_at, excluded.stopped_at),
        request_id = excluded.request_id,
        message = excluded.message,
        refused = c.refused + 1,
        last_refused_at = excluded.last_refused_at,
        probe_at = excluded.probe_at;
  select public.tokensync_notion_creation_status();
$$;

-- Moves p_dataset's checkpoint back before its held rows (and forgets them):
-- its next pass reads them again. Rows already in Notion cost nothing there.
create or replace function public.tokensync_notion_creation_rewind(p_dataset text)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_held tokensync.notion_creation_held;
begin
  delete from tokensync.notion_creation_held where dataset = p_dataset returning * into v_held;
  if v_held.dataset is null then
    return false;
  end if;
  update tokensync.sync_checkpoints c
     set after_updated_at = v_held.after_updated_at, after_id = v_held.after_id, updated_at = clock_timestamp()
   where c.dataset = p_dataset
     and c.after_id is not null
     and (v_held.after_id is null or (c.after_updated_at, c.after_id) > (v_held.after_updated_at, v_held.after_id));
  return true;
end;
$$;

-- Whether a pass of p_dataset may send creates: 'works' while creation is not
-- stopped. While it is, one pass per p_every_ms (across processes and
-- datasets) gets 'check': its dataset's checkpoint goes back before its held
-- rows, and its first create finds out whether the workspace can create again
-- (if not, the rows are held again). Every other pass gets 'stopped'.
create or replace function public.tokensync_notion_creation_may_create(p_dataset text, p_every_ms integer)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_claimed boolean;
begin
  if not exists (select 1 from tokensync.notion_creation where stopped_at is not null) then
    return 'works';
  end if;
  update tokensync.notion_creation
     set probe_at = clock_timestamp()
   where singleton
     and stopped_at is not null
     and (probe_at is null or probe_at <= clock_timestamp() - make_interval(secs => greatest(p_every_ms, 0) / 1000.0))
  returning true into v_claimed;
  if not coalesce(v_claimed, false) then
    return 'stopped';
  end if;
  perform public.tokensync_notion_creation_rewind(p_dataset);
  return 'check';
end;
$$;

-- Rows of p_dataset after this cursor (null: from the start) were held back;
-- keeps the earliest cursor.
create or replace function public.tokensync_notion_creation_hold(p_dataset text, p_after_updated_at timestamptz, p_after_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if (p_after_updated_at is null) <> (p_after_id is null) then
    raise exception using errcode = '22023', message = 'a cursor needs both p_after_updated_at and p_after_id, or neither';
  end if;
  insert into tokensync.notion_creation_held as h (dataset, after_updated_at, after_id)
  values (p_dataset, p_after_updated_at, p_after_id)
  on conflict (dataset) do update
    set after_updated_at = excluded.after_updated_at, after_id = excluded.after_id, held_at = clock_timestamp()
    where h.after_id is not null
      and (excluded.after_id is null or (excluded.after_updated_at, excluded.after_id) < (h.after_updated_at, h.after_id));
end;
$$;

-- A create succeeded: creation is no longer stopped, and each dataset with held
-- rows has its checkpoint moved back before them. Returns {resumed, rewound: [dataset]}.
create or replace function public.tokensync_notion_creation_resume()
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_resumed boolean;
  v_datasets jsonb;
begin
  update tokensync.notion_creation set stopped_at = null, probe_at = null where singleton and stopped_at is not null
  returning true into v_resumed;
  select coalesce(jsonb_agg(dataset order by dataset), '[]'::jsonb) into v_datasets from tokensync.notion_creation_held;
  perform public.tokensync_notion_creation_rewind(dataset) from tokensync.notion_creation_held;
  return jsonb_build_object('resumed', coalesce(v_resumed, false), 'datasets', v_datasets);
end;
$$;

revoke all on table tokensync.notion_creation, tokensync.notion_creation_held from public, anon, authenticated;
grant select, insert, update, delete on table tokensync.notion_creation, tokensync.notion_creation_held to service_role;
revoke all on function
  public.tokensync_notion_creation_status(),
  public.tokensync_notion_creation_stop(text, text),
  public.tokensync_notion_creation_may_create(text, integer),
  public.tokensync_notion_creation_rewind(text),
  public.tokensync_notion_creation_hold(text, timestamptz, uuid),
  public.tokensync_notion_creation_resume()
from public, anon, authenticated;
grant execute on function
  public.tokensync_notion_creation_status(),
  public.tokensync_notion_creation_stop(text, text),
  public.tokensync_notion_creation_may_create(text, integer),
  public.tokensync_notion_creation_rewind(text),
  public.tokensync_notion_creation_hold(text, timestamptz, uuid),
  public.tokensync_notion_creation_resume()
to service_role;
