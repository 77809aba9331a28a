-- Channels, devices and bundles: the /channel, /device and /bundle endpoints over the records of the metering core
-- (public.channels, public.devices, public.app_versions). Every function runs as the caller, so row-level security
-- decides; each first checks that the app is visible (404) and that the caller's role is enough (403), so that the
-- client is told which of the two it was.

-- ---------------------------------------------------------------------------------------------------------------
-- Helpers

create function private.require_app_right(p_app_id text, p_min public.user_min_right, p_refusal text) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  -- Under the apps policy: an app the caller may not read does not exist for it.
  if not exists (select 1 from public.apps where app_id = p_app_id) then
    raise exception 'App not found' using errcode = 'PT404';
  end if;
  if not private.has_app_right(p_app_id, p_min) then
    raise exception '%', p_refusal using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_app_right(text, public.user_min_right, text) is
  'Raises 404 (App not found) when the caller cannot see the app, or 403 with p_refusal when its role is below p_min.';

create function private.live_bundle_id(p_app_id text, p_name text) returns bigint
language plpgsql stable
set search_path = ''
as $$
begin
  return (select id from public.app_versions where app_id = p_app_id and name = p_name and not deleted);
end
$$;
comment on function private.live_bundle_id(text, text) is 'Id of the app''s live (not deleted) bundle of that version name, or null.';

create function private.version_ref_json(p_bundle_id bigint) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object('id', v.id, 'name', v.name) from public.app_versions as v where v.id = p_bundle_id);
end
$$;
comment on function private.version_ref_json(bigint) is 'A bundle as the {id, name} reference of channels and devices; null when none.';

-- ---------------------------------------------------------------------------------------------------------------
-- JSON shapes of the documented interfaces

create function private.channel_json(c public.channels) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'id', c.id, 'created_at', private.iso_utc(c.created_at), 'name', c.name, 'app_id', c.app_id,
      'version', private.version_ref_json(c.version_id), 'created_by', c.created_by,
      'updated_at', private.iso_utc(c.updated_at), 'public', c.public,
      'disableAutoUpdateUnderNative', c.disable_auto_update_under_native, 'disableAutoUpdate', c.disable_auto_update,
      'allow_emulator', c.allow_emulator, 'allow_dev', c.allow_dev, 'ios', c.ios, 'android', c.android,
      'allow_device_self_set', c.allow_device_self_set
    ));
end
$$;
comment on function private.channel_json(public.channels) is 'A channel as the API''s Channel object (version as {id, name} or null).';

create function private.device_json(d public.devices) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'created_at', private.iso_utc(d.created_at), 'updated_at', private.iso_utc(d.updated_at),
      'device_id', d.device_id, 'custom_id', d.custom_id,
      'version', coalesce(
        private.version_ref_json(d.version_override_id),
        private.version_ref_json(private.live_bundle_id(d.app_id, d.version_name))
      ),
      'app_id', d.app_id, 'platform', d.platform, 'plugin_version', d.plugin_version, 'os_version', d.os_version,
      'version_build', d.version_build, 'is_prod', d.is_prod, 'is_emulator', d.is_emulator,
      'channel', (select ch.name from public.channels as ch where ch.id = d.channel_override_id)
    ));
end
$$;
comment on function private.device_json(public.devices) is
  'A device as the API''s Device object: version is the override bundle, else the live bundle the device last reported, else null; channel is the override channel''s name or null.';

create function private.bundle_json(v public.app_versions) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'app_id', v.app_id, 'bucket_id', null::text, 'checksum', v.checksum, 'created_at', private.iso_utc(v.created_at),
      'deleted', v.deleted, 'external_url', v.external_url, 'id', v.id, 'minUpdateVersion', v.min_update_version,
      'name', v.name, 'native_packages', v.native_packages, 'owner_org', v.owner_org, 'r2_path', null::text,
      'session_key', null::text, 'storage_provider', v.storage_provider, 'updated_at', private.iso_utc(v.updated_at),
      'user_id', v.user_id, 'size', v.size
    ));
end
$$;
comment on function private.bundle_json(public.app_versions) is
  'A bundle as the API''s Bundle object; bucket_id, r2_path and session_key are always null (Tally stores no files).';

-- ---------------------------------------------------------------------------------------------------------------
-- API: channels

