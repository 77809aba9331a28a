-- Metering: raw usage events partitioned by day, the ids that make a retried event count once, and the exact daily
-- rollups of the app platform (MAU, storage, bandwidth), all maintained by edge_api.ingest_events (and the storage
-- trigger) in the same transaction as the ingest. Statistics read the rollups, never the raw events.

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
comment on column public.usage_events.event_type is 'device.activity, bundle.download, api.request, workspace.activity or package.view.';
comment on column public.usage_events.occurred_at is 'When it happened (the event timestamp).';
comment on column public.usage_events.client_id is 'The client''s event id, when given.';
comment on column public.usage_events.subject is 'App, space, workspace or package id the event is about.';
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

-- A device's active days are bits on its registry row (devices.first_active_day, devices.active_days): the row
-- every batch locks and updates anyway, a bit per day of its active span.
create view private.device_active_days with (security_invoker = true) as
select v.app_id, v.device_id, v.first_active_day + i as day
from public.devices as v, pg_catalog.generate_series(0, pg_catalog.length(v.active_days) - 1) as i
where pg_catalog.get_bit(v.active_days, i) = 1;
comment on view private.device_active_days is
  'Every (device, UTC day) a device was active, one row per set bit of devices.active_days.';
revoke all on private.device_active_days from public, anon, authenticated;
grant select on private.device_active_days to service_role;

create table public.app_daily_usage (
  app_id text not null references public.apps (app_id) on delete cascade,
  day date not null,
  bandwidth bigint not null default 0,
  storage_delta bigint not null default 0,
  mau_delta integer not null default 0,
  primary key (app_id, day)
) with (fillfactor = 70);
comment on table public.app_daily_usage is
  'Per app and UTC day: the change of MAU, bandwidth, and the change of storage (MAU and storage are running sums). Updated by every ingest: pages keep room (fillfactor 70) for in-place (HOT) updates.';
comment on column public.app_daily_usage.app_id is 'App.';
comment on column public.app_daily_usage.day is 'UTC day.';
comment on column public.app_daily_usage.bandwidth is 'Bytes downloaded this day.';
comment on column public.app_daily_usage.storage_delta is 'Bytes of bundles created minus bundles deleted this day.';
comment on column public.app_daily_usage.mau_delta is
  'Change of MAU this day: MAU of a day (distinct devices active in the 30 days ending that day) is the running sum.';

-- The running sums of MAU and storage before a statistics range add up these months, then the days of the
-- range's first month, instead of every day of the app's history.
create table public.app_monthly_changes (
  app_id text not null references public.apps (app_id) on delete cascade,
  month date not null check (month = pg_catalog.date_trunc('month', month::timestamp)::date),
  mau_delta bigint not null default 0,
  storage_delta bigint not null default 0,
  primary key (app_id, month)
) with (fillfactor = 70);
comment on table public.app_monthly_changes is
  'Per app and calendar month: the sums of app_daily_usage''s MAU and storage changes of its days, kept with them, so the running sums before a range read one row per month. Pages keep room (fillfactor 70) for in-place (HOT) updates.';
comment on column public.app_monthly_changes.app_id is 'App.';
comment on column public.app_monthly_changes.month is 'First day of the month.';
comment on column public.app_monthly_changes.mau_delta is 'Sum of the month''s daily MAU changes.';
comment on column public.app_monthly_changes.storage_delta is 'Sum of the month''s daily storage changes (bytes).';

-- ---------------------------------------------------------------------------------------------------------------
-- Row-level security. Rollups and raw events are written only by edge_api.ingest_events and by the triggers
-- below; API roles read them according to their role.

alter table public.usage_events enable row level security;
alter table public.usage_event_ids enable row level security;
alter table public.app_daily_usage enable row level security;
alter table public.app_monthly_changes enable row level security;

create policy usage_events_select on public.usage_events for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy usage_event_ids_select on public.usage_event_ids for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy app_daily_usage_select on public.app_daily_usage for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
create policy app_monthly_changes_select on public.app_monthly_changes for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));

revoke all on public.usage_events, public.usage_event_ids, public.app_daily_usage,
  public.app_monthly_changes from anon, authenticated;
grant select on public.usage_events, public.usage_event_ids, public.app_daily_usage,
  public.app_monthly_changes to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Storage: bundle sizes as daily deltas, kept by a trigger so every path that creates or deletes a bundle counts.

