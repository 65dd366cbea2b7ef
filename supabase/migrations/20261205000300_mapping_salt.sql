-- tokensync: a changed mapping rewrites every page, as MAPPING_VERSION promises.
--
-- The engine's salt (its mapping version and the catalogue's shape) enters the
-- content hash, but only rows after the checkpoint are ever compared: after a
-- new sanitisation, pages written before kept their old values. The salt is now
-- recorded beside the property-id fingerprint, and a different one forgets the
-- checkpoint and every hash, as new property ids do: the next pass rewrites
-- every page once. The first salt recorded (an upgrade from a version that did
-- not record it) resets nothing: those pages were written by the same mapping.

alter table tokensync.sync_checkpoints add column mapping_salt text;

comment on column tokensync.sync_checkpoints.mapping_salt is
  'The engine''s mapping salt (mapping version and catalogue shape) the pages were last written with.';

drop function public.tokensync_sync_note_properties(text, text);

-- Records p_fingerprint (property ids) and p_salt (the mapping) for the dataset.
-- True when either replaced a different one: the checkpoint and every hash are
-- then forgotten, so the next pass rewrites every page (a backfill). The first
-- of each ever recorded resets nothing.
create function public.tokensync_sync_note_properties(p_dataset text, p_fingerprint text, p_salt text)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_previous tokensync.sync_checkpoints;
  v_changed  boolean;
begin
  insert into tokensync.sync_checkpoints (dataset) values (p_dataset) on conflict (dataset) do nothing;
  select * into v_previous from tokensync.sync_checkpoints where dataset = p_dataset for update;
  v_changed := (v_previous.property_ids_hash is not null and v_previous.property_ids_hash is distinct from p_fingerprint)
            or (v_previous.mapping_salt is not null and p_salt is not null and v_previous.mapping_salt is distinct from p_salt);
  if v_previous.property_ids_hash is not distinct from p_fingerprint
     and (p_salt is null or v_previous.mapping_salt is not distinct from p_salt) then
    return false;
  end if;
  update tokensync.sync_checkpoints
     set property_ids_hash = p_fingerprint, mapping_salt = coalesce(p_salt, mapping_salt)
   where dataset = p_dataset;
  if not v_changed then
    return false;
  end if;
  update tokensync.notion_sync_state set hash = null where dataset = p_dataset;
  update tokensync.sync_checkpoints
     set after_updated_at = null, after_id = null, updated_at = clock_timestamp()
   where dataset = p_dataset;
  return true;
end;
$$;

revoke all on function public.tokensync_sync_note_properties(text, text, text) from public, anon, authenticated;
grant execute on function public.tokensync_sync_note_properties(text, text, text) to service_role;