create function public.channel_upsert(p_app_id text, p_channel text, p_version text default null,
  p_public boolean default null, p_disable_auto_update_under_native boolean default null,
  p_disable_auto_update public.disable_update default null, p_ios boolean default null, p_android boolean default null,
  p_allow_device_self_set boolean default null, p_allow_emulator boolean default null, p_allow_dev boolean default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  bundle_id bigint;
begin
  perform private.require_app_right(p_app_id, 'write', 'Changing channels requires the write role');
  if p_version is not null then
    bundle_id := private.live_bundle_id(p_app_id, p_version);
    if bundle_id is null then
      raise exception 'Version not found' using errcode = 'PT404';
    end if;
  end if;
  -- A new channel starts from the table defaults; then only the fields given change.
  insert into public.channels (app_id, name, created_by) values (p_app_id, p_channel, (select auth.uid()))
  on conflict (app_id, name) do nothing;
  update public.channels set
    version_id = coalesce(bundle_id, version_id),
    public = coalesce(p_public, public),
    disable_auto_update_under_native = coalesce(p_disable_auto_update_under_native, disable_auto_update_under_native),
    disable_auto_update = coalesce(p_disable_auto_update, disable_auto_update),
    ios = coalesce(p_ios, ios),
    android = coalesce(p_android, android),
    allow_device_self_set = coalesce(p_allow_device_self_set, allow_device_self_set),
    allow_emulator = coalesce(p_allow_emulator, allow_emulator),
    allow_dev = coalesce(p_allow_dev, allow_dev)
  where app_id = p_app_id and name = p_channel;
  -- An app has one default channel.
  if p_public then
    update public.channels set public = false where app_id = p_app_id and name <> p_channel and public;
  end if;
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function public.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean,
  boolean, boolean, boolean) is
  'POST /channel: creates a channel or changes the fields given (write and above); public = true makes it the app''s only default channel.';