-- security definer: the rollups are not writable by API roles; the trigger only mirrors the bundle row being written.
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
  perform private.add_monthly_changes(pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('app_id', new.app_id, 'day', change_day, 'storage_change', change)
  ));
  return new;
end
$$;
comment on function private.track_bundle_storage() is
  'Trigger: adds a bundle''s size on its creation day and removes it on its deletion day (and in those months'' sums).';
create trigger app_versions_track_storage after insert or update of deleted, size on public.app_versions
  for each row execute function private.track_bundle_storage();

-- ---------------------------------------------------------------------------------------------------------------
-- An app's devices (and their active days) go with it (in place of a per-row foreign key)

-- security definer: API roles cannot delete devices; this only follows the deletion of apps.
create function private.delete_app_devices() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.devices as v using deleted_apps as d where v.app_id = d.app_id;
  return null;
end
$$;
comment on function private.delete_app_devices() is
  'Trigger: removes the devices of deleted apps, their active days with them (in place of a per-row foreign key, see ingest_events).';
create trigger apps_delete_devices after delete on public.apps
  referencing old table as deleted_apps
  for each statement execute function private.delete_app_devices();

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

-- security definer: dropping a partition needs its owner. Only service_role may run it (a scheduled job).
create function private.drop_raw_events_before(p_day date) returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  partition_name text;
  dropped integer := 0;
begin
  if p_day is null or p_day > (pg_catalog.now() at time zone 'UTC')::date then
    raise exception 'p_day must be today or earlier' using errcode = '22023';
  end if;
  for partition_name in
    select c.relname from pg_catalog.pg_inherits as i
    join pg_catalog.pg_class as c on c.oid = i.inhrelid
    where i.inhparent = 'public.usage_events'::pg_catalog.regclass and c.relname ~ '^usage_events_[0-9]{8}$'
      and pg_catalog.to_date(pg_catalog.right(c.relname, 8), 'YYYYMMDD') < p_day
    order by c.relname
  loop
    execute pg_catalog.format('drop table private.%I', partition_name);
    dropped := dropped + 1;
  end loop;
  -- An id received more than 400 days ago was for an event at least that old, which ingest now refuses anyway.
  delete from public.usage_event_ids where received_at < pg_catalog.now() - interval '400 days';
  return dropped;
end
$$;
comment on function private.drop_raw_events_before(date) is
  'Retention: drops the raw-event partitions of the days before p_day (statistics never read them; only repairs do) and the idempotency ids ingest no longer needs; returns how many days were dropped.';

-- ---------------------------------------------------------------------------------------------------------------
-- Ingest

-- Called by ingest and the storage trigger after they wrote their daily rows (repair_mau recomputes the sums itself).
create function private.add_monthly_changes(p_changes jsonb) returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.app_monthly_changes as m (app_id, month, mau_delta, storage_delta)
  select c.app_id, pg_catalog.date_trunc('month', c.day::timestamp)::date,
    sum(coalesce(c.mau_change, 0)), sum(coalesce(c.storage_change, 0))
  from pg_catalog.jsonb_to_recordset(p_changes) as c (app_id text, day date, mau_change bigint, storage_change bigint)
  group by 1, 2
  order by 1, 2
  on conflict (app_id, month) do update set
    mau_delta = m.mau_delta + excluded.mau_delta, storage_delta = m.storage_delta + excluded.storage_delta;
end
$$;
comment on function private.add_monthly_changes(jsonb) is
  'Adds daily MAU / storage changes ([{app_id, day, mau_change, storage_change}]) to their months in app_monthly_changes.';

create function private.day_bits(p_first date, p_days date[]) returns varbit
language plpgsql immutable strict
set search_path = ''
as $$
declare
  bits varbit := pg_catalog.repeat('0', (select max(d) from pg_catalog.unnest(p_days) as d) - p_first + 1)::varbit;
  active date;
begin
  foreach active in array p_days loop
    bits := pg_catalog.set_bit(bits, active - p_first, 1);
  end loop;
  return bits;
end
$$;
comment on function private.day_bits(date, date[]) is
  'The active-day bits of p_days (a bit per day from p_first, the earliest, to the latest; 1 = active).';

