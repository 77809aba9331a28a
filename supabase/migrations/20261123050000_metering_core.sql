-- Metering core: the records events refer to (devices, bundles, channels, spaces, workspaces, activity users), raw
-- usage events partitioned by day, and the exact daily rollups every statistics surface reads, maintained by
-- public.ingest_events in the same transaction as the ingest.

create type public.device_platform as enum ('ios', 'android');
comment on type public.device_platform is 'Mobile platform of a device.';
create type public.disable_update as enum ('major', 'minor', 'version_number', 'none');
comment on type public.disable_update is 'Which automatic updates a channel refuses.';
create type public.activity_kind as enum ('user', 'developer');
comment on type public.activity_kind is 'Whether an environment-activity user acts as a user or as a developer.';
create type public.activity_period as enum ('day', 'week', 'month');
comment on type public.activity_period is 'Period of a distinct-actives count: UTC day, ISO week (from Monday) or calendar month.';

-- ---------------------------------------------------------------------------------------------------------------
-- Records

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

create table public.devices (
  app_id text not null references public.apps (app_id) on delete cascade,
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
  primary key (app_id, device_id)
);
comment on table public.devices is
  'The device list of an app, kept current by device.activity events; devices are never deleted. Its rows also serialise concurrent ingests of one device.';
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

create table public.spaces (
  org_id uuid not null references public.orgs (id) on delete cascade,
  space_id text not null check (char_length(space_id) between 1 and 128),
  name text not null default '',
  created_at timestamptz not null default now(),
  primary key (org_id, space_id)
);
comment on table public.spaces is 'Spaces of an organization whose API traffic is metered; created on their first api.request event.';
comment on column public.spaces.org_id is 'Organization owning the space.';
comment on column public.spaces.space_id is 'Space id, unique in the organization.';
comment on column public.spaces.name is 'Display name.';
comment on column public.spaces.created_at is 'When the space was first seen.';

create table public.workspaces (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null check (char_length(workspace_id) between 1 and 128),
  name text not null default '',
  is_development boolean not null default false,
  is_public boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (org_id, workspace_id)
);
comment on table public.workspaces is
  'Workspaces of an organization; created on their first workspace.activity event. Development and public workspaces are left out of organization-wide counts.';
comment on column public.workspaces.org_id is 'Organization owning the workspace.';
comment on column public.workspaces.workspace_id is 'Workspace id, unique in the organization.';
comment on column public.workspaces.name is 'Display name.';
comment on column public.workspaces.is_development is 'A development workspace: not counted organization-wide.';
comment on column public.workspaces.is_public is 'A public workspace: not counted organization-wide.';
comment on column public.workspaces.created_at is 'When the workspace was first seen.';

create table public.activity_users (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id text not null check (char_length(user_id) between 1 and 128),
  kind public.activity_kind not null,
  org_domain text not null default '',
  first_seen date not null,
  primary key (org_id, user_id, kind)
);
comment on table public.activity_users is 'The organization''s registry of environment users and developers, filled on first sight.';
comment on column public.activity_users.org_id is 'Organization.';
comment on column public.activity_users.user_id is 'User id as sent in workspace.activity events.';
comment on column public.activity_users.kind is 'user or developer (one user may be both).';
comment on column public.activity_users.org_domain is 'Email domain given at first sight; empty when unknown.';
comment on column public.activity_users.first_seen is 'UTC day of the first event: registered from that day on.';

-- ---------------------------------------------------------------------------------------------------------------
-- Raw events and idempotency

create table public.usage_events (
  org_id uuid not null,
  event_type text not null,
  occurred_at timestamptz not null,
  client_id text,
  subject text not null,
  payload jsonb not null,
  received_at timestamptz not null default now()
) partition by range (occurred_at);
create index usage_events_occurred_brin on public.usage_events using brin (occurred_at);
comment on table public.usage_events is
  'Every accepted usage event as received, partitioned by UTC day (partitions live in schema private) so old days can be dropped whole. Statistics never read it.';
comment on column public.usage_events.org_id is 'Organization the event was metered for.';
comment on column public.usage_events.event_type is 'device.activity, bundle.download, api.request or workspace.activity.';
comment on column public.usage_events.occurred_at is 'When it happened (the event timestamp).';
comment on column public.usage_events.client_id is 'The client''s event id, when given.';
comment on column public.usage_events.subject is 'App, space or workspace id the event is about.';
comment on column public.usage_events.payload is 'The event as validated.';
comment on column public.usage_events.received_at is 'When Tally accepted it.';

create table public.usage_event_ids (
  org_id uuid not null references public.orgs (id) on delete cascade,
  client_id text not null,
  received_at timestamptz not null default now(),
  primary key (org_id, client_id)
);
comment on table public.usage_event_ids is 'Client event ids already accepted per organization: a retried event is skipped, not counted twice.';
comment on column public.usage_event_ids.org_id is 'Organization.';
comment on column public.usage_event_ids.client_id is 'The client''s event id.';
comment on column public.usage_event_ids.received_at is 'When the event was first accepted.';

