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
  delete from pg_temp.ingest_batch;
end
$$;
comment on function private.prepare_ingest_batch() is
  'Creates (once per session) and empties the temporary table a batch of events is validated and counted from.';


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
  device_apps text[];
  device_ids text[];
  device_rows tid[];
  stored_froms date[];
  stored_bits varbit[];
  inserted_devices boolean[];
  batch_firsts date[];
  batch_lasts date[];
  batch_bits varbit[];
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
  left join public.packages as p on pg_catalog.lower(p.identifier) = pg_catalog.lower(e.value ->> 'package_id');

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

  -- Devices: one upsert locks each device's registry row (in a consistent order), so that concurrent batches
  -- touching one device count its days one after the other, and returns what the count needs: whether the row
  -- is new, where it is, and its stored active days (the upsert leaves them as they were; a new device is
  -- inserted with its batch's days). Every known row is updated, its metadata only from a batch at least as recent
  -- as the stored record, so that every row is returned.
  with batch_devices as (
    select distinct on (subject, device_id) subject, device_id, payload, occurred_at
    from pg_temp.ingest_batch
    where event_type = 'device.activity'
    order by subject, device_id, occurred_at desc
  ),
  -- Each device's days in the batch: its first and last, and the bits of those between (first bit: first day).
  batch_spans as (
    select g.app_id, g.device_id, min(g.day) as first_day, max(g.day) as last_day,
      pg_catalog.string_agg(pg_catalog.repeat('0', coalesce(g.gap, 1) - 1) || '1', '' order by g.day)::varbit as days
    from (
      select subject as app_id, device_id, day,
        day - pg_catalog.lag(day) over (partition by subject, device_id order by day) as gap
      from pg_temp.ingest_batch
      where event_type = 'device.activity'
      group by subject, device_id, day
    ) as g
    group by g.app_id, g.device_id
  ),
  upserted as (
    insert into public.devices as d (app_id, device_id, platform, version_name, plugin_version, os_version, version_build,
      custom_id, is_prod, is_emulator, last_seen_at, first_active_day, active_days)
    select b.subject, b.device_id, (b.payload ->> 'platform')::public.device_platform, b.payload ->> 'version_name',
      coalesce(b.payload ->> 'plugin_version', ''), b.payload ->> 'os_version', coalesce(b.payload ->> 'version_build', ''),
      coalesce(b.payload ->> 'custom_id', ''), coalesce((b.payload ->> 'is_prod')::boolean, true),
      coalesce((b.payload ->> 'is_emulator')::boolean, false), b.occurred_at, m.first_day, m.days
    from batch_devices as b
    join batch_spans as m on m.app_id = b.subject and m.device_id = b.device_id
    order by b.subject, b.device_id
    on conflict (app_id, device_id) do update set
      platform = case when d.last_seen_at > excluded.last_seen_at then d.platform
        else coalesce(excluded.platform, d.platform) end,
      version_name = case when d.last_seen_at > excluded.last_seen_at then d.version_name
        else coalesce(excluded.version_name, d.version_name) end,
      plugin_version = case when d.last_seen_at > excluded.last_seen_at or excluded.plugin_version = ''
        then d.plugin_version else excluded.plugin_version end,
      os_version = case when d.last_seen_at > excluded.last_seen_at then d.os_version
        else coalesce(excluded.os_version, d.os_version) end,
      version_build = case when d.last_seen_at > excluded.last_seen_at or excluded.version_build = ''
        then d.version_build else excluded.version_build end,
      custom_id = case when d.last_seen_at > excluded.last_seen_at or excluded.custom_id = ''
        then d.custom_id else excluded.custom_id end,
      is_prod = case when d.last_seen_at > excluded.last_seen_at then d.is_prod else excluded.is_prod end,
      is_emulator = case when d.last_seen_at > excluded.last_seen_at then d.is_emulator else excluded.is_emulator end,
      last_seen_at = greatest(d.last_seen_at, excluded.last_seen_at)
    returning d.app_id, d.device_id, d.ctid, d.first_active_day, d.active_days, d.xmax = 0 as inserted
  )
  select pg_catalog.array_agg(u.app_id), pg_catalog.array_agg(u.device_id), pg_catalog.array_agg(u.ctid),
    pg_catalog.array_agg(u.first_active_day), pg_catalog.array_agg(u.active_days), pg_catalog.array_agg(u.inserted),
    pg_catalog.array_agg(m.first_day), pg_catalog.array_agg(m.last_day), pg_catalog.array_agg(m.days)
  into device_apps, device_ids, device_rows, stored_froms, stored_bits, inserted_devices, batch_firsts, batch_lasts,
    batch_bits
  from upserted as u
  join batch_spans as m on m.app_id = u.app_id and m.device_id = u.device_id;

  -- MAU and bandwidth. A new active day d of a device covers the days [d, d+29] that its nearest earlier stored
  -- day (p) and its next day (stored or new in this batch, n) do not: [max(d, p+30), min(d+29, n-1)]. That range
  -- adds 1 to MAU from its first day and takes it back after its last. Only stored days within 29 days of the
  -- batch's days can bound a range, and all of them are in the bits returned above: for days after a device's last
  -- stored day (the usual case) that last day is all there is to read; for a device whose batch days are all
  -- stored already, nothing; otherwise the bits of the window around the batch's days. The new days are then added
  -- to the row's bits, found by its row id: the row lock taken above keeps other batches from changing it. The MAU
  -- and bandwidth changes reach app_daily_usage in one statement, rows in order: two statements could lock the rows
  -- of concurrent batches in crossed orders and deadlock.
  with batch_days as (
    select subject as app_id, device_id, day from pg_temp.ingest_batch
    where event_type = 'device.activity'
    group by subject, device_id, day
  ),
  stored as (
    select s.app_id, s.device_id, s.row_id, s.inserted, s.stored_from,
      s.stored_from + pg_catalog.length(s.stored_bits) - 1 as stored_until, s.stored_bits, s.first_day, s.last_day,
      s.batch_bits
    from rows from (pg_catalog.unnest(device_apps), pg_catalog.unnest(device_ids), pg_catalog.unnest(device_rows),
      pg_catalog.unnest(stored_froms), pg_catalog.unnest(stored_bits), pg_catalog.unnest(inserted_devices),
      pg_catalog.unnest(batch_firsts), pg_catalog.unnest(batch_lasts), pg_catalog.unnest(batch_bits))
      as s (app_id, device_id, row_id, stored_from, stored_bits, inserted, first_day, last_day, batch_bits)
  ),
  known_devices as (
    select s.app_id, s.device_id, s.row_id, s.stored_from, s.stored_until, s.stored_bits, s.first_day, s.last_day,
      s.batch_bits
    from stored as s
    where not s.inserted
      -- Batch days all stored already (a batch sent again, a device seen twice a day) change nothing.
      and (s.stored_bits is null or s.first_day < s.stored_from or s.last_day > s.stored_until
        or pg_catalog.substring(s.stored_bits, s.first_day - s.stored_from + 1, s.last_day - s.first_day + 1)
          & s.batch_bits <> s.batch_bits)
  ),
  nearby_stored as (
    select app_id, device_id, stored_until as day from known_devices where stored_until is not null
    union all
    select k.app_id, k.device_id, k.stored_from + i
    from (select * from known_devices where first_day <= stored_until) as k,
      pg_catalog.generate_series(greatest(k.first_day - 29, k.stored_from) - k.stored_from,
        least(k.last_day + 29, k.stored_until - 1) - k.stored_from) as i
    where pg_catalog.get_bit(k.stored_bits, i) = 1
  ),
  counted_days as (
    -- The days of the devices new to the registry, and of the known devices that have new ones.
    select b.app_id, b.device_id, b.day
    from batch_days as b
    join stored as s on s.app_id = b.app_id and s.device_id = b.device_id
    where s.inserted
    union all
    select b.app_id, b.device_id, b.day
    from batch_days as b
    join known_devices as k on k.app_id = b.app_id and k.device_id = b.device_id
  ),
  known_days as (
    select c.app_id, c.device_id, c.day, true as is_new from counted_days as c
    where not exists (
      select 1 from nearby_stored as s where s.app_id = c.app_id and s.device_id = c.device_id and s.day = c.day
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
    select app_id, greatest(day, previous_stored + 30) as first_covered, least(day + 29, next_day - 1) as last_covered
    from neighbours
    where is_new
  ),
  recorded as (
    update public.devices as v set
      first_active_day = least(k.stored_from, k.first_day),
      active_days = case
        when k.stored_bits is null then k.batch_bits
        -- Days after the last stored one extend the bits.
        when k.first_day > k.stored_until then
          k.stored_bits || (pg_catalog.repeat('0', k.first_day - k.stored_until - 1) || k.batch_bits::text)::varbit
        -- Otherwise both are padded to the union of their spans and merged.
        else (pg_catalog.repeat('0', k.stored_from - least(k.stored_from, k.first_day)) || k.stored_bits::text
            || pg_catalog.repeat('0', greatest(k.last_day - k.stored_until, 0)))::varbit
          | (pg_catalog.repeat('0', k.first_day - least(k.stored_from, k.first_day)) || k.batch_bits::text
            || pg_catalog.repeat('0', greatest(k.stored_until - k.last_day, 0)))::varbit
      end
    from known_devices as k
    where v.ctid = k.row_id
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
  private.ensure_usage_event_partition(date), private.drop_raw_events_before(date), private.add_monthly_changes(jsonb),
  edge_api.ingest_events(jsonb, uuid),
  private.recompute_mau(text, date, date), private.repair_mau(text)
  from public, anon, authenticated;
grant execute on function edge_api.ingest_events(jsonb, uuid) to authenticated, service_role;
grant execute on function private.recompute_mau(text, date, date), private.repair_mau(text),
  private.drop_raw_events_before(date) to service_role;