-- The batch table lives as long as the (pooled) session and empties at commit: no DDL per ingest.
create function private.prepare_ingest_batch() returns void
language plpgsql
set search_path = ''
as $$
begin
  -- Checking the catalog costs less than CREATE ... IF NOT EXISTS, which raises a notice every time.
  if pg_catalog.to_regclass('pg_temp.ingest_batch') is null then
    create temporary table ingest_batch (
      idx integer, event_type text, occurred_at timestamptz, day date, client_id text, org_id uuid, subject text,
      device_id text, payload jsonb
    ) on commit delete rows;
  end if;
  if pg_catalog.to_regclass('pg_temp.ingest_devices') is null then
    create temporary table ingest_devices (
      app_id text, device_id text, first_day date, last_day date, days varbit, last_seen_at timestamptz,
      platform public.device_platform, version_name text, plugin_version text, os_version text, version_build text,
      custom_id text, is_prod boolean, is_emulator boolean,
      -- From the device's registry row, when it has one (see private.read_batch_devices).
      known boolean not null default false, row_id tid, row_xmin xid, stored_from date, stored_until date,
      stored_bits varbit, stored_updated_at timestamptz, has_new_days boolean, record_changed boolean,
      record_platform public.device_platform, record_version_name text, record_plugin_version text,
      record_os_version text, record_version_build text, record_custom_id text, record_is_prod boolean,
      record_is_emulator boolean, record_last_seen_at timestamptz
    ) on commit delete rows;
  end if;
  delete from pg_temp.ingest_batch;
  delete from pg_temp.ingest_devices;
end
$$;
comment on function private.prepare_ingest_batch() is
  'Creates (once per session) and empties the temporary tables a batch of events is validated and counted from: its events, and its devices (one row each).';

-- Each device of the batch once, into pg_temp.ingest_devices: its days as bits (first bit: its first day), its latest
-- event's fields and, when the registry holds it, where its row is, its stored days, and what the batch changes there:
-- the days it adds, and the record its fields make when the batch is at least as recent as the stored one.
-- p_recheck reads again, once the rows are locked, only those another batch changed (or added) since the first read.
create function private.read_batch_devices(p_recheck boolean) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_recheck then
    -- A row the upsert locked (xmax set; a row this batch inserted has none) that changed since it was read.
    delete from pg_temp.ingest_devices as d
    using public.devices as v
    where v.app_id = d.app_id and v.device_id = d.device_id
      and (not d.known or d.has_new_days or d.record_changed) and v.xmax <> '0'::xid
      and (d.row_id, d.row_xmin) is distinct from (v.ctid, v.xmin);
  end if;
  insert into pg_temp.ingest_devices (app_id, device_id, first_day, last_day, days, last_seen_at, platform,
    version_name, plugin_version, os_version, version_build, custom_id, is_prod, is_emulator, known, row_id, row_xmin,
    stored_from, stored_until, stored_bits, stored_updated_at, has_new_days, record_changed, record_platform,
    record_version_name, record_plugin_version, record_os_version, record_version_build, record_custom_id,
    record_is_prod, record_is_emulator, record_last_seen_at)
  select d.app_id, d.device_id, d.first_day, d.last_day, d.days, d.last_seen_at, d.platform, d.version_name,
    d.plugin_version, d.os_version, d.version_build, d.custom_id, d.is_prod, d.is_emulator, v.ctid is not null,
    v.ctid, v.xmin, v.first_active_day, v.first_active_day + pg_catalog.length(v.active_days) - 1, v.active_days,
    v.updated_at,
    -- Batch days all stored already (a batch sent again, a device seen twice a day) add nothing.
    v.active_days is null or d.first_day < v.first_active_day
      or d.last_day > v.first_active_day + pg_catalog.length(v.active_days) - 1
      or pg_catalog.substring(v.active_days, d.first_day - v.first_active_day + 1, d.last_day - d.first_day + 1)
        & d.days <> d.days,
    (n.platform, n.version_name, n.plugin_version, n.os_version, n.version_build, n.custom_id, n.is_prod,
      n.is_emulator, n.last_seen_at) is distinct from (v.platform, v.version_name, v.plugin_version, v.os_version,
      v.version_build, v.custom_id, v.is_prod, v.is_emulator, v.last_seen_at),
    n.platform, n.version_name, n.plugin_version, n.os_version, n.version_build, n.custom_id, n.is_prod,
    n.is_emulator, n.last_seen_at
  from (
    select g.app_id, g.device_id, g.first_day, g.last_day, g.days, g.last_seen_at,
      (g.latest ->> 'platform')::public.device_platform as platform, g.latest ->> 'version_name' as version_name,
      g.latest ->> 'plugin_version' as plugin_version, g.latest ->> 'os_version' as os_version,
      g.latest ->> 'version_build' as version_build, g.latest ->> 'custom_id' as custom_id,
      (g.latest ->> 'is_prod')::boolean as is_prod, (g.latest ->> 'is_emulator')::boolean as is_emulator
    from (
      select subject as app_id, device_id, min(day) as first_day, max(day) as last_day,
        case when min(day) = max(day) then B'1' else private.day_bits(min(day), pg_catalog.array_agg(day)) end as days,
        max(occurred_at) as last_seen_at, (pg_catalog.array_agg(payload order by occurred_at desc))[1] as latest
      from pg_temp.ingest_batch
      where event_type = 'device.activity'
      group by subject, device_id
    ) as g
  ) as d
  left join public.devices as v on v.app_id = d.app_id and v.device_id = d.device_id
  left join lateral (
    select
      case when newer then coalesce(d.platform, v.platform) else v.platform end as platform,
      case when newer then coalesce(d.version_name, v.version_name) else v.version_name end as version_name,
      case when newer then coalesce(nullif(d.plugin_version, ''), v.plugin_version) else v.plugin_version end
        as plugin_version,
      case when newer then coalesce(d.os_version, v.os_version) else v.os_version end as os_version,
      case when newer then coalesce(nullif(d.version_build, ''), v.version_build) else v.version_build end
        as version_build,
      case when newer then coalesce(nullif(d.custom_id, ''), v.custom_id) else v.custom_id end as custom_id,
      case when newer then coalesce(d.is_prod, true) else v.is_prod end as is_prod,
      case when newer then coalesce(d.is_emulator, false) else v.is_emulator end as is_emulator,
      case when newer then d.last_seen_at else v.last_seen_at end as last_seen_at
    from (select coalesce(not v.last_seen_at > d.last_seen_at, true) as newer) as recency
  ) as n on v.ctid is not null
  where not p_recheck
    or not exists (select 1 from pg_temp.ingest_devices as b where b.app_id = d.app_id and b.device_id = d.device_id);