create function public.channel_get(p_app_id text, p_channel text default null, p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform private.require_app_right(p_app_id, 'read', 'Reading channels requires the read role');
  if p_channel is null then
    select coalesce(pg_catalog.jsonb_agg(private.channel_json(page_rows) order by page_rows.id), '[]') into result
    from (select * from public.channels where app_id = p_app_id order by id limit 50 offset 50 * p_page) as page_rows;
    return result;
  end if;
  select private.channel_json(c) into result from public.channels as c where c.app_id = p_app_id and c.name = p_channel;
  if result is null then
    raise exception 'Channel not found' using errcode = 'PT404';
  end if;
  return result;
end
$$;
comment on function public.channel_get(text, text, integer) is 'GET /channel: the app''s channels, 50 per page by id, or one by name.';

create function public.channel_delete(p_app_id text, p_channel text) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform private.require_app_right(p_app_id, 'write', 'Deleting channels requires the write role');
  -- Devices forced onto the channel lose that override (foreign key: on delete set null).
  delete from public.channels where app_id = p_app_id and name = p_channel;
  if not found then
    raise exception 'Channel not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function public.channel_delete(text, text) is 'DELETE /channel: deletes a channel of an app (write and above).';

-- ---------------------------------------------------------------------------------------------------------------
-- API: devices

create function public.device_link(p_app_id text, p_device_id text, p_version_id text default null,
  p_channel text default null) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  bundle_id bigint;
  channel_id bigint;
begin
  if p_version_id is null and p_channel is null then
    raise exception 'version_id or channel is required' using errcode = 'PT400';
  end if;
  perform private.require_app_right(p_app_id, 'write', 'Linking devices requires the write role');
  if p_version_id is not null then
    bundle_id := private.live_bundle_id(p_app_id, p_version_id);
    if bundle_id is null then
      raise exception 'Version not found' using errcode = 'PT404';
    end if;
  end if;
  if p_channel is not null then
    select id into channel_id from public.channels where app_id = p_app_id and name = p_channel;
    if channel_id is null then
      raise exception 'Channel not found' using errcode = 'PT404';
    end if;
  end if;
  -- A device the app has never seen is recorded now; ingest fills in the rest when it reports.
  insert into public.devices as d (app_id, device_id, version_override_id, channel_override_id)
  values (p_app_id, p_device_id, bundle_id, channel_id)
  on conflict (app_id, device_id) do update set
    version_override_id = coalesce(excluded.version_override_id, d.version_override_id),
    channel_override_id = coalesce(excluded.channel_override_id, d.channel_override_id);
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function public.device_link(text, text, text, text) is
  'POST /device: forces a bundle (by version name) and/or a channel on a device (write and above); the device is recorded if new.';

create function public.device_get(p_app_id text, p_device_id text default null, p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform private.require_app_right(p_app_id, 'read', 'Reading devices requires the read role');
  if p_device_id is null then
    select coalesce(pg_catalog.jsonb_agg(private.device_json(page_rows) order by page_rows.device_id), '[]') into result
    from (
      select * from public.devices where app_id = p_app_id order by device_id limit 50 offset 50 * p_page
    ) as page_rows;
    return result;
  end if;
  select private.device_json(d) into result from public.devices as d
  where d.app_id = p_app_id and d.device_id = p_device_id;
  if result is null then
    raise exception 'Device not found' using errcode = 'PT404';
  end if;
  return result;
end
$$;
comment on function public.device_get(text, text, integer) is 'GET /device: the app''s devices, 50 per page by device_id, or one.';

create function public.device_unlink(p_app_id text, p_device_id text) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform private.require_app_right(p_app_id, 'write', 'Unlinking devices requires the write role');
  update public.devices set version_override_id = null, channel_override_id = null
  where app_id = p_app_id and device_id = p_device_id;
  if not found then
    raise exception 'Device not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function public.device_unlink(text, text) is
  'DELETE /device: removes a device''s bundle and channel overrides (write and above); devices themselves are never deleted.';

-- ---------------------------------------------------------------------------------------------------------------
-- API: bundles

create function public.bundle_create(p_app_id text, p_version text, p_size bigint, p_checksum text default null,
  p_external_url text default null, p_min_update_version text default null, p_native_packages jsonb default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  created public.app_versions;
begin
  perform private.require_app_right(p_app_id, 'upload', 'Registering a bundle requires the upload role');
  insert into public.app_versions (app_id, owner_org, name, size, checksum, external_url, min_update_version,
    native_packages, user_id)
  values (p_app_id, (select owner_org from public.apps where app_id = p_app_id), p_version, p_size, p_checksum, p_external_url, p_min_update_version,
    p_native_packages, (select auth.uid()))
  returning * into created;
  return private.bundle_json(created);
exception
  when unique_violation then
    raise exception 'Bundle % already exists', p_version using errcode = 'PT409';
end
$$;
comment on function public.bundle_create(text, text, bigint, text, text, text, jsonb) is
  'POST /bundle: registers a bundle (upload and above); its size counts toward storage from today. 409 if a live bundle has that version.';

create function public.bundle_get(p_app_id text, p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform private.require_app_right(p_app_id, 'read', 'Reading bundles requires the read role');
  select coalesce(pg_catalog.jsonb_agg(private.bundle_json(page_rows) order by page_rows.id desc), '[]') into result
  from (select * from public.app_versions where app_id = p_app_id order by id desc limit 50 offset 50 * p_page) as page_rows;
  return result;
end
$$;
comment on function public.bundle_get(text, integer) is
  'GET /bundle: the app''s bundles, newest first, 50 per page; deleted ones are listed too (deleted: true).';

create function public.bundle_delete(p_app_id text, p_version text default null) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  deleted_ids bigint[];
begin
  perform private.require_app_right(p_app_id, 'write', 'Deleting bundles requires the write role');
  -- Marked, not removed: history stays, and the storage trigger stops counting them from today.
  with marked as (
    update public.app_versions set deleted = true, deleted_at = pg_catalog.now()
    where app_id = p_app_id and not deleted and (p_version is null or name = p_version)
    returning id
  )
  select pg_catalog.array_agg(id) into deleted_ids from marked;
  if deleted_ids is null then
    if p_version is not null then
      raise exception 'Bundle not found' using errcode = 'PT404';
    end if;
    return pg_catalog.jsonb_build_object('status', 'ok');
  end if;
  -- A deleted bundle is served no more, as a hard delete's "on delete set null" would do.
  update public.channels set version_id = null where app_id = p_app_id and version_id = any (deleted_ids);
  update public.devices set version_override_id = null
  where app_id = p_app_id and version_override_id = any (deleted_ids);
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function public.bundle_delete(text, text) is
  'DELETE /bundle: marks one live bundle (by version) or all live bundles of the app deleted (write and above); channels and devices stop pointing at them.';

-- ---------------------------------------------------------------------------------------------------------------
-- Grants

revoke all on function private.require_app_right(text, public.user_min_right, text), private.live_bundle_id(text, text),
  private.version_ref_json(bigint), private.channel_json(public.channels), private.device_json(public.devices),
  private.bundle_json(public.app_versions)
  from public, anon, authenticated;
grant execute on function private.require_app_right(text, public.user_min_right, text), private.live_bundle_id(text, text),
  private.version_ref_json(bigint), private.channel_json(public.channels), private.device_json(public.devices),
  private.bundle_json(public.app_versions)
  to authenticated, service_role;

revoke all on function
  public.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean, boolean, boolean,
    boolean),
  public.channel_get(text, text, integer), public.channel_delete(text, text),
  public.device_link(text, text, text, text), public.device_get(text, text, integer), public.device_unlink(text, text),
  public.bundle_create(text, text, bigint, text, text, text, jsonb), public.bundle_get(text, integer),
  public.bundle_delete(text, text)
  from public, anon;
grant execute on function
  public.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean, boolean, boolean,
    boolean),
  public.channel_get(text, text, integer), public.channel_delete(text, text),
  public.device_link(text, text, text, text), public.device_get(text, text, integer), public.device_unlink(text, text),
  public.bundle_create(text, text, bigint, text, text, text, jsonb), public.bundle_get(text, integer),
  public.bundle_delete(text, text)
  to authenticated, service_role;