-- ---------------------------------------------------------------------------------------------------------------
-- Rollups

create table public.device_activity_days (
  app_id text not null references public.apps (app_id) on delete cascade,
  device_id text not null,
  day date not null,
  primary key (app_id, device_id, day)
);
comment on table public.device_activity_days is 'The distinct set of (device, UTC day) an app''s devices were active: the source of MAU.';
comment on column public.device_activity_days.app_id is 'App.';
comment on column public.device_activity_days.device_id is 'Device.';
comment on column public.device_activity_days.day is 'UTC day the device was active.';

create table public.app_daily_usage (
  app_id text not null references public.apps (app_id) on delete cascade,
  day date not null,
  mau integer not null default 0,
  bandwidth bigint not null default 0,
  storage_delta bigint not null default 0,
  primary key (app_id, day)
) with (fillfactor = 70);
comment on table public.app_daily_usage is
  'Per app and UTC day: stored MAU, bandwidth, and the change of storage (storage = running sum). Updated by every ingest: pages keep room (fillfactor 70) for in-place (HOT) updates.';
comment on column public.app_daily_usage.app_id is 'App.';
comment on column public.app_daily_usage.day is 'UTC day.';
comment on column public.app_daily_usage.mau is 'Distinct devices active in the 30 days ending this day (day-29 .. day).';
comment on column public.app_daily_usage.bandwidth is 'Bytes downloaded this day.';
comment on column public.app_daily_usage.storage_delta is 'Bytes of bundles created minus bundles deleted this day.';

create table public.space_daily_traffic (
  org_id uuid not null,
  space_id text not null,
  day date not null,
  requests bigint not null default 0,
  bytes bigint,
  primary key (org_id, space_id, day),
  foreign key (org_id, space_id) references public.spaces (org_id, space_id) on delete cascade
);
comment on table public.space_daily_traffic is 'Per space and UTC day: API requests and bytes.';
comment on column public.space_daily_traffic.org_id is 'Organization.';
comment on column public.space_daily_traffic.space_id is 'Space.';
comment on column public.space_daily_traffic.day is 'UTC day.';
comment on column public.space_daily_traffic.requests is 'API requests.';
comment on column public.space_daily_traffic.bytes is 'Bytes served; null while no event of the day measured bytes.';

create table public.activity_period_members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  kind public.activity_kind not null,
  period public.activity_period not null,
  period_start date not null,
  user_id text not null,
  primary key (org_id, workspace_id, kind, period, period_start, user_id)
);
comment on table public.activity_period_members is
  'Distinct active users per workspace (workspace_id = '''' for the organization''s counted workspaces), kind and period.';
comment on column public.activity_period_members.org_id is 'Organization.';
comment on column public.activity_period_members.workspace_id is 'Workspace, or '''' for the organization-wide set.';
comment on column public.activity_period_members.kind is 'user or developer.';
comment on column public.activity_period_members.period is 'day, week or month.';
comment on column public.activity_period_members.period_start is 'First day of the period (ISO weeks start on Monday).';
comment on column public.activity_period_members.user_id is 'Active user.';

create table public.activity_period_counts (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  kind public.activity_kind not null,
  period public.activity_period not null,
  period_start date not null,
  org_domain text not null,
  actives integer not null default 0,
  primary key (org_id, workspace_id, kind, period, period_start, org_domain)
);
comment on table public.activity_period_counts is
  'Counts of activity_period_members, also per email domain (org_domain = '''' counts every domain).';
comment on column public.activity_period_counts.org_id is 'Organization.';
comment on column public.activity_period_counts.workspace_id is 'Workspace, or '''' for the organization-wide count.';
comment on column public.activity_period_counts.kind is 'user or developer.';
comment on column public.activity_period_counts.period is 'day, week or month.';
comment on column public.activity_period_counts.period_start is 'First day of the period.';
comment on column public.activity_period_counts.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.activity_period_counts.actives is 'Distinct active users.';