end
$$;
comment on function private.read_batch_devices(boolean) is
  'Collects the batch''s devices into pg_temp.ingest_devices with their registry rows as read now: where each is, its stored days, and the days and record the batch changes; with p_recheck, again for the locked rows changed since the first read.';


-- security definer: the rollups, registries and raw events are not writable by API roles. It first checks, for
-- every event, that the caller (auth.uid() through its key) has at least upload on the event's app or org, and
-- rejects the whole batch otherwise.
create function edge_api.ingest_events(p_events jsonb, p_org_id uuid default null) returns jsonb
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
  accepted_count integer := total;
  partition_day date;
  new_apps text[];
  new_devices text[];
  new_firsts date[];
  new_days varbit[];
  mau_changes jsonb;
begin
  if (select auth.uid()) is null then
    raise exception 'Invalid API key' using errcode = 'PT401';
  end if;

  -- The batch's apps are locked against deletion before anything is read (the key-share lock a foreign key would
  -- take for every inserted row): an app deleted before this point is not found below, one deleted after waits.
  perform 1 from public.apps
  where app_id in (select e ->> 'app_id' from pg_catalog.jsonb_array_elements(p_events) as e)
  order by app_id
  for key share;
  perform 1 from public.packages
  where pg_catalog.lower(identifier) in (
    select pg_catalog.lower(e ->> 'package_id') from pg_catalog.jsonb_array_elements(p_events) as e
  )
  order by id
  for key share;

  perform private.prepare_ingest_batch();

  -- Space and workspace events belong to the org given, or to the single org the key is limited to; app and
  -- package events to the app's or package's org. A package event's subject is the package's Id as stored.
  if event_org is null and pg_catalog.jsonb_array_length(key_orgs) = 1 then
    event_org := (key_orgs ->> 0)::uuid;
  end if;

  insert into pg_temp.ingest_batch (idx, event_type, occurred_at, day, client_id, org_id, subject, device_id, payload)
  select e.ordinality - 1, e.value ->> 'type', e.occurred_at, (e.occurred_at at time zone 'UTC')::date,
    e.value ->> 'id',
    case e.value ->> 'type'
      when 'device.activity' then a.owner_org when 'bundle.download' then a.owner_org when 'package.view' then p.org_id
      else event_org
    end,
    coalesce(e.value ->> 'app_id', e.value ->> 'space_id', e.value ->> 'workspace_id', p.identifier,
      e.value ->> 'package_id'),
    e.value ->> 'device_id',
    e.value
  from (
    select value, ordinality, (value ->> 'timestamp')::timestamptz as occurred_at
    from pg_catalog.jsonb_array_elements(p_events) with ordinality
  ) as e
  left join public.apps as a on a.app_id = e.value ->> 'app_id'
  -- Looked up for package events only, by the index on lower(identifier): a join would read every package (the
  -- limit keeps the planner from turning the lookup into one).
  left join lateral (
    select p.org_id, p.identifier from public.packages as p
    where e.value ->> 'type' = 'package.view'
      and pg_catalog.lower(p.identifier) = pg_catalog.lower(e.value ->> 'package_id')
    limit 1
  ) as p on true;

  -- Every event must be about something the caller may upload to; the batch is all or nothing. Rights are read
  -- once for every distinct app / org of the batch.
  with classified as (
    select idx, org_id,
      event_type in ('device.activity', 'bundle.download') as about_app,
      event_type = 'package.view' as about_package,
      case when event_type in ('device.activity', 'bundle.download') then subject end as app_id,
      case
        when occurred_at > pg_catalog.now() + interval '5 minutes' then 'timestamp is more than 5 minutes in the future'
        when occurred_at < pg_catalog.now() - interval '400 days' then 'timestamp is older than 400 days'
        when event_type = 'package.view' and org_id is null then 'Package ' || subject || ' not found'
      end as event_problem
    from pg_temp.ingest_batch
  ),
  subjects as materialized (
    select distinct about_app, about_package, org_id, app_id from classified where event_problem is null
  ),
  subject_problems as (
    select s.about_app, s.about_package, s.org_id, s.app_id, case
      when s.about_app and r.caller_right is null then 'App ' || s.app_id || ' not found'
      when not s.about_app and s.org_id is null then 'org_id is required: the key reaches more than one organization'
      -- Packages are public: one the caller cannot reach is refused as such, not as unknown.
      when s.about_package and (r.caller_right is null or r.caller_right < 'upload') then
        'Ingesting needs a key of mode upload or above on the package''s organization'
      when not s.about_app and r.caller_right is null then 'Organization not found'
      when s.about_app and r.caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on app ' || s.app_id
      when r.caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on the organization'
    end as problem
    from subjects as s
    join (
      select rights.*
      from (
        select pg_catalog.array_agg(org_id) as orgs, pg_catalog.array_agg(app_id) as apps
        from (select distinct org_id, app_id from subjects) as pairs
      ) as a,
        private.caller_rights(a.orgs, a.apps) as rights
    ) as r on r.org_id is not distinct from s.org_id and r.app_id is not distinct from s.app_id
  )
  select pg_catalog.jsonb_agg(
    pg_catalog.jsonb_build_object('index', c.idx, 'error', coalesce(c.event_problem, p.problem)) order by c.idx
  )
  into errors
  from classified as c
  left join (select * from subject_problems where problem is not null) as p
    on p.about_app = c.about_app and p.about_package = c.about_package and p.org_id is not distinct from c.org_id
      and p.app_id is not distinct from c.app_id
  where c.event_problem is not null or p.problem is not null;
  if errors is not null then
    -- The status follows the worst problem: not allowed (403), then not found (404), then invalid (400).
    raise exception 'Invalid events' using detail = errors::text, errcode = case
      when errors::text like '%Ingesting needs%' then 'PT403'
      when errors::text like '%not found%' then 'PT404'
      else 'PT400'
    end;
  end if;

  -- Idempotency: an id already accepted for the org (earlier, or earlier in this batch) is a duplicate.
  if exists (select 1 from pg_temp.ingest_batch where client_id is not null) then
    with firsts as (
      select distinct on (org_id, client_id) idx, org_id, client_id from pg_temp.ingest_batch
      where client_id is not null order by org_id, client_id, idx
    ),
    fresh as (
      insert into public.usage_event_ids (org_id, client_id)
      select org_id, client_id from firsts order by org_id, client_id
      on conflict do nothing
      returning org_id, client_id
    )
    delete from pg_temp.ingest_batch as b
    where b.client_id is not null
      and not exists (select 1 from firsts join fresh using (org_id, client_id) where firsts.idx = b.idx);
    select count(*) into accepted_count from pg_temp.ingest_batch;
  end if;

  for partition_day in select distinct day from pg_temp.ingest_batch order by 1 loop
    perform private.ensure_usage_event_partition(partition_day);
  end loop;
  insert into public.usage_events (org_id, event_type, occurred_at, client_id, subject, payload)
  select org_id, event_type, occurred_at, client_id, subject, payload from pg_temp.ingest_batch;

  -- Devices: each device of the batch once, with its registry row as read now.
  perform private.read_batch_devices(false);

  -- One upsert inserts the devices new to the registry and locks the known ones the batch changes, in key order, so
  -- that concurrent batches touching one device count its days one after the other. It changes no known row (the
  -- false condition): those are written once, below. A known device the batch changes nothing on (all its days
  -- stored, a record at least as recent: a batch sent again) is left alone: days and records only ever grow newer.
  with inserted as (
    insert into public.devices as d (app_id, device_id, platform, version_name, plugin_version, os_version, version_build,
      custom_id, is_prod, is_emulator, last_seen_at, first_active_day, active_days)
    select b.app_id, b.device_id, b.platform, b.version_name, coalesce(b.plugin_version, ''), b.os_version,
      coalesce(b.version_build, ''), coalesce(b.custom_id, ''), coalesce(b.is_prod, true), coalesce(b.is_emulator, false),
      b.last_seen_at, b.first_day, b.days
    from pg_temp.ingest_devices as b
    where not b.known or b.has_new_days or b.record_changed
    order by b.app_id, b.device_id
    on conflict (app_id, device_id) do update set last_seen_at = d.last_seen_at where false
    returning d.app_id, d.device_id, d.first_active_day, d.active_days
  )
  select pg_catalog.array_agg(app_id), pg_catalog.array_agg(device_id), pg_catalog.array_agg(first_active_day),
    pg_catalog.array_agg(active_days)
  into new_apps, new_devices, new_firsts, new_days
  from inserted;
  -- Another batch may have changed one of the locked rows, or added a device, since they were read: read those again,
  -- locked now (a row still where it was read, with the same xmin, is unchanged).
  if coalesce(pg_catalog.cardinality(new_apps), 0) <> (select count(*) from pg_temp.ingest_devices where not known)
    or exists (
      select 1 from pg_temp.ingest_devices as b
      where b.known and (b.has_new_days or b.record_changed)
        and not exists (select 1 from public.devices as v where v.ctid = b.row_id and v.xmin = b.row_xmin)
    )
  then
    perform private.read_batch_devices(true);
  end if;

  -- MAU and bandwidth. A new active day d of a device covers the days [d, d+29] that its nearest earlier stored
  -- day (p) and its next day (stored or new in this batch, n) do not: [max(d, p+30), min(d+29, n-1)]. That range
  -- adds 1 to MAU from its first day and takes it back after its last. For a single day after every stored one (a
  -- new device, a returning one: the usual case) that is [max(d, last stored + 30), d+29]. Otherwise only stored
  -- days within 29 days of the batch's days can bound a range: the bits of the window around them. A known
  -- device's row is written once, with its new days and, when the batch is at least as recent as the stored record,
  -- the batch's fields; the row lock taken above keeps other batches from changing it. The MAU and bandwidth
  -- changes reach app_daily_usage in one statement, rows in order: two statements could lock the rows of
  -- concurrent batches in crossed orders and deadlock.
  with fresh as (
    select n.app_id, n.device_id, n.first_day, n.first_day + pg_catalog.length(n.days) - 1 as last_day, n.days
    from rows from (pg_catalog.unnest(new_apps), pg_catalog.unnest(new_devices), pg_catalog.unnest(new_firsts),
      pg_catalog.unnest(new_days)) as n (app_id, device_id, first_day, days)
  ),
  counted as (
    -- The devices whose days count: those new to the registry, and the known ones with days not stored yet.
    select app_id, device_id, first_day, last_day, days, null::date as stored_from, null::date as stored_until,
      null::varbit as stored_bits
    from fresh
    union all
    select app_id, device_id, first_day, last_day, days, stored_from, stored_until, stored_bits
    from pg_temp.ingest_devices where known and has_new_days
  ),
  single_days as (
    select app_id, first_day as day, stored_until from counted
    where first_day = last_day and (stored_until is null or first_day > stored_until)
  ),
  other as (
    select * from counted
    where first_day <> last_day or first_day <= stored_until
  ),
  batch_days as (
    select c.app_id, c.device_id, c.first_day + i as day
    from other as c, pg_catalog.generate_series(0, c.last_day - c.first_day) as i
    where pg_catalog.get_bit(c.days, i) = 1
  ),
  nearby_stored as (
    select app_id, device_id, stored_until as day from other where stored_until is not null
    union all
    select k.app_id, k.device_id, k.stored_from + i
    from (select * from other where first_day <= stored_until) as k,
      pg_catalog.generate_series(greatest(k.first_day - 29, k.stored_from) - k.stored_from,
        least(k.last_day + 29, k.stored_until - 1) - k.stored_from) as i
    where pg_catalog.get_bit(k.stored_bits, i) = 1
  ),
  known_days as (
    select b.app_id, b.device_id, b.day, true as is_new from batch_days as b
    where not exists (
      select 1 from nearby_stored as s where s.app_id = b.app_id and s.device_id = b.device_id and s.day = b.day
    )
    union all
    select app_id, device_id, day, false from nearby_stored
  ),
  neighbours as (
    select app_id, device_id, day, is_new,
      max(case when not is_new then day end) over (
        partition by app_id, device_id order by day rows between unbounded preceding and 1 preceding
      ) as previous_stored,
      pg_catalog.lead(day) over (partition by app_id, device_id order by day) as next_day
    from known_days
  ),
  ranges as (
    select app_id, greatest(day, stored_until + 30) as first_covered, day + 29 as last_covered from single_days
    union all
    select app_id, greatest(day, previous_stored + 30), least(day + 29, next_day - 1)
    from neighbours
    where is_new
  ),
  recorded as (
    update public.devices as v set
      platform = k.record_platform, version_name = k.record_version_name,
      plugin_version = k.record_plugin_version, os_version = k.record_os_version,
      version_build = k.record_version_build, custom_id = k.record_custom_id, is_prod = k.record_is_prod,
      is_emulator = k.record_is_emulator, last_seen_at = k.record_last_seen_at,
      -- The record changed, not only its activity (the touch trigger leaves rows whose updated_at is set alone).
      updated_at = case when k.record_changed then pg_catalog.now() else k.stored_updated_at end,
      first_active_day = case when k.has_new_days then least(k.stored_from, k.first_day) else k.stored_from end,
      active_days = case
        when not k.has_new_days then k.stored_bits
        when k.stored_bits is null then k.days
        -- Days after the last stored one extend the bits.
        when k.first_day > k.stored_until then
          k.stored_bits || (pg_catalog.repeat('0', k.first_day - k.stored_until - 1) || k.days::text)::varbit
        -- Otherwise both are padded to the union of their spans and merged.
        else (pg_catalog.repeat('0', k.stored_from - least(k.stored_from, k.first_day)) || k.stored_bits::text
            || pg_catalog.repeat('0', greatest(k.last_day - k.stored_until, 0)))::varbit
          | (pg_catalog.repeat('0', k.first_day - least(k.stored_from, k.first_day)) || k.days::text
            || pg_catalog.repeat('0', greatest(k.stored_until - k.last_day, 0)))::varbit
      end
    from pg_temp.ingest_devices as k
    where v.ctid = k.row_id and k.known and (k.has_new_days or k.record_changed)
  ),
  increments as (
    select app_id, day, sum(mau_change)::integer as mau_change, sum(bytes) as bytes
    from (
      select app_id, first_covered as day, 1 as mau_change, 0::bigint as bytes from ranges
      where first_covered <= last_covered
      union all
      select app_id, last_covered + 1, -1, 0 from ranges
      where first_covered <= last_covered
      union all
      select subject, day, 0, (payload ->> 'bytes')::bigint from pg_temp.ingest_batch
      where event_type = 'bundle.download'
    ) as both_kinds
    group by app_id, day
    having sum(mau_change) <> 0 or sum(bytes) <> 0
  ),
  daily as (
    insert into public.app_daily_usage as u (app_id, day, mau_delta, bandwidth)
    select app_id, day, mau_change, bytes from increments
    order by app_id, day
    on conflict (app_id, day) do update set
      mau_delta = u.mau_delta + excluded.mau_delta, bandwidth = u.bandwidth + excluded.bandwidth
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('app_id', app_id, 'day', day, 'mau_change', mau_change)), '[]')
  into mau_changes
  from increments where mau_change <> 0;

  -- The same MAU changes summed per month, in a second statement: every writer locks daily rows, then monthly rows.
  perform private.add_monthly_changes(mau_changes);

  -- API traffic: spaces, their rollups and the organization's, and the traffic alerts crossed.
  perform private.ingest_api_traffic();

  -- Imported package views add to their days, with no per-client deduplication: the importer vouches for them.
  insert into public.package_daily_views as v (package_id, day, views)
  select p.id, b.day, sum(coalesce((b.payload ->> 'views')::bigint, 1))
  from pg_temp.ingest_batch as b
  join public.packages as p on pg_catalog.lower(p.identifier) = pg_catalog.lower(b.subject)
  where b.event_type = 'package.view'
  group by p.id, b.day
  order by p.id, b.day
  on conflict (package_id, day) do update set views = v.views + excluded.views;

  -- Workspace activity: registry, workspaces, distinct sets per period and their counts.
  perform private.ingest_workspace_activity();

  return pg_catalog.jsonb_build_object('status', 'ok', 'accepted', accepted_count, 'duplicates', total - accepted_count);
