-- Ingest throughput. Measured on the benchmark workload (bench/), a batch of 1000 device events spent most of its
-- time in per-row work that a batch can do once:
-- * Stored MAU becomes a daily change (mau_delta; MAU = running sum, like storage): a new active day adds two rows
--   (+1 where its coverage starts, -1 after it ends) instead of incrementing up to 30 daily rows.
-- * The foreign keys from devices and device_activity_days to apps checked every inserted row (one lookup and row
--   lock per row). Ingest now takes those key-share locks once per app of the batch, before reading anything, and
--   an app's devices and activity days go with it through a trigger.
-- * Stored activity days are read only for devices the registry already knew, with one index range scan per
--   device instead of three probes per new day; the new days are inserted without ON CONFLICT (the device's row
--   lock already rules a conflict out).
-- * A device's first active day is kept on its registry row (devices.first_active_day), which ingest writes anyway;
--   device_activity_days holds its other days. A device seen on one day, the common case, costs one row, not two.
-- * The caller's rights are read in one query for every app and org of the batch (private.caller_rights).
-- * The running sums of MAU and storage before a statistics range add up monthly sums (app_monthly_changes) and the
--   days of the range's first month, instead of every day of the app's history.

-- ---------------------------------------------------------------------------------------------------------------
-- MAU as daily changes

alter table public.app_daily_usage add column mau_delta integer not null default 0;
comment on column public.app_daily_usage.mau_delta is
  'Change of MAU this day: MAU of a day (distinct devices active in the 30 days ending that day) is the running sum.';
comment on table public.app_daily_usage is
  'Per app and UTC day: the change of MAU, bandwidth, and the change of storage (MAU and storage are running sums). Updated by every ingest: pages keep room (fillfactor 70) for in-place (HOT) updates.';

-- The change of day d is MAU(d) - MAU(d - 1); a day without a row had MAU 0.
with changes as (
  select app_id, day, sum(change)::integer as change
  from (
    select app_id, day, mau as change from public.app_daily_usage where mau <> 0
    union all
    select app_id, day + 1, -mau from public.app_daily_usage where mau <> 0
  ) as both_sides
  group by app_id, day
  having sum(change) <> 0
)
insert into public.app_daily_usage as u (app_id, day, mau_delta)
select app_id, day, change from changes order by app_id, day
on conflict (app_id, day) do update set mau_delta = excluded.mau_delta;

alter table public.app_daily_usage drop column mau;

-- ---------------------------------------------------------------------------------------------------------------
-- A device's first active day on its registry row

alter table public.devices add column first_active_day date;
comment on column public.devices.first_active_day is
  'UTC day of the activity that added the device to the registry; its other active days are in device_activity_days. Null for a device linked before it was ever active.';

with firsts as (
  select app_id, device_id, min(day) as day from public.device_activity_days group by app_id, device_id
)
update public.devices as d set first_active_day = f.day
from firsts as f
where d.app_id = f.app_id and d.device_id = f.device_id;
delete from public.device_activity_days as a
using public.devices as d
where a.app_id = d.app_id and a.device_id = d.device_id and a.day = d.first_active_day;

-- The first active day feeds MAU, so only ingest writes it: API roles keep insert and update on the other columns.
revoke insert, update on public.devices from authenticated;
grant insert (app_id, device_id, custom_id, platform, version_name, plugin_version, os_version, version_build, is_prod,
    is_emulator, version_override_id, channel_override_id, last_seen_at, created_at, updated_at),
  update (app_id, device_id, custom_id, platform, version_name, plugin_version, os_version, version_build, is_prod,
    is_emulator, version_override_id, channel_override_id, last_seen_at, created_at, updated_at)
  on public.devices to authenticated;

comment on table public.device_activity_days is
  'The active days of an app''s devices other than each device''s first (devices.first_active_day): with it, the distinct (device, UTC day) set MAU comes from.';

create view private.device_active_days with (security_invoker = true) as
select app_id, device_id, first_active_day as day from public.devices where first_active_day is not null
union all
select app_id, device_id, day from public.device_activity_days;
comment on view private.device_active_days is
  'Every (device, UTC day) a device was active: its first day from its registry row, the others from device_activity_days.';
revoke all on private.device_active_days from public, anon, authenticated;
grant select on private.device_active_days to service_role;

create or replace function private.recompute_mau(p_app_id text, p_from date, p_to date)
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

-- ---------------------------------------------------------------------------------------------------------------
-- Monthly sums of the daily changes: a statistics read adds up whole months before its range, not every day.

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

