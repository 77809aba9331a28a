-- Channels, devices and bundles: the records of an app that the /channel, /device and /bundle endpoints manage.
-- Every function runs as the caller, so row-level security decides; each first checks that the app is visible
-- (404) and that the caller's role is enough (403), so that the client is told which of the two it was.

-- ---------------------------------------------------------------------------------------------------------------
-- Records

create type public.device_platform as enum ('ios', 'android');
comment on type public.device_platform is 'Mobile platform of a device.';
create type public.disable_update as enum ('major', 'minor', 'version_number', 'none');
comment on type public.disable_update is 'Which automatic updates a channel refuses.';

create table public.app_versions (
  id bigint generated always as identity primary key,
  app_id text not null references public.apps (app_id) on delete cascade,
  owner_org uuid not null references public.orgs (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 128),
  size bigint not null default 0 check (size >= 0),
  checksum text,
  external_url text,
  min_update_version text,
  native_packages jsonb,
  storage_provider text not null default 'external',
  user_id uuid references auth.users (id) on delete set null,
  deleted boolean not null default false,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (deleted = (deleted_at is not null))
);
create unique index app_versions_live_name_idx on public.app_versions (app_id, name) where not deleted;
create index app_versions_app_idx on public.app_versions (app_id, id);
comment on table public.app_versions is 'Bundles (versions) of an app. Deleting marks them deleted and keeps their history; storage counts live ones.';
comment on column public.app_versions.id is 'Bundle id.';
comment on column public.app_versions.app_id is 'App the bundle belongs to.';
comment on column public.app_versions.owner_org is 'Organization owning the app (denormalised for the documented shape).';
comment on column public.app_versions.name is 'Version name, unique among the app''s live bundles.';
comment on column public.app_versions.size is 'Size in bytes; counts toward storage while the bundle is live.';
comment on column public.app_versions.checksum is 'Checksum of the bundle file, as given.';
comment on column public.app_versions.external_url is 'Where the bundle is hosted, when outside Tally.';
comment on column public.app_versions.min_update_version is 'Lowest version that may update to this bundle.';
comment on column public.app_versions.native_packages is 'Native packages the bundle needs, as given.';
comment on column public.app_versions.storage_provider is 'Where the file lives; Tally stores no files, so external.';
comment on column public.app_versions.user_id is 'User who registered the bundle.';
comment on column public.app_versions.deleted is 'Whether the bundle is deleted (it stays for history).';
comment on column public.app_versions.deleted_at is 'When the bundle was deleted; storage stops counting it from that day.';
comment on column public.app_versions.created_at is 'When the bundle was registered; storage counts it from that day.';
comment on column public.app_versions.updated_at is 'When the bundle last changed.';

create table public.channels (
  id bigint generated always as identity primary key,
  app_id text not null references public.apps (app_id) on delete cascade,
  name text not null check (char_length(name) between 1 and 128),
  version_id bigint references public.app_versions (id) on delete set null,
  public boolean not null default false,
  disable_auto_update_under_native boolean not null default true,
  disable_auto_update public.disable_update not null default 'major',
  ios boolean not null default true,
  android boolean not null default true,
  allow_device_self_set boolean not null default false,
  allow_emulator boolean not null default true,
  allow_dev boolean not null default true,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (app_id, name)
);
comment on table public.channels is 'Update channels of an app.';
comment on column public.channels.id is 'Channel id.';
comment on column public.channels.app_id is 'App of the channel.';
comment on column public.channels.name is 'Channel name, unique in the app.';
comment on column public.channels.version_id is 'Bundle the channel serves.';
comment on column public.channels.public is 'Whether this is the app''s default channel.';
comment on column public.channels.disable_auto_update_under_native is 'Refuse bundles older than the native build.';
comment on column public.channels.disable_auto_update is 'Which automatic updates are refused.';
comment on column public.channels.ios is 'Serve iOS devices.';
comment on column public.channels.android is 'Serve Android devices.';
comment on column public.channels.allow_device_self_set is 'Devices may select this channel themselves.';
comment on column public.channels.allow_emulator is 'Serve emulators.';
comment on column public.channels.allow_dev is 'Serve development builds.';
comment on column public.channels.created_by is 'User who created the channel.';
comment on column public.channels.created_at is 'When the channel was created.';
comment on column public.channels.updated_at is 'When the channel last changed.';