create table public.activity_registrations (
  org_id uuid not null references public.orgs (id) on delete cascade,
  kind public.activity_kind not null,
  org_domain text not null,
  day date not null,
  registered integer not null default 0,
  primary key (org_id, kind, org_domain, day)
);
comment on table public.activity_registrations is 'Users first seen per UTC day (registered as of D = running sum).';
comment on column public.activity_registrations.org_id is 'Organization.';
comment on column public.activity_registrations.kind is 'user or developer.';
comment on column public.activity_registrations.org_domain is 'Email domain, or '''' for all.';
comment on column public.activity_registrations.day is 'UTC day.';
comment on column public.activity_registrations.registered is 'Users first seen that day.';

-- ---------------------------------------------------------------------------------------------------------------
-- Access helpers

-- security definer: reads apps below their policy. Not granted to API roles (it would tell anyone which org owns
-- any app id); has_app_right and the security definer functions use it.
create function private.app_owner(p_app text) returns uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return (select owner_org from public.apps where app_id = p_app);
end
$$;
comment on function private.app_owner(text) is 'Organization owning an app (null when there is none).';

-- security definer: to call app_owner, which API roles may not; it answers only about the caller's own right.
create function private.has_app_right(p_app text, p_min public.user_min_right) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return (select private.has_right(private.app_owner(p_app), p_min, p_app));
end
$$;
comment on function private.has_app_right(text, public.user_min_right) is 'Whether the caller has at least role p_min on the app.';

create function private.is_app_of_org(p_app text, p_org uuid) returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return exists (select 1 from public.apps where app_id = p_app and owner_org = p_org);
end
$$;
comment on function private.is_app_of_org(text, uuid) is
  'Whether the app, as visible to the caller, belongs to the organization (keeps denormalised owner_org honest).';

-- ---------------------------------------------------------------------------------------------------------------
-- Row-level security. Rollups, raw events and registries are written only by public.ingest_events and by the
-- triggers below; API roles read them according to their role.

alter table public.app_versions enable row level security;
alter table public.channels enable row level security;
alter table public.devices enable row level security;
alter table public.spaces enable row level security;
alter table public.workspaces enable row level security;
alter table public.activity_users enable row level security;
alter table public.usage_events enable row level security;
alter table public.usage_event_ids enable row level security;
alter table public.device_activity_days enable row level security;
alter table public.app_daily_usage enable row level security;
alter table public.space_daily_traffic enable row level security;
alter table public.activity_period_members enable row level security;
alter table public.activity_period_counts enable row level security;
alter table public.activity_registrations enable row level security;

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

create policy spaces_select on public.spaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy spaces_update on public.spaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy workspaces_select on public.workspaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspaces_update on public.workspaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy activity_users_select on public.activity_users for select to authenticated
  using ((select private.has_right(org_id, 'read')));

create policy usage_events_select on public.usage_events for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy usage_event_ids_select on public.usage_event_ids for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy device_activity_days_select on public.device_activity_days for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
create policy app_daily_usage_select on public.app_daily_usage for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
create policy space_daily_traffic_select on public.space_daily_traffic for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_period_members_select on public.activity_period_members for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_period_counts_select on public.activity_period_counts for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_registrations_select on public.activity_registrations for select to authenticated
  using ((select private.has_right(org_id, 'read')));

revoke all on public.app_versions, public.channels, public.devices, public.spaces, public.workspaces,
  public.activity_users, public.usage_events, public.usage_event_ids, public.device_activity_days,
  public.app_daily_usage, public.space_daily_traffic, public.activity_period_members, public.activity_period_counts,
  public.activity_registrations from anon, authenticated;
grant select, insert, update, delete on public.app_versions, public.channels to authenticated;
grant select, insert, update on public.devices to authenticated;
grant select, update on public.spaces, public.workspaces to authenticated;
grant select on public.activity_users, public.usage_events, public.usage_event_ids, public.device_activity_days,
  public.app_daily_usage, public.space_daily_traffic, public.activity_period_members, public.activity_period_counts,
  public.activity_registrations to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Storage: bundle sizes as daily deltas, kept by a trigger so every path that creates or deletes a bundle counts.

-- security definer: the rollup is not writable by API roles; the trigger only mirrors the bundle row being written.
create function private.track_bundle_storage() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  change_day date;
  change bigint;
begin
  if tg_op = 'INSERT' and not new.deleted then
    change_day := (new.created_at at time zone 'UTC')::date;
    change := new.size;
  elsif tg_op = 'UPDATE' and new.deleted and not old.deleted then
    change_day := (new.deleted_at at time zone 'UTC')::date;
    change := -old.size;
  elsif tg_op = 'UPDATE' and not new.deleted and not old.deleted and new.size <> old.size then
    change_day := (pg_catalog.now() at time zone 'UTC')::date;
    change := new.size - old.size;
  else
    return new;
  end if;
  insert into public.app_daily_usage (app_id, day, storage_delta) values (new.app_id, change_day, change)
  on conflict (app_id, day) do update set storage_delta = public.app_daily_usage.storage_delta + excluded.storage_delta;
  return new;
end
$$;
comment on function private.track_bundle_storage() is 'Trigger: adds a bundle''s size on its creation day and removes it on its deletion day.';
create trigger app_versions_track_storage after insert or update of deleted, size on public.app_versions
  for each row execute function private.track_bundle_storage();
create trigger app_versions_touch before update on public.app_versions for each row execute function private.touch_updated_at();
create trigger channels_touch before update on public.channels for each row execute function private.touch_updated_at();
create trigger devices_touch before update on public.devices for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------------------------------
-- Raw event partitions

-- security definer: ingest runs as the caller, which may not create tables; this only creates the partition of
-- one day, in schema private, with row-level security on and no grants.
create function private.ensure_usage_event_partition(p_day date) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  partition_name text := 'usage_events_' || pg_catalog.to_char(p_day, 'YYYYMMDD');
begin
  if pg_catalog.to_regclass('private.' || partition_name) is not null then
    return;
  end if;
  -- Concurrent ingests of a new day must not race on the DDL.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('tally.usage_events'), (p_day - date '2000-01-01'));
  if pg_catalog.to_regclass('private.' || partition_name) is not null then
    return;
  end if;
  execute pg_catalog.format(
    'create table private.%I partition of public.usage_events for values from (%L) to (%L)',
    partition_name, (p_day::timestamp at time zone 'UTC'), ((p_day + 1)::timestamp at time zone 'UTC')
  );
  execute pg_catalog.format('alter table private.%I enable row level security', partition_name);
  execute pg_catalog.format('revoke all on private.%I from public, anon, authenticated', partition_name);
end
$$;
comment on function private.ensure_usage_event_partition(date) is 'Creates the raw-event partition of one UTC day when missing.';

-- ---------------------------------------------------------------------------------------------------------------
-- Ingest

create function private.period_start(p_period public.activity_period, p_day date) returns date
language plpgsql immutable
set search_path = ''
as $$
begin
  return (select case p_period
      when 'day' then p_day
      when 'week' then pg_catalog.date_trunc('week', p_day::timestamp)::date
      when 'month' then pg_catalog.date_trunc('month', p_day::timestamp)::date
    end);
end
$$;
comment on function private.period_start(public.activity_period, date) is 'First day of the day / ISO week / month containing p_day.';

-- security definer: the rollups, registries and raw events are not writable by API roles. It first checks, for
-- every event, that the caller (auth.uid() through its key) has at least upload on the event's app or org, and
-- rejects the whole batch otherwise.
create function public.ingest_events(p_events jsonb, p_org_id uuid default null) returns jsonb
language plpgsql
security definer
set search_path = ''
set jit = off
set client_min_messages = warning
as $$
declare
  errors jsonb;
  event_org uuid := p_org_id;
  key_orgs jsonb := coalesce((select auth.jwt()) -> 'key_orgs', '[]');
  total integer := pg_catalog.jsonb_array_length(p_events);
  accepted_count integer;
  partition_day date;
begin
  if (select auth.uid()) is null then
    raise exception 'Invalid API key' using errcode = 'PT401';
  end if;

  -- The batch table lives as long as the (pooled) session and empties at commit: no DDL per ingest.
  create temporary table if not exists pg_temp.batch (
    idx integer, event_type text, occurred_at timestamptz, day date, client_id text, org_id uuid, subject text,
    payload jsonb, accepted boolean, first_seen boolean
  ) on commit delete rows;
  delete from pg_temp.batch;

  -- Space and workspace events belong to the org given, or to the single org the key is limited to.
  if event_org is null and pg_catalog.jsonb_array_length(key_orgs) = 1 then
    event_org := (key_orgs ->> 0)::uuid;
  end if;

  insert into pg_temp.batch (idx, event_type, occurred_at, day, client_id, org_id, subject, payload)
  select e.ordinality - 1, e.value ->> 'type', e.occurred_at, (e.occurred_at at time zone 'UTC')::date,
    e.value ->> 'id',
    case when e.value ->> 'type' in ('device.activity', 'bundle.download') then a.owner_org else event_org end,
    coalesce(e.value ->> 'app_id', e.value ->> 'space_id', e.value ->> 'workspace_id'),
    e.value
  from (
    select value, ordinality, (value ->> 'timestamp')::timestamptz as occurred_at
    from pg_catalog.jsonb_array_elements(p_events) with ordinality
  ) as e
  left join public.apps as a on a.app_id = e.value ->> 'app_id';

  -- Every event must be about something the caller may upload to; the batch is all or nothing. Rights are checked
  -- once per distinct app / org of the batch, not per event.
  with classified as (
    select idx, org_id,
      event_type in ('device.activity', 'bundle.download') as about_app,
      case when event_type in ('device.activity', 'bundle.download') then subject end as app_id,
      case
        when occurred_at > pg_catalog.now() + interval '5 minutes' then 'timestamp is more than 5 minutes in the future'
        when occurred_at < pg_catalog.now() - interval '400 days' then 'timestamp is older than 400 days'
      end as time_problem
    from pg_temp.batch
  ),
  subject_rights as materialized (
    select about_app, org_id, app_id, private.caller_right(org_id, app_id) as caller_right
    from (select distinct about_app, org_id, app_id from classified) as subjects
  ),
  rights as (
    select about_app, org_id, app_id, case
      when about_app and caller_right is null then 'App ' || app_id || ' not found'
      when not about_app and org_id is null then 'org_id is required: the key reaches more than one organization'
      when not about_app and caller_right is null then 'Organization not found'
      when about_app and caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on app ' || app_id
      when caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on the organization'
    end as problem
    from subject_rights
  )
  select pg_catalog.jsonb_agg(
    pg_catalog.jsonb_build_object('index', c.idx, 'error', coalesce(c.time_problem, r.problem)) order by c.idx
  )
  into errors
  from classified as c
  join rights as r on r.about_app = c.about_app and r.org_id is not distinct from c.org_id
    and r.app_id is not distinct from c.app_id
  where coalesce(c.time_problem, r.problem) is not null;
  if errors is not null then
    -- The status follows the worst problem: not allowed (403), then not found (404), then invalid (400).
    raise exception 'Invalid events' using detail = errors::text, errcode = case
      when errors::text like '%Ingesting needs%' then 'PT403'
      when errors::text like '%not found%' then 'PT404'
      else 'PT400'
    end;
  end if;

  -- Idempotency: an id already accepted for the org (earlier, or earlier in this batch) is a duplicate.
  with firsts as (
    select distinct on (org_id, client_id) idx, org_id, client_id from pg_temp.batch
    where client_id is not null order by org_id, client_id, idx
  ),
  fresh as (
    insert into public.usage_event_ids (org_id, client_id)
    select org_id, client_id from firsts order by org_id, client_id
    on conflict do nothing
    returning org_id, client_id
  )
  update pg_temp.batch as b set accepted = true
  from firsts join fresh using (org_id, client_id)
  where b.idx = firsts.idx;
  update pg_temp.batch set accepted = true where client_id is null;
  delete from pg_temp.batch where accepted is not true;
  select count(*) into accepted_count from pg_temp.batch;

  for partition_day in select distinct day from pg_temp.batch order by 1 loop
    perform private.ensure_usage_event_partition(partition_day);
  end loop;
  insert into public.usage_events (org_id, event_type, occurred_at, client_id, subject, payload)
  select org_id, event_type, occurred_at, client_id, subject, payload from pg_temp.batch;

  -- Devices: the registry row of each device is locked (in a consistent order) before its activity days are read,
  -- so concurrent batches touching one device run its MAU update one after the other. ON CONFLICT locks the row
  -- even when its WHERE skips the update (a stored record newer than the batch).
  with upserted as (
    insert into public.devices as d (app_id, device_id, platform, version_name, plugin_version, os_version, version_build,
      custom_id, is_prod, is_emulator, last_seen_at)
    select subject, payload ->> 'device_id', (payload ->> 'platform')::public.device_platform, payload ->> 'version_name',
      coalesce(payload ->> 'plugin_version', ''), payload ->> 'os_version', coalesce(payload ->> 'version_build', ''),
      coalesce(payload ->> 'custom_id', ''), coalesce((payload ->> 'is_prod')::boolean, true),
      coalesce((payload ->> 'is_emulator')::boolean, false), occurred_at
    from (
      select distinct on (subject, payload ->> 'device_id') * from pg_temp.batch
      where event_type = 'device.activity'
      order by subject, payload ->> 'device_id', occurred_at desc
    ) as latest
    order by subject, payload ->> 'device_id'
    on conflict (app_id, device_id) do update set
      platform = coalesce(excluded.platform, d.platform),
      version_name = coalesce(excluded.version_name, d.version_name),
      plugin_version = case when excluded.plugin_version = '' then d.plugin_version else excluded.plugin_version end,
      os_version = coalesce(excluded.os_version, d.os_version),
      version_build = case when excluded.version_build = '' then d.version_build else excluded.version_build end,
      custom_id = case when excluded.custom_id = '' then d.custom_id else excluded.custom_id end,
      is_prod = excluded.is_prod,
      is_emulator = excluded.is_emulator,
      last_seen_at = excluded.last_seen_at
    where d.last_seen_at is null or excluded.last_seen_at >= d.last_seen_at
    returning d.app_id, d.device_id, d.xmax = 0 as inserted
  )
  -- A device the registry had never seen has no stored activity days: its MAU needs no lookups.
  update pg_temp.batch as b set first_seen = true
  from upserted as u
  where u.inserted and b.event_type = 'device.activity' and b.subject = u.app_id
    and b.payload ->> 'device_id' = u.device_id;

  -- MAU and bandwidth. A new active day d of a device covers the days [d, d+29] that its nearest earlier stored
  -- day (p) and its next day (stored or new in this batch, n) do not: [max(d, p+30), min(d+29, n-1)]; each covered
  -- day gets +1. Both reach app_daily_usage in one statement, rows in order: two statements could lock the rows of
  -- concurrent batches in crossed orders and deadlock.
  with batch_days as (
    select subject as app_id, payload ->> 'device_id' as device_id, day, bool_or(first_seen is true) as first_seen
    from pg_temp.batch where event_type = 'device.activity'
    group by 1, 2, 3
  ),
  new_days as (
    select b.* from batch_days as b
    where b.first_seen or not exists (
      select 1 from public.device_activity_days as a
      where a.app_id = b.app_id and a.device_id = b.device_id and a.day = b.day
    )
  ),
  neighbours as (
    select n.app_id, n.device_id, n.day,
      case when not n.first_seen then (
        select max(a.day) from public.device_activity_days as a
        where a.app_id = n.app_id and a.device_id = n.device_id and a.day < n.day
      ) end as previous_stored,
      least(
        case when not n.first_seen then (
          select min(a.day) from public.device_activity_days as a
          where a.app_id = n.app_id and a.device_id = n.device_id and a.day > n.day
        ) end,
        pg_catalog.lead(n.day) over (partition by n.app_id, n.device_id order by n.day)
      ) as next_any
    from new_days as n
  ),
  -- Each new day adds 1 on [lo, hi]; summing +1 at lo and -1 after hi per app and running the sum gives the
  -- increment of every affected day without expanding each range.
  ranges as (
    select app_id, greatest(day, previous_stored + 30) as lo, least(day + 29, next_any - 1) as hi from neighbours
  ),
  edges as (
    select app_id, edge_day, sum(change) as change
    from (
      select app_id, lo as edge_day, 1 as change from ranges where lo <= hi
      union all
      select app_id, hi + 1, -1 from ranges where lo <= hi
    ) as both_ends
    group by app_id, edge_day
  ),
  steps as (
    select app_id, edge_day,
      pg_catalog.lead(edge_day) over (partition by app_id order by edge_day) as next_edge,
      sum(change) over (partition by app_id order by edge_day) as added
    from edges
  ),
  covered as (
    select s.app_id, covered_day::date as day, s.added::integer as added
    from steps as s,
      pg_catalog.generate_series(s.edge_day::timestamp, (s.next_edge - 1)::timestamp, interval '1 day') as covered_day
    where s.added <> 0
  ),
  stored_days as (
    insert into public.device_activity_days (app_id, device_id, day)
    select app_id, device_id, day from new_days
    on conflict do nothing
  ),
  downloads as (
    select subject as app_id, day, sum((payload ->> 'bytes')::bigint) as bytes from pg_temp.batch
    where event_type = 'bundle.download'
    group by subject, day
  )
  insert into public.app_daily_usage as u (app_id, day, mau, bandwidth)
  select app_id, day, sum(mau_added), sum(bytes_added)
  from (
    select app_id, day, added as mau_added, 0 as bytes_added from covered
    union all
    select app_id, day, 0, bytes from downloads
  ) as increments
  group by app_id, day
  order by app_id, day
  on conflict (app_id, day) do update set mau = u.mau + excluded.mau, bandwidth = u.bandwidth + excluded.bandwidth;

  -- API traffic per space; bytes stay null until some event of the day measures them.
  insert into public.spaces (org_id, space_id)
  select distinct org_id, subject from pg_temp.batch where event_type = 'api.request' order by 1, 2
  on conflict do nothing;
  insert into public.space_daily_traffic as t (org_id, space_id, day, requests, bytes)
  select org_id, subject, day, sum(coalesce((payload ->> 'requests')::bigint, 1)), sum((payload ->> 'bytes')::bigint)
  from pg_temp.batch where event_type = 'api.request'
  group by org_id, subject, day
  order by org_id, subject, day
  on conflict (org_id, space_id, day) do update set
    requests = t.requests + excluded.requests,
    bytes = case when t.bytes is null and excluded.bytes is null then null
      else coalesce(t.bytes, 0) + coalesce(excluded.bytes, 0) end;

  -- Workspace activity: registry, workspaces, distinct sets per period and their counts.
  perform private.ingest_workspace_activity();

  return pg_catalog.jsonb_build_object('status', 'ok', 'accepted', accepted_count, 'duplicates', total - accepted_count);
end
$$;
comment on function public.ingest_events(jsonb, uuid) is
  'POST /ingest: validates the rights of a batch of usage events, skips already-accepted ids, stores the raw events and updates every daily rollup in the same transaction.';

-- Called by ingest_events only (it reads that function's temporary batch table); not granted to API roles.
create function private.ingest_workspace_activity() returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.workspaces (org_id, workspace_id)
  select distinct org_id, subject from pg_temp.batch where event_type = 'workspace.activity' order by 1, 2
  on conflict do nothing;

  with firsts as (
    select distinct on (org_id, payload ->> 'user_id', (payload ->> 'kind'))
      org_id, payload ->> 'user_id' as user_id, (payload ->> 'kind')::public.activity_kind as kind,
      coalesce(payload ->> 'org_domain', '') as org_domain, day
    from pg_temp.batch where event_type = 'workspace.activity'
    order by org_id, payload ->> 'user_id', (payload ->> 'kind'), occurred_at
  ),
  registered as (
    insert into public.activity_users as r (org_id, user_id, kind, org_domain, first_seen)
    select org_id, user_id, kind, org_domain, day from firsts order by org_id, user_id, kind
    on conflict (org_id, user_id, kind) do nothing
    returning org_id, kind, org_domain, first_seen
  )
  insert into public.activity_registrations as ar (org_id, kind, org_domain, day, registered)
  select org_id, kind, domain, first_seen, count(*)
  from registered, lateral (select '' as domain union all select org_domain where org_domain <> '') as domains
  group by org_id, kind, domain, first_seen
  order by org_id, kind, domain, first_seen
  on conflict (org_id, kind, org_domain, day) do update set registered = ar.registered + excluded.registered;

  -- Domains come from the registry, which now holds every user of the batch.
  with activity as (
    select distinct b.org_id, b.subject as workspace_id, (b.payload ->> 'kind')::public.activity_kind as kind,
      b.payload ->> 'user_id' as user_id, b.day,
      not (w.is_development or w.is_public) as counted
    from pg_temp.batch as b
    join public.workspaces as w on w.org_id = b.org_id and w.workspace_id = b.subject
    where b.event_type = 'workspace.activity'
  ),
  memberships as (
    select distinct a.org_id, scope.workspace_id, a.kind, p.period, private.period_start(p.period, a.day) as period_start,
      a.user_id
    from activity as a
    cross join lateral (select a.workspace_id union all select '' where a.counted) as scope (workspace_id)
    cross join pg_catalog.unnest(enum_range(null::public.activity_period)) as p (period)
  ),
  fresh as (
    insert into public.activity_period_members (org_id, workspace_id, kind, period, period_start, user_id)
    select * from memberships order by 1, 2, 3, 4, 5, 6
    on conflict do nothing
    returning *
  )
  insert into public.activity_period_counts as c (org_id, workspace_id, kind, period, period_start, org_domain, actives)
  select f.org_id, f.workspace_id, f.kind, f.period, f.period_start, domain, count(*)
  from fresh as f
  join public.activity_users as u on u.org_id = f.org_id and u.user_id = f.user_id and u.kind = f.kind,
    lateral (select '' as domain union all select u.org_domain where u.org_domain <> '') as domains
  group by 1, 2, 3, 4, 5, 6
  order by 1, 2, 3, 4, 5, 6
  on conflict (org_id, workspace_id, kind, period, period_start, org_domain) do update set actives = c.actives + excluded.actives;
end
$$;
comment on function private.ingest_workspace_activity() is
  'Part of ingest_events: workspace.activity events of the batch into the user registry, distinct sets and counts.';

-- ---------------------------------------------------------------------------------------------------------------
-- Reads for the statistics surfaces: one row per day of an inclusive range, zero-filled. They run as the caller,
-- so row-level security still applies.

create function private.app_daily_stats(p_app_ids text[], p_from date, p_to date)
returns table (day date, mau bigint, storage bigint, bandwidth bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  with storage_before as (
    select coalesce(sum(u.storage_delta), 0) as bytes from public.app_daily_usage as u
    where u.app_id = any (p_app_ids) and u.day < p_from
  ),
  in_range as (
    select u.day, sum(u.mau) as mau, sum(u.bandwidth) as bandwidth, sum(u.storage_delta) as storage_delta
    from public.app_daily_usage as u
    where u.app_id = any (p_app_ids) and u.day between p_from and p_to
    group by u.day
  )
  select d::date, coalesce(r.mau, 0)::bigint,
    ((select bytes from storage_before) + sum(coalesce(r.storage_delta, 0)) over (order by d))::bigint,
    coalesce(r.bandwidth, 0)::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join in_range as r on r.day = d::date
  order by d
$$;
comment on function private.app_daily_stats(text[], date, date) is
  'Per day of [p_from, p_to], summed over the apps: stored MAU, storage at the end of the day (running sum of deltas), bandwidth.';

create function private.recompute_mau(p_app_id text, p_from date, p_to date)
returns table (day date, mau bigint)
language sql stable
set search_path = ''
as $$
  select d::date, (
    select count(distinct a.device_id) from public.device_activity_days as a
    where a.app_id = p_app_id and a.day between d::date - 29 and d::date
  )
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  order by d
$$;
comment on function private.recompute_mau(text, date, date) is
  'MAU recomputed from the activity table by counting distinct devices per window: slow, exact; the tests'' reference.';

create function private.repair_mau(p_app_id text) returns integer
language plpgsql
set search_path = ''
as $$
declare
  changed integer;
begin
  -- One pass: each active day starts covering (+1) and stops (-1) 30 days later or at the device's next active
  -- day, whichever comes first; the running sum of these changes is the number of devices covering each day.
  with days as (
    select a.day, pg_catalog.lead(a.day) over (partition by a.device_id order by a.day) as next_day
    from public.device_activity_days as a where a.app_id = p_app_id
  ),
  changes as (
    select change_day, sum(change) as change
    from (
      select day as change_day, 1 as change from days
      union all
      select least(day + 30, next_day), -1 from days
    ) as both_ends
    group by change_day
  ),
  recomputed as (
    select d::date as day,
      (sum(coalesce(c.change, 0)) over (order by d))::integer as mau
    from pg_catalog.generate_series(
      (select min(change_day) from changes)::timestamp, (select max(change_day) from changes)::timestamp, interval '1 day'
    ) as d
    left join changes as c on c.change_day = d::date
  ),
  upserted as (
    insert into public.app_daily_usage as u (app_id, day, mau)
    select p_app_id, day, mau from recomputed where mau <> 0
    on conflict (app_id, day) do update set mau = excluded.mau where u.mau <> excluded.mau
    returning 1
  ),
  cleared as (
    update public.app_daily_usage as u set mau = 0
    where u.app_id = p_app_id and u.mau <> 0
      and not exists (select 1 from recomputed as r where r.day = u.day and r.mau <> 0)
    returning 1
  )
  select (select count(*) from upserted) + (select count(*) from cleared) into changed;
  return changed;
end
$$;
comment on function private.repair_mau(text) is
  'Rewrites an app''s stored MAU from its activity table (one pass); returns how many days changed. A repair tool.';

create function private.space_daily_traffic(p_org_id uuid, p_space_id text, p_from date, p_to date)
returns table (day date, requests bigint, bytes bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  select d::date, coalesce(sum(t.requests), 0)::bigint, sum(t.bytes)::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join public.space_daily_traffic as t
    on t.org_id = p_org_id and (p_space_id is null or t.space_id = p_space_id) and t.day = d::date
  group by d
  order by d
$$;
comment on function private.space_daily_traffic(uuid, text, date, date) is
  'Per day: API requests and bytes of one space (or all spaces of the org when p_space_id is null); bytes null when unmeasured.';

create function private.activity_actives(p_org_id uuid, p_workspace_id text, p_kind public.activity_kind,
  p_period public.activity_period, p_from date, p_to date, p_org_domain text default '')
returns table (period_start date, actives bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  select s::date, coalesce(c.actives, 0)::bigint
  from pg_catalog.generate_series(
    private.period_start(p_period, p_from)::timestamp, p_to::timestamp,
    case p_period when 'day' then interval '1 day' when 'week' then interval '1 week' else interval '1 month' end
  ) as s
  left join public.activity_period_counts as c
    on c.org_id = p_org_id and c.workspace_id = p_workspace_id and c.kind = p_kind and c.period = p_period
    and c.period_start = s::date and c.org_domain = p_org_domain
  order by s
$$;
comment on function private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text) is
  'Distinct active users (or developers) per day, ISO week or month overlapping [p_from, p_to], for a workspace or '''' (the org''s counted workspaces), optionally one email domain.';

