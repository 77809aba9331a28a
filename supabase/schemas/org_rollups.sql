-- Organization rollups: the app rollups of metering.sql summed per organization, kept by triggers on the app rows so
-- that every writer (ingest, the storage trigger, repair_mau) keeps them. /statistics/org reads one row per day of
-- the organization instead of one per app and day (4,500 rows for 50 apps over 90 days).

create table public.org_daily_usage (
  org_id uuid not null references public.orgs (id) on delete cascade,
  day date not null,
  bandwidth bigint not null default 0,
  storage_delta bigint not null default 0,
  mau_delta bigint not null default 0,
  primary key (org_id, day)
) with (fillfactor = 70);
comment on table public.org_daily_usage is
  'Per organization and UTC day: app_daily_usage summed over the organization''s apps, kept by a trigger on it. Pages keep room (fillfactor 70) for in-place (HOT) updates.';
comment on column public.org_daily_usage.org_id is 'Organization.';
comment on column public.org_daily_usage.day is 'UTC day.';
comment on column public.org_daily_usage.bandwidth is 'Bytes its apps downloaded this day.';
comment on column public.org_daily_usage.storage_delta is 'Change of its apps'' bundle storage this day (bytes).';
comment on column public.org_daily_usage.mau_delta is 'Change of the sum of its apps'' MAU this day.';

create table public.org_monthly_changes (
  org_id uuid not null references public.orgs (id) on delete cascade,
  month date not null check (month = pg_catalog.date_trunc('month', month::timestamp)::date),
  mau_delta bigint not null default 0,
  storage_delta bigint not null default 0,
  primary key (org_id, month)
) with (fillfactor = 70);
comment on table public.org_monthly_changes is
  'Per organization and calendar month: the sums of org_daily_usage''s MAU and storage changes of its days, so the running sums before a range read one row per month.';
comment on column public.org_monthly_changes.org_id is 'Organization.';
comment on column public.org_monthly_changes.month is 'First day of the month.';
comment on column public.org_monthly_changes.mau_delta is 'Sum of the month''s daily MAU changes.';
comment on column public.org_monthly_changes.storage_delta is 'Sum of the month''s daily storage changes (bytes).';

alter table public.org_daily_usage enable row level security;
alter table public.org_monthly_changes enable row level security;
create policy org_daily_usage_select on public.org_daily_usage for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy org_monthly_changes_select on public.org_monthly_changes for select to authenticated
  using ((select private.has_right(org_id, 'read')));
revoke all on public.org_daily_usage, public.org_monthly_changes from anon, authenticated;
grant select on public.org_daily_usage, public.org_monthly_changes to authenticated;

-- Not security definer: only the owner's functions (ingest, the storage trigger) and service_role (repair_mau)
-- write app rows, and both may write these.
create function private.add_app_rows_to_org() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  app_ids text[];
  org_ids uuid[];
  days date[];
  mau_changes bigint[];
  bandwidth_changes bigint[];
  storage_changes bigint[];