alter table public.app_monthly_changes enable row level security;
create policy app_monthly_changes_select on public.app_monthly_changes for select to authenticated
  using ((select private.has_app_right(app_id, 'read')));
revoke all on public.app_monthly_changes from anon, authenticated;
grant select on public.app_monthly_changes to authenticated;

insert into public.app_monthly_changes (app_id, month, mau_delta, storage_delta)
select app_id, pg_catalog.date_trunc('month', day::timestamp)::date, sum(mau_delta), sum(storage_delta)
from public.app_daily_usage
group by 1, 2
having sum(mau_delta) <> 0 or sum(storage_delta) <> 0;

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

create or replace function private.app_daily_stats(p_app_ids text[], p_from date, p_to date)
returns table (day date, mau bigint, storage bigint, bandwidth bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  with month_start as (
    select pg_catalog.date_trunc('month', p_from::timestamp)::date as day
  ),
  before_range as (
    select sum(mau) as mau, sum(storage) as storage
    from (
      select coalesce(sum(m.mau_delta), 0) as mau, coalesce(sum(m.storage_delta), 0) as storage
      from public.app_monthly_changes as m
      where m.app_id = any (p_app_ids) and m.month < (select day from month_start)
      union all
      select coalesce(sum(u.mau_delta), 0), coalesce(sum(u.storage_delta), 0)
      from public.app_daily_usage as u
      where u.app_id = any (p_app_ids) and u.day >= (select day from month_start) and u.day < p_from
    ) as months_then_days
  ),
  in_range as (
    select u.day, sum(u.mau_delta) as mau_delta, sum(u.bandwidth) as bandwidth, sum(u.storage_delta) as storage_delta
    from public.app_daily_usage as u
    where u.app_id = any (p_app_ids) and u.day between p_from and p_to
    group by u.day
  )
  select d::date,
    ((select mau from before_range) + sum(coalesce(r.mau_delta, 0)) over (order by d))::bigint,
    ((select storage from before_range) + sum(coalesce(r.storage_delta, 0)) over (order by d))::bigint,
    coalesce(r.bandwidth, 0)::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join in_range as r on r.day = d::date
  order by d
$$;
comment on function private.app_daily_stats(text[], date, date) is
  'Per day of [p_from, p_to], summed over the apps: MAU and storage at the end of the day (running sums of their changes: whole months, then days, before the range), bandwidth.';

create or replace function private.repair_mau(p_app_id text) returns integer
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

-- security definer: the rollups are not writable by API roles; the trigger only mirrors the bundle row being written.
create or replace function private.track_bundle_storage() returns trigger
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

-- ---------------------------------------------------------------------------------------------------------------
-- Per-batch app locks instead of per-row foreign keys

alter table public.devices drop constraint devices_app_id_fkey;
alter table public.device_activity_days drop constraint device_activity_days_app_id_fkey;

-- security definer: API roles cannot delete from the activity table; this only follows the deletion of apps.
create function private.delete_app_devices() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.device_activity_days as a using deleted_apps as d where a.app_id = d.app_id;
  delete from public.devices as v using deleted_apps as d where v.app_id = d.app_id;
  return null;
end
$$;
comment on function private.delete_app_devices() is
  'Trigger: removes the devices and activity days of deleted apps (in place of a per-row foreign key, see ingest_events).';
create trigger apps_delete_devices after delete on public.apps
  referencing old table as deleted_apps
  for each statement execute function private.delete_app_devices();

-- ---------------------------------------------------------------------------------------------------------------
-- Ingest

-- security definer: like private.caller_right, whose rule it applies to many subjects at once, it reads org_users
-- for the caller only, below their policies.
create function private.caller_rights(p_orgs uuid[], p_apps text[])
returns table (org_id uuid, app_id text, caller_right public.user_min_right)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  ceiling public.user_min_right := private.caller_key_ceiling();
begin
  return query
  select s.org_id, s.app_id, case when ceiling is not null and private.caller_key_allows(s.org_id, s.app_id) then (
      select least(m.user_right, ceiling)
      from public.org_users as m
      where m.org_id = s.org_id and m.user_id = caller and m.user_right >= 'read'
        and (m.app_id is null or m.app_id = s.app_id)
    ) end
  from rows from (pg_catalog.unnest(p_orgs), pg_catalog.unnest(p_apps)) as s (org_id, app_id);
end
$$;
comment on function private.caller_rights(uuid[], text[]) is
  'private.caller_right of each (p_orgs[i], p_apps[i]) pair: one query for a whole ingest batch.';

-- security definer: the rollups, registries and raw events are not writable by API roles. It first checks, for
-- every event, that the caller (auth.uid() through its key) has at least upload on the event's app or org, and
-- rejects the whole batch otherwise.
create or replace function public.ingest_events(p_events jsonb, p_org_id uuid default null) returns jsonb
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
  first_seen_apps text[];
  first_seen_devices text[];
  first_seen_days date[];
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

  -- The batch table lives as long as the (pooled) session and empties at commit: no DDL per ingest.
  create temporary table if not exists pg_temp.ingest_batch (
    idx integer, event_type text, occurred_at timestamptz, day date, client_id text, org_id uuid, subject text,
    device_id text, payload jsonb
  ) on commit delete rows;
  delete from pg_temp.ingest_batch;

  -- Space and workspace events belong to the org given, or to the single org the key is limited to.
  if event_org is null and pg_catalog.jsonb_array_length(key_orgs) = 1 then
    event_org := (key_orgs ->> 0)::uuid;
  end if;

  insert into pg_temp.ingest_batch (idx, event_type, occurred_at, day, client_id, org_id, subject, device_id, payload)
  select e.ordinality - 1, e.value ->> 'type', e.occurred_at, (e.occurred_at at time zone 'UTC')::date,
    e.value ->> 'id',
    case when e.value ->> 'type' in ('device.activity', 'bundle.download') then a.owner_org else event_org end,
    coalesce(e.value ->> 'app_id', e.value ->> 'space_id', e.value ->> 'workspace_id'),
    e.value ->> 'device_id',
    e.value
  from (
    select value, ordinality, (value ->> 'timestamp')::timestamptz as occurred_at
    from pg_catalog.jsonb_array_elements(p_events) with ordinality
  ) as e
  left join public.apps as a on a.app_id = e.value ->> 'app_id';

  -- Every event must be about something the caller may upload to; the batch is all or nothing. Rights are read
  -- once for every distinct app / org of the batch.
  with classified as (
    select idx, org_id,
      event_type in ('device.activity', 'bundle.download') as about_app,
      case when event_type in ('device.activity', 'bundle.download') then subject end as app_id,
      case
        when occurred_at > pg_catalog.now() + interval '5 minutes' then 'timestamp is more than 5 minutes in the future'
        when occurred_at < pg_catalog.now() - interval '400 days' then 'timestamp is older than 400 days'
      end as time_problem
    from pg_temp.ingest_batch
  ),
  subjects as materialized (
    select distinct about_app, org_id, app_id from classified
  ),
  subject_problems as (
    select s.about_app, s.org_id, s.app_id, case
      when s.about_app and r.caller_right is null then 'App ' || s.app_id || ' not found'
      when not s.about_app and s.org_id is null then 'org_id is required: the key reaches more than one organization'
      when not s.about_app and r.caller_right is null then 'Organization not found'
      when s.about_app and r.caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on app ' || s.app_id
      when r.caller_right < 'upload' then 'Ingesting needs a key of mode upload or above on the organization'
    end as problem
    from subjects as s
    join (
      select rights.* from (select pg_catalog.array_agg(org_id) as orgs, pg_catalog.array_agg(app_id) as apps from subjects) as a,
        private.caller_rights(a.orgs, a.apps) as rights
    ) as r on r.org_id is not distinct from s.org_id and r.app_id is not distinct from s.app_id
  )
  select pg_catalog.jsonb_agg(
    pg_catalog.jsonb_build_object('index', c.idx, 'error', coalesce(c.time_problem, p.problem)) order by c.idx
  )
  into errors
  from classified as c
  left join (select * from subject_problems where problem is not null) as p
    on p.about_app = c.about_app and p.org_id is not distinct from c.org_id and p.app_id is not distinct from c.app_id
  where c.time_problem is not null or p.problem is not null;
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

  -- Devices: the registry row of each device is locked (in a consistent order) before its activity days are read,
  -- so concurrent batches touching one device run its MAU update one after the other. ON CONFLICT locks the row
  -- even when its WHERE skips the update (a stored record newer than the batch).
  with batch_devices as (
    select distinct on (subject, device_id) subject, device_id, payload, occurred_at,
      min(day) over (partition by subject, device_id) as first_day
    from pg_temp.ingest_batch
    where event_type = 'device.activity'
    order by subject, device_id, occurred_at desc
  ),
  upserted as (
    insert into public.devices as d (app_id, device_id, platform, version_name, plugin_version, os_version, version_build,
      custom_id, is_prod, is_emulator, last_seen_at, first_active_day)
    select subject, device_id, (payload ->> 'platform')::public.device_platform, payload ->> 'version_name',
      coalesce(payload ->> 'plugin_version', ''), payload ->> 'os_version', coalesce(payload ->> 'version_build', ''),
      coalesce(payload ->> 'custom_id', ''), coalesce((payload ->> 'is_prod')::boolean, true),
      coalesce((payload ->> 'is_emulator')::boolean, false), occurred_at, first_day
    from batch_devices
    order by subject, device_id
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
    returning d.app_id, d.device_id, d.first_active_day, d.xmax = 0 as inserted
  )
  -- Devices this batch added to the registry have no stored activity days to read, and their first day is stored.
  select coalesce(pg_catalog.array_agg(app_id), '{}'), coalesce(pg_catalog.array_agg(device_id), '{}'),
    coalesce(pg_catalog.array_agg(first_active_day), '{}')
  into first_seen_apps, first_seen_devices, first_seen_days
  from upserted where inserted;

  -- MAU and bandwidth. A new active day d of a device covers the days [d, d+29] that its nearest earlier stored
  -- day (p) and its next day (stored or new in this batch, n) do not: [max(d, p+30), min(d+29, n-1)]. That range
  -- adds 1 to MAU from its first day and takes it back after its last. Only stored days within 29 days of the
  -- batch's days can bound a range: one index range scan per known device reads them, with the first day on its
  -- row. The new days (but a new device's first) are inserted without ON CONFLICT: the device's row lock keeps
  -- other batches from storing its days meanwhile, so a conflict would be a bug. The MAU and bandwidth changes reach app_daily_usage in one statement, rows in order: two
  -- statements could lock the rows of concurrent batches in crossed orders and deadlock.
  with batch_days as (
    select subject as app_id, device_id, day from pg_temp.ingest_batch
    where event_type = 'device.activity'
    group by subject, device_id, day
  ),
  known_devices as (
    select app_id, device_id, min(day) as first_day, max(day) as last_day from batch_days as b
    where not exists (
      select 1 from rows from (pg_catalog.unnest(first_seen_apps), pg_catalog.unnest(first_seen_devices)) as f (app_id, device_id)
      where f.app_id = b.app_id and f.device_id = b.device_id
    )
    group by app_id, device_id
  ),
  nearby_stored as (
    select a.app_id, a.device_id, a.day
    from known_devices as k
    join public.device_activity_days as a
      on a.app_id = k.app_id and a.device_id = k.device_id and a.day between k.first_day - 29 and k.last_day + 29
    union all
    select v.app_id, v.device_id, v.first_active_day
    from known_devices as k
    join public.devices as v on v.app_id = k.app_id and v.device_id = k.device_id
    where v.first_active_day between k.first_day - 29 and k.last_day + 29
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
    select app_id, greatest(day, previous_stored + 30) as first_covered, least(day + 29, next_day - 1) as last_covered
    from neighbours
    where is_new
  ),
  stored_days as (
    insert into public.device_activity_days (app_id, device_id, day)
    select app_id, device_id, day from known_days as k
    where is_new and not exists (
      select 1
      from rows from (pg_catalog.unnest(first_seen_apps), pg_catalog.unnest(first_seen_devices),
        pg_catalog.unnest(first_seen_days)) as f (app_id, device_id, day)
      where f.app_id = k.app_id and f.device_id = k.device_id and f.day = k.day
    )
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

  -- API traffic per space; bytes stay null until some event of the day measures them.
  insert into public.spaces (org_id, space_id)
  select distinct org_id, subject from pg_temp.ingest_batch where event_type = 'api.request' order by 1, 2
  on conflict do nothing;
  insert into public.space_daily_traffic as t (org_id, space_id, day, requests, bytes)
  select org_id, subject, day, sum(coalesce((payload ->> 'requests')::bigint, 1)), sum((payload ->> 'bytes')::bigint)
  from pg_temp.ingest_batch where event_type = 'api.request'
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

-- Called by ingest_events only (it reads that function's temporary batch table); not granted to API roles.
create or replace function private.ingest_workspace_activity() returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.workspaces (org_id, workspace_id)
  select distinct org_id, subject from pg_temp.ingest_batch where event_type = 'workspace.activity' order by 1, 2
  on conflict do nothing;

  with firsts as (
    select distinct on (org_id, payload ->> 'user_id', (payload ->> 'kind'))
      org_id, payload ->> 'user_id' as user_id, (payload ->> 'kind')::public.activity_kind as kind,
      coalesce(payload ->> 'org_domain', '') as org_domain, day
    from pg_temp.ingest_batch where event_type = 'workspace.activity'
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
    from pg_temp.ingest_batch as b
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

revoke all on function private.delete_app_devices(), private.caller_rights(uuid[], text[]), private.add_monthly_changes(jsonb)
  from public, anon, authenticated;