-- No foreign key to apps: ingest locks each app of a batch once instead of once per row (see ingest_events), and
-- private.delete_app_devices removes an app's devices with it.
create table public.devices (
  app_id text not null,
  device_id text not null check (char_length(device_id) between 1 and 128),
  custom_id text not null default '',
  platform public.device_platform,
  version_name text,
  plugin_version text not null default '',
  os_version text,
  version_build text not null default '',
  is_prod boolean not null default true,
  is_emulator boolean not null default false,
  version_override_id bigint references public.app_versions (id) on delete set null,
  channel_override_id bigint references public.channels (id) on delete set null,
  last_seen_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  first_active_day date,
  active_days bit varying,
  primary key (app_id, device_id),
  constraint devices_active_days_span check ((first_active_day is null) = (active_days is null))
) with (fillfactor = 85);
comment on table public.devices is
  'The device list of an app, kept current by device.activity events; devices are never deleted. Its rows also serialise concurrent ingests of one device. Pages keep room (fillfactor 85) for the in-place (HOT) update every ingest makes of a returning device.';
comment on column public.devices.app_id is 'App the device runs.';
comment on column public.devices.device_id is 'Device id, unique in the app.';
comment on column public.devices.custom_id is 'Id the app gave the device.';
comment on column public.devices.platform is 'ios or android.';
comment on column public.devices.version_name is 'Bundle version the device last reported.';
comment on column public.devices.plugin_version is 'Updater plugin version last reported.';
comment on column public.devices.os_version is 'OS version last reported.';
comment on column public.devices.version_build is 'Native build last reported.';
comment on column public.devices.is_prod is 'Whether the device runs a production build.';
comment on column public.devices.is_emulator is 'Whether the device is an emulator.';
comment on column public.devices.version_override_id is 'Bundle forced on this device (override), if any.';
comment on column public.devices.channel_override_id is 'Channel forced on this device (override), if any.';
comment on column public.devices.last_seen_at is 'Timestamp of the latest device.activity event.';
comment on column public.devices.created_at is 'When the device was first seen or linked.';
comment on column public.devices.updated_at is 'When the device record last changed.';
comment on column public.devices.first_active_day is
  'Earliest UTC day the device was active (bit 0 of active_days). Null for a device linked before it was ever active.';
comment on column public.devices.active_days is
  'The days the device was active, a bit per day from first_active_day to its last active day (both set): MAU counts from these. Written only by ingest.';

-- ---------------------------------------------------------------------------------------------------------------
-- Row-level security

alter table public.app_versions enable row level security;
alter table public.channels enable row level security;
alter table public.devices enable row level security;

create policy app_versions_select on public.app_versions for select to authenticated
  using ((select private.has_right(owner_org, 'read', app_id)));
create policy app_versions_insert on public.app_versions for insert to authenticated
  with check ((select private.has_right(owner_org, 'upload', app_id)) and (select private.is_app_of_org(app_id, owner_org)));
create policy app_versions_update on public.app_versions for update to authenticated
  using ((select private.has_right(owner_org, 'write', app_id)))
  with check ((select private.has_right(owner_org, 'write', app_id)) and (select private.is_app_of_org(app_id, owner_org)));
create policy app_versions_delete on public.app_versions for delete to authenticated
  using ((select private.has_right(owner_org, 'admin', app_id)));

create policy channels_select on public.channels for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
create policy channels_insert on public.channels for insert to authenticated
  with check ((select private.has_app_right(app_id, 'write')));
create policy channels_update on public.channels for update to authenticated
  using ((select private.has_app_right(app_id, 'write'))) with check ((select private.has_app_right(app_id, 'write')));
create policy channels_delete on public.channels for delete to authenticated
  using ((select private.has_app_right(app_id, 'write')));

create policy devices_select on public.devices for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
create policy devices_insert on public.devices for insert to authenticated
  with check ((select private.has_app_right(app_id, 'write')));
create policy devices_update on public.devices for update to authenticated
  using ((select private.has_app_right(app_id, 'write'))) with check ((select private.has_app_right(app_id, 'write')));
-- No delete policy: devices are never deleted (DELETE /device only removes an override).