create function private.activity_registered(p_org_id uuid, p_kind public.activity_kind, p_from date, p_to date,
  p_org_domain text default '')
returns table (day date, registered bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  with before_range as (
    select coalesce(sum(r.registered), 0) as total from public.activity_registrations as r
    where r.org_id = p_org_id and r.kind = p_kind and r.org_domain = p_org_domain and r.day < p_from
  )
  select d::date,
    ((select total from before_range) + sum(coalesce(r.registered, 0)) over (order by d))::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join public.activity_registrations as r
    on r.org_id = p_org_id and r.kind = p_kind and r.org_domain = p_org_domain and r.day = d::date
  order by d
$$;
comment on function private.activity_registered(uuid, public.activity_kind, date, date, text) is
  'Users (or developers) registered as of the end of each day.';

-- ---------------------------------------------------------------------------------------------------------------
-- Grants

revoke all on function private.app_owner(text), private.has_app_right(text, public.user_min_right), private.is_app_of_org(text, uuid),
  private.track_bundle_storage(), private.ensure_usage_event_partition(date),
  private.period_start(public.activity_period, date), private.ingest_workspace_activity(),
  private.app_daily_stats(text[], date, date), private.recompute_mau(text, date, date), private.repair_mau(text),
  private.space_daily_traffic(uuid, text, date, date),
  private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text),
  private.activity_registered(uuid, public.activity_kind, date, date, text),
  public.ingest_events(jsonb, uuid)
  from public, anon, authenticated;
grant execute on function private.has_app_right(text, public.user_min_right), private.is_app_of_org(text, uuid),
  private.period_start(public.activity_period, date),
  private.app_daily_stats(text[], date, date), private.space_daily_traffic(uuid, text, date, date),
  private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text),
  private.activity_registered(uuid, public.activity_kind, date, date, text),
  public.ingest_events(jsonb, uuid)
  to authenticated, service_role;
grant execute on function private.recompute_mau(text, date, date), private.repair_mau(text) to service_role;