end
$$;
comment on function edge_api.ingest_events(jsonb, uuid) is
  'POST /ingest: validates the rights of a batch of usage events, skips already-accepted ids, stores the raw events and updates every daily rollup in the same transaction.';

-- ---------------------------------------------------------------------------------------------------------------
-- MAU from the activity days: the definition (the tests' reference) and a repair that rebuilds the stored changes

create function private.recompute_mau(p_app_id text, p_from date, p_to date)
returns table (day date, mau bigint)
language sql stable
set search_path = ''
as $$
  select d::date, (
    select count(distinct a.device_id) from private.device_active_days as a
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
  -- Each active day starts covering (+1) and stops (-1) 30 days later or at the device's next active day,
  -- whichever comes first.
  with days as (
    select a.day, pg_catalog.lead(a.day) over (partition by a.device_id order by a.day) as next_day
    from private.device_active_days as a where a.app_id = p_app_id
  ),
  changes as (
    select change_day as day, sum(change)::integer as change
    from (
      select day as change_day, 1 as change from days
      union all
      select least(day + 30, next_day), -1 from days
    ) as both_ends
    group by change_day
    having sum(change) <> 0
  ),
  upserted as (
    insert into public.app_daily_usage as u (app_id, day, mau_delta)
    select p_app_id, day, change from changes
    order by day
    on conflict (app_id, day) do update set mau_delta = excluded.mau_delta where u.mau_delta <> excluded.mau_delta
    returning 1
  ),
  cleared as (
    update public.app_daily_usage as u set mau_delta = 0
    where u.app_id = p_app_id and u.mau_delta <> 0
      and not exists (select 1 from changes as c where c.day = u.day)
    returning 1
  )
  select (select count(*) from upserted) + (select count(*) from cleared) into changed;

  -- The monthly sums follow the daily rows.
  insert into public.app_monthly_changes as m (app_id, month, mau_delta)
  select p_app_id, pg_catalog.date_trunc('month', u.day::timestamp)::date, sum(u.mau_delta)
  from public.app_daily_usage as u where u.app_id = p_app_id
  group by 2
  on conflict (app_id, month) do update set mau_delta = excluded.mau_delta where m.mau_delta <> excluded.mau_delta;
  update public.app_monthly_changes as m set mau_delta = 0
  where m.app_id = p_app_id and m.mau_delta <> 0
    and not exists (
      select 1 from public.app_daily_usage as u
      where u.app_id = p_app_id and u.day >= m.month and u.day < (m.month + interval '1 month')::date
    );
  return changed;
end
$$;
comment on function private.repair_mau(text) is
  'Rewrites an app''s stored MAU changes (daily, then their monthly sums) from its activity table in one pass; returns how many days changed. A repair tool.';

-- ---------------------------------------------------------------------------------------------------------------
-- Grants

revoke all on function private.track_bundle_storage(), private.delete_app_devices(), private.prepare_ingest_batch(),
  private.day_bits(date, date[]), private.read_batch_devices(boolean),
  private.ensure_usage_event_partition(date), private.drop_raw_events_before(date), private.add_monthly_changes(jsonb),
  edge_api.ingest_events(jsonb, uuid),
  private.recompute_mau(text, date, date), private.repair_mau(text)
  from public, anon, authenticated;
grant execute on function edge_api.ingest_events(jsonb, uuid) to authenticated, service_role;
grant execute on function private.recompute_mau(text, date, date), private.repair_mau(text),
  private.drop_raw_events_before(date) to service_role;