begin
  -- An INSERT trigger has no old rows; an UPDATE adds the difference. Rows keep their key (app_id, day).
  if tg_op = 'INSERT' then
    select array_agg(n.app_id), array_agg(n.day), array_agg(n.mau_delta), array_agg(n.bandwidth),
      array_agg(n.storage_delta)
    into app_ids, days, mau_changes, bandwidth_changes, storage_changes
    from new_rows as n;
  else
    select array_agg(n.app_id), array_agg(n.day), array_agg(n.mau_delta - o.mau_delta),
      array_agg(n.bandwidth - o.bandwidth), array_agg(n.storage_delta - o.storage_delta)
    into app_ids, days, mau_changes, bandwidth_changes, storage_changes
    from new_rows as n join old_rows as o using (app_id, day);
  end if;

  select array_agg(g.org_id order by g.org_id, g.day), array_agg(g.day order by g.org_id, g.day),
    array_agg(g.mau_change order by g.org_id, g.day), array_agg(g.bandwidth_change order by g.org_id, g.day),
    array_agg(g.storage_change order by g.org_id, g.day)
  into org_ids, days, mau_changes, bandwidth_changes, storage_changes
  from (
    select a.owner_org as org_id, c.day, sum(c.mau_change) as mau_change, sum(c.bandwidth_change) as bandwidth_change,
      sum(c.storage_change) as storage_change
    from rows from (pg_catalog.unnest(app_ids), pg_catalog.unnest(days), pg_catalog.unnest(mau_changes),
      pg_catalog.unnest(bandwidth_changes), pg_catalog.unnest(storage_changes))
      as c (app_id, day, mau_change, bandwidth_change, storage_change)
    join public.apps as a on a.app_id = c.app_id
    group by 1, 2
    having sum(c.mau_change) <> 0 or sum(c.bandwidth_change) <> 0 or sum(c.storage_change) <> 0
  ) as g;

  -- Daily rows, then monthly ones, each in key order: the order in which every writer of the app rows locks.
  insert into public.org_daily_usage as u (org_id, day, mau_delta, bandwidth, storage_delta)
  select * from rows from (pg_catalog.unnest(org_ids), pg_catalog.unnest(days), pg_catalog.unnest(mau_changes),
    pg_catalog.unnest(bandwidth_changes), pg_catalog.unnest(storage_changes))
  on conflict (org_id, day) do update set mau_delta = u.mau_delta + excluded.mau_delta,
    bandwidth = u.bandwidth + excluded.bandwidth, storage_delta = u.storage_delta + excluded.storage_delta;
  insert into public.org_monthly_changes as m (org_id, month, mau_delta, storage_delta)
  select c.org_id, pg_catalog.date_trunc('month', c.day::timestamp)::date, sum(c.mau_change), sum(c.storage_change)
  from rows from (pg_catalog.unnest(org_ids), pg_catalog.unnest(days), pg_catalog.unnest(mau_changes),
    pg_catalog.unnest(storage_changes)) as c (org_id, day, mau_change, storage_change)
  group by 1, 2
  having sum(c.mau_change) <> 0 or sum(c.storage_change) <> 0
  order by 1, 2
  on conflict (org_id, month) do update set
    mau_delta = m.mau_delta + excluded.mau_delta, storage_delta = m.storage_delta + excluded.storage_delta;
  return null;
end
$$;
comment on function private.add_app_rows_to_org() is
  'Statement trigger on app_daily_usage: adds the rows inserted, or the change of the rows updated, to their organizations'' daily and monthly rows.';
-- Transition tables allow one event per trigger.
create trigger app_daily_usage_insert_to_org after insert on public.app_daily_usage
  referencing new table as new_rows
  for each statement execute function private.add_app_rows_to_org();
create trigger app_daily_usage_update_to_org after update on public.app_daily_usage
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.add_app_rows_to_org();

-- security definer: a member who may delete an app may not write the rollups; this only follows the deletion.
create function private.remove_app_from_org() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    if new.owner_org is distinct from old.owner_org then
      raise exception 'an app cannot move to another organization' using errcode = '0A000';
    end if;
    return new;
  end if;
  -- An organization being deleted takes its rows with it.
  if not exists (select 1 from public.orgs where id = old.owner_org) then
    return old;
  end if;
  -- Before the app's rows go (by their foreign key's cascade).
  update public.org_daily_usage as o set mau_delta = o.mau_delta - u.mau_delta,
    bandwidth = o.bandwidth - u.bandwidth, storage_delta = o.storage_delta - u.storage_delta
  from public.app_daily_usage as u
  where u.app_id = old.app_id and o.org_id = old.owner_org and o.day = u.day;
  -- The months as add_app_rows_to_org added them: from the app's days.
  update public.org_monthly_changes as o set mau_delta = o.mau_delta - m.mau_delta,
    storage_delta = o.storage_delta - m.storage_delta
  from (
    select pg_catalog.date_trunc('month', u.day::timestamp)::date as month, sum(u.mau_delta) as mau_delta,
      sum(u.storage_delta) as storage_delta
    from public.app_daily_usage as u where u.app_id = old.app_id
    group by 1
  ) as m
  where o.org_id = old.owner_org and o.month = m.month;
  return old;
end
$$;
comment on function private.remove_app_from_org() is
  'Trigger: takes a deleted app''s rollups out of its organization''s; refuses to move an app to another organization.';
create trigger apps_remove_from_org before delete or update of owner_org on public.apps
  for each row execute function private.remove_app_from_org();

revoke all on function private.add_app_rows_to_org(), private.remove_app_from_org() from public, anon, authenticated;
