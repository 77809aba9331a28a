-- App-platform statistics: /statistics/app/:app_id, /statistics/org/:org_id and /statistics/user read the daily
-- rollups of metering.sql, one row per day, zero-filled, never past today (UTC).

create function private.today_utc() returns date
language plpgsql stable
set search_path = ''
as $$
begin
  return (pg_catalog.now() at time zone 'UTC')::date;
end
$$;
comment on function private.today_utc() is 'The current UTC day.';

-- Runs as the caller, so row-level security still applies.
create function private.app_daily_stats(p_app_ids text[], p_from date, p_to date, p_org_id uuid default null)
returns table (day date, mau bigint, storage bigint, bandwidth bigint)
language plpgsql stable
set search_path = ''
set jit = off
as $$
#variable_conflict use_column
declare
  month_start date := pg_catalog.date_trunc('month', p_from::timestamp)::date;
  mau_before bigint;
  storage_before bigint;
begin
  -- plpgsql, not SQL: Postgres plans a SQL function's query on every call, a plpgsql one once per session. The sums
  -- before the range go to variables first: one statement of CTEs took half as long again.
  select coalesce(sum(c.mau_delta), 0), coalesce(sum(c.storage_delta), 0) into mau_before, storage_before
  from (
    -- Whole months before the range's first month, then that month's days before the range.
    select m.mau_delta, m.storage_delta from public.app_monthly_changes as m
    where m.app_id = any (p_app_ids) and m.month < month_start
    union all
    select o.mau_delta, o.storage_delta from public.org_monthly_changes as o
    where o.org_id = p_org_id and o.month < month_start
    union all
    select u.mau_delta, u.storage_delta from public.app_daily_usage as u
    where u.app_id = any (p_app_ids) and u.day >= month_start and u.day < p_from
    union all
    select o.mau_delta, o.storage_delta from public.org_daily_usage as o
    where o.org_id = p_org_id and o.day >= month_start and o.day < p_from
  ) as c;
  return query
    select d::date,
      (mau_before + sum(coalesce(r.mau_delta, 0)) over (order by d))::bigint,
      (storage_before + sum(coalesce(r.storage_delta, 0)) over (order by d))::bigint,
      coalesce(r.bandwidth, 0)::bigint
    from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
    left join (
      select x.day, sum(x.mau_delta) as mau_delta, sum(x.bandwidth) as bandwidth, sum(x.storage_delta) as storage_delta
      from (
        select u.day, u.mau_delta, u.bandwidth, u.storage_delta from public.app_daily_usage as u
        where u.app_id = any (p_app_ids) and u.day between p_from and p_to
        union all
        select o.day, o.mau_delta, o.bandwidth, o.storage_delta from public.org_daily_usage as o
        where o.org_id = p_org_id and o.day between p_from and p_to
      ) as x
      group by x.day
    ) as r on r.day = d::date
    order by d;
end
$$;
comment on function private.app_daily_stats(text[], date, date, uuid) is
  'Per day of [p_from, p_to], summed over the apps p_app_ids and the organization rollup of p_org_id (when given): MAU and storage at the end of the day (running sums of their changes: whole months, then days, before the range), bandwidth.';

create function private.stats_rows_json(p_app_ids text[], p_from date, p_to date, p_org_id uuid default null)
returns json
language plpgsql stable
set search_path = ''
set jit = off
as $$
begin
  -- [date, mau, storage, bandwidth] tuples, which the function shapes into the documented rows: a JSON object and
  -- a to_char per day cost more here than the read.
  return (
    select coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(s.day, s.mau, s.storage, s.bandwidth) order by s.day),
      '[]')
    from private.app_daily_stats(p_app_ids, p_from, least(p_to, private.today_utc()), p_org_id) as s
  );
end
$$;
comment on function private.stats_rows_json(text[], date, date, uuid) is
  'The days of the apps (and of the organization rollup of p_org_id) summed, from p_from to p_to or today, as [date, mau, storage, bandwidth] tuples.';

-- security definer: the rollups are read below their per-row policies (one policy call per row would dominate a
-- 90-day read) after this function has checked the caller's right on the app itself.
create function edge_api.statistics_app(p_app_id text, p_from date, p_to date) returns json
language plpgsql stable
security definer
set search_path = ''
set jit = off
as $$
declare
  owner uuid := private.app_owner(p_app_id);
begin
  -- An app the caller cannot read (outside its key's app limits, or its app-scoped membership) does not exist for
  -- it, as under the apps policy: answering 403 for those and 404 for unknown ids would let a key limited to one
  -- app enumerate its organization's other apps. Every role and key mode reads, so there is no 403 here.
  if owner is null or not private.has_right(owner, 'read', p_app_id) then
    raise exception 'App/Organization not found' using errcode = 'PT404';
  end if;
  return private.stats_rows_json(array[p_app_id], p_from, p_to);
end
$$;
comment on function edge_api.statistics_app(text, date, date) is 'GET /statistics/app/:app_id: daily MAU, storage and bandwidth of one app.';

-- security definer: as statistics_app, after checking the caller's organization-wide read right.
create function edge_api.statistics_org(p_org_id uuid, p_from date, p_to date, p_breakdown boolean default false)
returns json
language plpgsql stable
security definer
set search_path = ''
set jit = off
as $$
declare
  app_ids text[];
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'App/Organization not found' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'read') then
    raise exception 'Insufficient permissions to access statistics' using errcode = 'PT403';
  end if;
  -- The organization rollup holds the sums of all its apps, which an organization-wide read right covers.
  if not p_breakdown then
    return private.stats_rows_json('{}', p_from, p_to, p_org_id);
  end if;
  app_ids := array(select app_id from public.apps where owner_org = p_org_id order by app_id);
  return pg_catalog.json_build_object(
    'global', private.stats_rows_json('{}', p_from, p_to, p_org_id),
    'byApp', coalesce((
      select pg_catalog.json_agg(pg_catalog.json_build_object(
        'app_id', app_id, 'data', private.stats_rows_json(array[app_id], p_from, p_to)) order by app_id)
      from pg_catalog.unnest(app_ids) as app_id
    ), '[]')
  );
end
$$;
comment on function edge_api.statistics_org(uuid, date, date, boolean) is
  'GET /statistics/org/:org_id: the daily figures summed over the organization''s apps, optionally per app too.';

-- security definer: as statistics_app; the apps summed are exactly those the caller may read (its key's org and
-- app limits included).
create function edge_api.statistics_user(p_from date, p_to date) returns json
language sql stable
security definer
set search_path = ''
set jit = off
as $$
  select private.stats_rows_json(array(
    select a.app_id from public.apps as a
    join public.org_users as m on m.org_id = a.owner_org and m.user_id = (select auth.uid())
    where private.has_right(a.owner_org, 'read', a.app_id)
  ), p_from, p_to)
$$;
comment on function edge_api.statistics_user(date, date) is
  'GET /statistics/user: the daily figures summed over every app the caller can read.';

revoke all on function private.today_utc(), private.app_daily_stats(text[], date, date, uuid),
  private.stats_rows_json(text[], date, date, uuid),
  edge_api.statistics_app(text, date, date), edge_api.statistics_org(uuid, date, date, boolean),
  edge_api.statistics_user(date, date)
  from public, anon;
grant execute on function private.today_utc(), private.app_daily_stats(text[], date, date, uuid),
  private.stats_rows_json(text[], date, date, uuid),
  edge_api.statistics_app(text, date, date), edge_api.statistics_org(uuid, date, date, boolean),
  edge_api.statistics_user(date, date)
  to authenticated, service_role;