revoke all on public.app_versions, public.channels, public.devices from anon, authenticated;
-- Nobody anonymous creates rows: anon gets no sequence (Supabase's default privileges grant them all).
revoke all on sequence public.app_versions_id_seq, public.channels_id_seq from anon;
grant select, insert, update, delete on public.app_versions, public.channels to authenticated;
-- The first active day feeds MAU, so only ingest writes it: API roles insert and update the other columns.
grant select on public.devices to authenticated;
grant insert (app_id, device_id, custom_id, platform, version_name, plugin_version, os_version, version_build, is_prod,
    is_emulator, version_override_id, channel_override_id, last_seen_at, created_at, updated_at),
  update (app_id, device_id, custom_id, platform, version_name, plugin_version, os_version, version_build, is_prod,
    is_emulator, version_override_id, channel_override_id, last_seen_at, created_at, updated_at)
  on public.devices to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Triggers

create trigger app_versions_touch before update on public.app_versions for each row execute function private.touch_updated_at();
create trigger channels_touch before update on public.channels for each row execute function private.touch_updated_at();
-- A device's active days are its activity, not its record: ingest adding days does not touch it. Only a change of
-- the record touches it, unless the writer set updated_at itself (ingest does: no function call per row).
create trigger devices_touch before update of app_id, device_id, custom_id, platform, version_name, plugin_version,
  os_version, version_build, is_prod, is_emulator, version_override_id, channel_override_id, last_seen_at
  on public.devices for each row
  when (
    old.updated_at is not distinct from new.updated_at
    and (old.app_id is distinct from new.app_id or old.device_id is distinct from new.device_id
      or old.custom_id is distinct from new.custom_id or old.platform is distinct from new.platform
      or old.version_name is distinct from new.version_name or old.plugin_version is distinct from new.plugin_version
      or old.os_version is distinct from new.os_version or old.version_build is distinct from new.version_build
      or old.is_prod is distinct from new.is_prod or old.is_emulator is distinct from new.is_emulator
      or old.version_override_id is distinct from new.version_override_id
      or old.channel_override_id is distinct from new.channel_override_id
      or old.last_seen_at is distinct from new.last_seen_at)
  )
  execute function private.touch_updated_at();

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

create function edge_api.channel_upsert(p_app_id text, p_channel text, p_version text default null,
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
comment on function edge_api.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean,
  boolean, boolean, boolean) is
  'POST /channel: creates a channel or changes the fields given (write and above); public = true makes it the app''s only default channel.';

create function edge_api.channel_get(p_app_id text, p_channel text default null, p_page integer default 0) returns jsonb
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
comment on function edge_api.channel_get(text, text, integer) is 'GET /channel: the app''s channels, 50 per page by id, or one by name.';

create function edge_api.channel_delete(p_app_id text, p_channel text) returns jsonb
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
comment on function edge_api.channel_delete(text, text) is 'DELETE /channel: deletes a channel of an app (write and above).';

-- ---------------------------------------------------------------------------------------------------------------
-- API: devices

create function edge_api.device_link(p_app_id text, p_device_id text, p_version_id text default null,
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
comment on function edge_api.device_link(text, text, text, text) is
  'POST /device: forces a bundle (by version name) and/or a channel on a device (write and above); the device is recorded if new.';

create function edge_api.device_get(p_app_id text, p_device_id text default null, p_page integer default 0) returns jsonb
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
comment on function edge_api.device_get(text, text, integer) is 'GET /device: the app''s devices, 50 per page by device_id, or one.';

create function edge_api.device_unlink(p_app_id text, p_device_id text) returns jsonb
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
comment on function edge_api.device_unlink(text, text) is
  'DELETE /device: removes a device''s bundle and channel overrides (write and above); devices themselves are never deleted.';

-- ---------------------------------------------------------------------------------------------------------------
-- API: bundles

create function edge_api.bundle_create(p_app_id text, p_version text, p_size bigint, p_checksum text default null,
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
comment on function edge_api.bundle_create(text, text, bigint, text, text, text, jsonb) is
  'POST /bundle: registers a bundle (upload and above); its size counts toward storage from today. 409 if a live bundle has that version.';

create function edge_api.bundle_get(p_app_id text, p_page integer default 0) returns jsonb
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
comment on function edge_api.bundle_get(text, integer) is
  'GET /bundle: the app''s bundles, newest first, 50 per page; deleted ones are listed too (deleted: true).';

create function edge_api.bundle_delete(p_app_id text, p_version text default null) returns jsonb
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
comment on function edge_api.bundle_delete(text, text) is
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
  edge_api.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean, boolean, boolean,
    boolean),
  edge_api.channel_get(text, text, integer), edge_api.channel_delete(text, text),
  edge_api.device_link(text, text, text, text), edge_api.device_get(text, text, integer), edge_api.device_unlink(text, text),
  edge_api.bundle_create(text, text, bigint, text, text, text, jsonb), edge_api.bundle_get(text, integer),
  edge_api.bundle_delete(text, text)
  from public, anon;
grant execute on function
  edge_api.channel_upsert(text, text, text, boolean, boolean, public.disable_update, boolean, boolean, boolean, boolean,
    boolean),
  edge_api.channel_get(text, text, integer), edge_api.channel_delete(text, text),
  edge_api.device_link(text, text, text, text), edge_api.device_get(text, text, integer), edge_api.device_unlink(text, text),
  edge_api.bundle_create(text, text, bigint, text, text, text, jsonb), edge_api.bundle_get(text, integer),
  edge_api.bundle_delete(text, text)
  to authenticated, service_role;
