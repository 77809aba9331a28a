-- API traffic of an organization's spaces, read by GET /v1/orgs/me/statistics/all_traffic: the spaces (created on
-- their first api.request event), their requests and bytes per UTC day, month and year, the organization's per day,
-- month and year, and the alerts recorded when a month's bytes cross 80% and 100% of the organization's monthly
-- traffic limit. Ingest writes all of them in the same transaction as the raw events.
--
-- Bytes are known only where some event measured them: every row keeps the sum of the bytes measured and how many
-- events measured them, and responses report null bytes where that count is 0.

create type public.traffic_grain as enum ('day', 'month', 'year');
comment on type public.traffic_grain is 'The period a traffic rollup row covers: a UTC day, month or year.';

create table public.spaces (
  org_id uuid not null references public.orgs (id) on delete cascade,
  -- Integer ids, as the original API's; at most 2^53 - 1 so that JSON clients read them exactly.
  space_id bigint not null check (space_id between 1 and 9007199254740991),
  name text not null default '',
  created_at timestamptz not null default now(),
  primary key (org_id, space_id)
);
comment on table public.spaces is 'Spaces of an organization whose API traffic is metered; created on their first api.request event.';
comment on column public.spaces.org_id is 'Organization owning the space.';
comment on column public.spaces.space_id is 'Space id (a positive integer), unique in the organization.';
comment on column public.spaces.name is 'Display name.';
comment on column public.spaces.created_at is 'When the space was first seen.';

create table public.space_traffic (
  org_id uuid not null,
  grain public.traffic_grain not null,
  space_id bigint not null,
  period date not null,
  requests bigint not null default 0,
  bytes bigint not null default 0,
  measured_events bigint not null default 0,
  daily_sums bigint[] check ((grain = 'month') = (daily_sums is not null)),
  primary key (org_id, grain, space_id, period),
  foreign key (org_id, space_id) references public.spaces (org_id, space_id) on delete cascade
);
-- Pages of the raw series and the ranking read every space of a period, in this order.
create index space_traffic_by_period_idx on public.space_traffic (org_id, grain, period, space_id);
comment on table public.space_traffic is
  'Per space and UTC day, month or year: API requests and bytes (every period that has traffic has a row).';
comment on column public.space_traffic.org_id is 'Organization.';
comment on column public.space_traffic.grain is 'Whether the row covers a day, a month or a year.';
comment on column public.space_traffic.space_id is 'Space.';
comment on column public.space_traffic.period is 'First day of the period (the day; the 1st of the month; 1 January).';
comment on column public.space_traffic.requests is 'API requests.';
comment on column public.space_traffic.bytes is 'Bytes served, summed over the events that measured them.';
comment on column public.space_traffic.measured_events is 'Events that measured bytes; while 0, the bytes are unknown (null in responses).';
comment on column public.space_traffic.daily_sums is
  'On month rows, the month''s days: {requests, bytes, measured events} by day of the month (3 x 31; 0 past its end), so that a series by day reads a row per month. Null on day and year rows.';

create table public.org_traffic (
  org_id uuid not null references public.orgs (id) on delete cascade,
  grain public.traffic_grain not null,
  period date not null,
  requests bigint not null default 0,
  bytes bigint not null default 0,
  measured_events bigint not null default 0,
  active_spaces integer not null default 0,
  daily_sums bigint[] check ((grain = 'month') = (daily_sums is not null)),
  primary key (org_id, grain, period)
);
comment on table public.org_traffic is 'Per organization and UTC day, month or year: API requests and bytes of all its spaces.';
comment on column public.org_traffic.org_id is 'Organization.';
comment on column public.org_traffic.grain is 'Whether the row covers a day, a month or a year.';
comment on column public.org_traffic.period is 'First day of the period (the day; the 1st of the month; 1 January).';
comment on column public.org_traffic.requests is 'API requests.';
comment on column public.org_traffic.bytes is 'Bytes served, summed over the events that measured them.';
comment on column public.org_traffic.measured_events is 'Events that measured bytes; while 0, the bytes are unknown (null in responses).';
comment on column public.org_traffic.daily_sums is
  'On month rows, the month''s days: {requests, bytes, measured events} by day of the month (3 x 31; 0 past its end). Null on day and year rows.';
comment on column public.org_traffic.active_spaces is 'Spaces with traffic in the period (rows of space_traffic).';

create table public.traffic_alerts (
  org_id uuid not null references public.orgs (id) on delete cascade,
  month date not null,
  threshold smallint not null check (threshold in (80, 100)),
  crossed_at timestamptz not null default now(),
  bytes bigint not null,
  traffic_limit bigint not null,
  primary key (org_id, month, threshold)
);
comment on table public.traffic_alerts is
  'One row per organization, month and threshold (80 or 100 percent) its bytes crossed: written by the ingest that crossed it.';
comment on column public.traffic_alerts.org_id is 'Organization.';
comment on column public.traffic_alerts.month is 'The UTC month (its 1st day).';
comment on column public.traffic_alerts.threshold is 'Percent of the monthly traffic limit crossed: 80 or 100.';
comment on column public.traffic_alerts.crossed_at is 'When the crossing ingest ran.';
comment on column public.traffic_alerts.bytes is 'The month''s bytes after that ingest.';
comment on column public.traffic_alerts.traffic_limit is 'The monthly traffic limit in force then, in bytes.';

alter table public.spaces enable row level security;
alter table public.space_traffic enable row level security;
alter table public.org_traffic enable row level security;
alter table public.traffic_alerts enable row level security;

create policy spaces_select on public.spaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy spaces_update on public.spaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy space_traffic_select on public.space_traffic for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy org_traffic_select on public.org_traffic for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy traffic_alerts_select on public.traffic_alerts for select to authenticated
  using ((select private.has_right(org_id, 'read')));

revoke all on public.spaces, public.space_traffic, public.org_traffic, public.traffic_alerts from anon, authenticated;
grant select, update on public.spaces to authenticated;
grant select on public.space_traffic, public.org_traffic, public.traffic_alerts to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Ingest

-- A month row's daily_sums from days of that month and their sums (a day may repeat: its sums add up).
create function private.daily_sums(p_days date[], p_requests bigint[], p_bytes bigint[], p_measured_events bigint[])
returns bigint[]
language plpgsql immutable
set search_path = ''
as $$
declare
  sums bigint[] := pg_catalog.array_fill(0::bigint, array[3, 31]);
  day_of_month integer;
begin
  for i in 1 .. coalesce(pg_catalog.cardinality(p_days), 0) loop
    day_of_month := pg_catalog.date_part('day', p_days[i])::integer;
    sums[1][day_of_month] := sums[1][day_of_month] + p_requests[i];
    sums[2][day_of_month] := sums[2][day_of_month] + p_bytes[i];
    sums[3][day_of_month] := sums[3][day_of_month] + p_measured_events[i];
  end loop;
  return sums;
end
$$;
comment on function private.daily_sums(date[], bigint[], bigint[], bigint[]) is
  'The 3 x 31 {requests, bytes, measured events} by day of the month of a month row, from days and their sums.';

-- Adds a batch's daily_sums to a month row's: a batch usually brings one day, so only its days are written.
create function private.add_daily_sums(p_stored bigint[], p_added bigint[]) returns bigint[]
language plpgsql immutable strict
set search_path = ''
as $$
declare
  sums bigint[] := p_stored;
begin
  for day_of_month in 1 .. 31 loop
    if p_added[1][day_of_month] <> 0 or p_added[3][day_of_month] <> 0 then
      for sum_kind in 1 .. 3 loop
        sums[sum_kind][day_of_month] := sums[sum_kind][day_of_month] + p_added[sum_kind][day_of_month];
      end loop;
    end if;
  end loop;
  return sums;
end
$$;
comment on function private.add_daily_sums(bigint[], bigint[]) is
  'Element-wise sum of two month rows'' daily_sums (null when either is: day and year rows have none).';

-- Called by edge_api.ingest_events (security definer) once the batch's rights are checked. Rows are written in key
-- order, space rows before organization rows before alerts, so that concurrent batches lock in the same order. An
-- organization row's bytes before the batch are its bytes after minus the batch's: the upsert runs on the row
-- locked, so each crossing is seen by exactly one batch.
create function private.ingest_api_traffic() returns void
language plpgsql
set search_path = ''
as $$
declare
  this_month date := pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC')::date;
begin
  if not exists (select 1 from pg_temp.ingest_batch where event_type = 'api.request') then
    return;
  end if;

  insert into public.spaces (org_id, space_id)
  select distinct org_id, subject::bigint from pg_temp.ingest_batch where event_type = 'api.request' order by 1, 2
  on conflict do nothing;

  with days as (
    select b.org_id, b.subject::bigint as space_id, b.day,
      sum(coalesce((b.payload ->> 'requests')::bigint, 1))::bigint as requests,
      coalesce(sum((b.payload ->> 'bytes')::bigint), 0)::bigint as bytes,
      count(b.payload -> 'bytes') as measured_events
    from pg_temp.ingest_batch as b
    where b.event_type = 'api.request'
    group by 1, 2, 3
  ),
  batch as (
    select d.org_id, g.grain, d.space_id, pg_catalog.date_trunc(g.grain::text, d.day::timestamp)::date as period,
      sum(d.requests) as requests, sum(d.bytes) as bytes, sum(d.measured_events) as measured_events,
      case when g.grain = 'month' then private.daily_sums(pg_catalog.array_agg(d.day), pg_catalog.array_agg(d.requests),
        pg_catalog.array_agg(d.bytes), pg_catalog.array_agg(d.measured_events)) end as daily_sums
    from days as d
    cross join pg_catalog.unnest(pg_catalog.enum_range(null::public.traffic_grain)) as g (grain)
    group by 1, 2, 3, 4
  ),
  space_rows as (
    insert into public.space_traffic as t (org_id, grain, space_id, period, requests, bytes, measured_events, daily_sums)
    select org_id, grain, space_id, period, requests, bytes, measured_events, daily_sums from batch
    order by org_id, grain, space_id, period
    on conflict (org_id, grain, space_id, period) do update set
      requests = t.requests + excluded.requests,
      bytes = t.bytes + excluded.bytes,
      measured_events = t.measured_events + excluded.measured_events,
      daily_sums = private.add_daily_sums(t.daily_sums, excluded.daily_sums)
    returning t.org_id, t.grain, t.period, t.xmax = 0 as inserted
  ),
  new_spaces as (
    select org_id, grain, period, count(*) filter (where inserted) as spaces from space_rows group by 1, 2, 3
  ),
  changes as (
    select d.org_id, g.grain, pg_catalog.date_trunc(g.grain::text, d.day::timestamp)::date as period,
      sum(d.requests) as requests, sum(d.bytes) as bytes, sum(d.measured_events) as measured_events,
      case when g.grain = 'month' then private.daily_sums(pg_catalog.array_agg(d.day), pg_catalog.array_agg(d.requests),
        pg_catalog.array_agg(d.bytes), pg_catalog.array_agg(d.measured_events)) end as daily_sums
    from days as d
    cross join pg_catalog.unnest(pg_catalog.enum_range(null::public.traffic_grain)) as g (grain)
    group by 1, 2, 3
  ),
  org_rows as (
    insert into public.org_traffic as o (org_id, grain, period, requests, bytes, measured_events, active_spaces,
      daily_sums)
    select c.org_id, c.grain, c.period, c.requests, c.bytes, c.measured_events, n.spaces, c.daily_sums
    from changes as c
    join new_spaces as n using (org_id, grain, period)
    order by c.org_id, c.grain, c.period
    on conflict (org_id, grain, period) do update set
      requests = o.requests + excluded.requests,
      bytes = o.bytes + excluded.bytes,
      measured_events = o.measured_events + excluded.measured_events,
      active_spaces = o.active_spaces + excluded.active_spaces,
      daily_sums = private.add_daily_sums(o.daily_sums, excluded.daily_sums)
    returning o.org_id, o.grain, o.period, o.bytes
  )
  insert into public.traffic_alerts (org_id, month, threshold, bytes, traffic_limit)
  select r.org_id, r.period, t.threshold, r.bytes, g.monthly_traffic_limit
  from org_rows as r
  join changes as c using (org_id, grain, period)
  join public.orgs as g on g.id = r.org_id
  cross join (values (80::smallint), (100::smallint)) as t (threshold)
  where r.grain = 'month' and r.period = this_month and g.monthly_traffic_limit is not null
    and (r.bytes - c.bytes)::numeric * 100 < g.monthly_traffic_limit::numeric * t.threshold
    and r.bytes::numeric * 100 >= g.monthly_traffic_limit::numeric * t.threshold
  order by 1, 2, 3
  on conflict do nothing;
end
$$;
comment on function private.ingest_api_traffic() is
  'Adds the batch''s api.request events to the spaces, the space and organization rollups of each grain, and records the traffic alerts they cross.';

-- The bench and migrations write day rows directly; this derives the rest from them.
create function private.rebuild_org_traffic(p_org_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  delete from public.space_traffic where org_id = p_org_id and grain <> 'day';
  delete from public.org_traffic where org_id = p_org_id;
  insert into public.space_traffic (org_id, grain, space_id, period, requests, bytes, measured_events, daily_sums)
  select t.org_id, g.grain, t.space_id, pg_catalog.date_trunc(g.grain::text, t.period::timestamp)::date,
    sum(t.requests), sum(t.bytes), sum(t.measured_events),
    case when g.grain = 'month' then private.daily_sums(pg_catalog.array_agg(t.period), pg_catalog.array_agg(t.requests),
      pg_catalog.array_agg(t.bytes), pg_catalog.array_agg(t.measured_events)) end
  from public.space_traffic as t
  cross join (values ('month'::public.traffic_grain), ('year')) as g (grain)
  where t.org_id = p_org_id and t.grain = 'day'
  group by 1, 2, 3, 4;
  insert into public.org_traffic (org_id, grain, period, requests, bytes, measured_events, active_spaces, daily_sums)
  select t.org_id, t.grain, t.period, sum(t.requests), sum(t.bytes), sum(t.measured_events), count(*),
    case when t.grain = 'month' then (
      select private.daily_sums(pg_catalog.array_agg(d.period), pg_catalog.array_agg(d.requests),
        pg_catalog.array_agg(d.bytes), pg_catalog.array_agg(d.measured_events))
      from public.space_traffic as d
      where d.org_id = t.org_id and d.grain = 'day' and d.period >= t.period and d.period < t.period + interval '1 month'
    ) end
  from public.space_traffic as t
  where t.org_id = p_org_id
  group by 1, 2, 3;
end
$$;
comment on function private.rebuild_org_traffic(uuid) is
  'Recomputes an organization''s month and year space rows and all its organization rows from its day rows.';

-- ---------------------------------------------------------------------------------------------------------------
-- Reading

-- The fewest rollup periods that tile [p_start, p_end]: whole years (when p_coarsest allows), then whole months,
-- then days. Each segment is a half-open range of period starts of one grain.
create function private.traffic_segments(p_start date, p_end date, p_coarsest public.traffic_grain)
returns table (grain public.traffic_grain, period_from date, period_until date)
language plpgsql immutable
rows 5
set search_path = ''
as $$
declare
  next_day date := p_end + 1;
  -- The first period starts on or after p_start, and the start of the period after p_end's.
  years_from date := (pg_catalog.date_trunc('year', (p_start - 1)::timestamp) + interval '1 year')::date;
  years_until date := pg_catalog.date_trunc('year', next_day::timestamp)::date;
  months_from date := (pg_catalog.date_trunc('month', (p_start - 1)::timestamp) + interval '1 month')::date;
  months_until date := pg_catalog.date_trunc('month', next_day::timestamp)::date;
begin
  if p_coarsest < 'year' or years_from >= years_until then
    years_from := null;
  end if;
  if p_coarsest < 'month' or months_from >= months_until then
    months_from := null;
  end if;
  return query
  select s.grain, s.period_from, s.period_until
  from (values
    ('year'::public.traffic_grain, years_from, years_until),
    ('month', months_from, coalesce(years_from, months_until)),
    ('month', years_until, case when years_from is not null then months_until end),
    ('day', p_start, coalesce(months_from, next_day)),
    ('day', months_until, case when months_from is not null then next_day end)
  ) as s (grain, period_from, period_until)
  where s.period_from < s.period_until;
end
$$;
comment on function private.traffic_segments(date, date, public.traffic_grain) is
  'The rollup periods (grain, [from, until) of period starts) that tile a range of days, no coarser than p_coarsest.';

-- security definer: the rollups are read below their per-row policies (one policy call per row would dominate a
-- year of 1,000 spaces), after checking the caller's read right in the organization. Its statements keep the plans
-- Postgres caches for them (planning them again for each request's grain and range cost more than running them:
-- 4.5 against 2.5 ms for a year by month on the benchmark database).
create function edge_api.traffic_statistics(p_org_id uuid, p_start date, p_end date,
  p_group_by public.traffic_grain default 'month', p_page integer default 1, p_per_page integer default 100)
returns json
language plpgsql stable
security definer
set search_path = ''
set jit = off
as $$
declare
  unit text := p_group_by::text;
  -- Series entries name their group by its first day's distance in days from the range's first group.
  first_group date := pg_catalog.date_trunc(p_group_by::text, p_start::timestamp)::date;
  first_month date := pg_catalog.date_trunc('month', p_start::timestamp)::date;
  today date := (pg_catalog.now() at time zone 'UTC')::date;
  traffic_limit bigint;
  used_this_year bigint;
  requests_last_days bigint;
  -- The best six spaces: the first five are the top spaces, a sixth means there are others.
  best_ids bigint[];
  top_ids bigint[];
  whole_from date;
  whole_until date;
  whole_rows bigint;
  statistics json;
begin
  if not private.has_right(p_org_id, 'read') then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  if p_start is null or p_end is null or p_start > p_end then
    raise exception 'start_date must not be after end_date' using errcode = 'PT400';
  end if;
  if (p_group_by = 'day' and p_end - p_start >= 366) or p_end >= (p_start + interval '10 years')::date then
    raise exception 'The range may span at most 366 days with group_by=day and 10 years otherwise' using errcode = 'PT400';
  end if;
  if p_page < 1 or p_per_page not between 1 and 1000 then
    raise exception 'page starts at 1 and per_page is between 1 and 1000' using errcode = 'PT400';
  end if;

  select o.monthly_traffic_limit into traffic_limit from public.orgs as o where o.id = p_org_id;
  select coalesce(sum(t.bytes), 0) into used_this_year from public.org_traffic as t
  where t.org_id = p_org_id and t.grain = 'year' and t.period = pg_catalog.date_trunc('year', today::timestamp)::date;
  select coalesce(sum(t.requests), 0) into requests_last_days from public.org_traffic as t
  where t.org_id = p_org_id and t.grain = 'day' and t.period between today - 6 and today;

  -- The top spaces: most bytes, then most requests, then the lower id, over the whole range.
  select pg_catalog.array_agg(best.space_id order by best.bytes desc, best.requests desc, best.space_id)
  into best_ids
  from (
    select t.space_id, sum(t.bytes) as bytes, sum(t.requests) as requests
    from private.traffic_segments(p_start, p_end, 'year') as s
    join public.space_traffic as t
      on t.org_id = p_org_id and t.grain = s.grain and t.period >= s.period_from and t.period < s.period_until
    group by t.space_id
    order by 2 desc, 3 desc, 1
    limit 6
  ) as best;
  top_ids := best_ids[1:5];

  -- Whole groups are rows of their grain, read in index order as far as a page needs; the groups the range cuts
  -- (its first and last) are summed from finer rows.
  select s.period_from, s.period_until into whole_from, whole_until
  from private.traffic_segments(p_start, p_end, p_group_by) as s where s.grain = p_group_by;
  select coalesce(sum(t.active_spaces), 0) into whole_rows from public.org_traffic as t
  where t.org_id = p_org_id and t.grain = p_group_by and t.period >= whole_from and t.period < whole_until;

  with finer_segments as (
    select s.grain, s.period_from, s.period_until
    from private.traffic_segments(p_start, p_end, p_group_by) as s
    where s.grain < p_group_by
  ),
  org_groups as (
    select t.period, t.requests, t.bytes, t.measured_events
    from public.org_traffic as t
    where t.org_id = p_org_id and t.grain = p_group_by and t.period >= whole_from and t.period < whole_until
    union all
    select pg_catalog.date_trunc(unit, t.period::timestamp)::date, sum(t.requests)::bigint, sum(t.bytes)::bigint,
      sum(t.measured_events)::bigint
    from finer_segments as s
    join public.org_traffic as t
      on t.org_id = p_org_id and t.grain = s.grain and t.period >= s.period_from and t.period < s.period_until
    group by 1
  ),
  cut_groups as materialized (
    select pg_catalog.date_trunc(unit, t.period::timestamp)::date as period, t.space_id, sum(t.requests)::bigint as requests,
      sum(t.bytes)::bigint as bytes, sum(t.measured_events)::bigint as measured_events
    from finer_segments as s
    join public.space_traffic as t
      on t.org_id = p_org_id and t.grain = s.grain and t.period >= s.period_from and t.period < s.period_until
    group by 1, 2
  ),
  page as (
    select r.period, r.space_id, r.requests, r.bytes, r.measured_events
    from (
      select * from cut_groups where whole_from is null or period < whole_from
      union all
      (
        select t.period, t.space_id, t.requests, t.bytes, t.measured_events
        from public.space_traffic as t
        where t.org_id = p_org_id and t.grain = p_group_by and t.period >= whole_from and t.period < whole_until
        order by t.period, t.space_id
        limit p_page::bigint * p_per_page
      )
      union all
      select * from cut_groups where period >= whole_until
    ) as r
    order by r.period, r.space_id
    offset (p_page - 1)::bigint * p_per_page
    limit p_per_page
  )
  -- Entries are arrays of numbers (a group is its first day's distance in days from the first group), which the
  -- function shapes into the documented objects: building a JSON object or a date label per entry here would cost
  -- more than the rest of the read.
  select pg_catalog.json_build_object(
    'monthly_traffic_limit', traffic_limit,
    'traffic_used_this_year', used_this_year,
    'requests_used_last_days', requests_last_days,
    -- By day, a series is its months' daily_sums: a row per month instead of one per day.
    'organization', case when p_group_by = 'day' then (
      select pg_catalog.json_agg(pg_catalog.json_build_array(t.period - first_group, t.daily_sums) order by t.period)
      from public.org_traffic as t
      where t.org_id = p_org_id and t.grain = 'month' and t.period >= first_month and t.period <= p_end
    ) else (
      select pg_catalog.array_to_json(pg_catalog.array_agg(
        array[o.period - first_group, o.requests, o.bytes, o.measured_events] order by o.period))
      from org_groups as o
    ) end,
    -- Each top space's series from its own range of the primary key (and the cut groups), put in group order by the
    -- aggregate.
    'top_spaces', (
      select pg_catalog.json_agg(pg_catalog.json_build_array(top.space_id, case when p_group_by = 'day' then (
        select pg_catalog.json_agg(pg_catalog.json_build_array(t.period - first_group, t.daily_sums) order by t.period)
        from public.space_traffic as t
        where t.org_id = p_org_id and t.grain = 'month' and t.space_id = top.space_id and t.period >= first_month
          and t.period <= p_end
      ) else (
        select pg_catalog.array_to_json(pg_catalog.array_agg(
          array[g.period - first_group, g.requests, g.bytes, g.measured_events] order by g.period))
        from (
          select t.period, t.requests, t.bytes, t.measured_events
          from public.space_traffic as t
          where t.org_id = p_org_id and t.grain = p_group_by and t.space_id = top.space_id and t.period >= whole_from
            and t.period < whole_until
          union all
          select c.period, c.requests, c.bytes, c.measured_events
          from cut_groups as c
          where c.space_id = top.space_id
        ) as g
      ) end) order by top.position)
      from pg_catalog.unnest(top_ids) with ordinality as top (space_id, position)
    ),
    'other_spaces', pg_catalog.cardinality(best_ids) > 5,
    'page', (
      select pg_catalog.array_to_json(pg_catalog.array_agg(
        array[p.space_id, p.period - first_group, p.requests, p.bytes, p.measured_events] order by p.period, p.space_id))
      from page as p
    ),
    'total', whole_rows + (select count(*) from cut_groups)
  )
  into statistics;
  return statistics;
end
$$;
comment on function edge_api.traffic_statistics(uuid, date, date, public.traffic_grain, integer, integer) is
  'GET /v1/orgs/me/statistics/all_traffic: limits, this year''s bytes, the organization''s groups with traffic, its top 5 spaces'' and whether others had traffic, and one page of the raw series per space with its row count (total); entries are [days from the first group, requests, bytes, events that measured bytes] arrays, prefixed by the space id in the raw series; by day, the organization''s and top spaces'' series are their months as [days from the first day, daily_sums].';

-- Runs as the caller: row-level security shows the organization's alerts to its readers.
create function edge_api.list_traffic_alerts(p_org_id uuid) returns json
language plpgsql stable
set search_path = ''
as $$
begin
  if not private.has_right(p_org_id, 'read') then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  return coalesce((
    select pg_catalog.json_agg(pg_catalog.json_build_object('month', pg_catalog.to_char(a.month, 'YYYY-MM'),
      'threshold', a.threshold, 'crossed_at', private.iso_utc(a.crossed_at), 'bytes', a.bytes,
      'limit', a.traffic_limit) order by a.month, a.threshold)
    from public.traffic_alerts as a
    where a.org_id = p_org_id
  ), '[]'::json);
end
$$;
comment on function edge_api.list_traffic_alerts(uuid) is
  'GET /v1/orgs/me/traffic_alerts: the months and thresholds (80, 100 percent of the monthly limit) the organization''s bytes crossed.';

revoke all on function private.ingest_api_traffic() from public, anon, authenticated;
revoke all on function private.rebuild_org_traffic(uuid) from public, anon, authenticated;
revoke all on function private.daily_sums(date[], bigint[], bigint[], bigint[]) from public, anon, authenticated;
revoke all on function private.add_daily_sums(bigint[], bigint[]) from public, anon, authenticated;
revoke all on function private.traffic_segments(date, date, public.traffic_grain) from public, anon;
revoke all on function edge_api.traffic_statistics(uuid, date, date, public.traffic_grain, integer, integer) from public, anon;
revoke all on function edge_api.list_traffic_alerts(uuid) from public, anon;
grant execute on function private.traffic_segments(date, date, public.traffic_grain) to authenticated, service_role;
grant execute on function edge_api.traffic_statistics(uuid, date, date, public.traffic_grain, integer, integer)
  to authenticated, service_role;
grant execute on function edge_api.list_traffic_alerts(uuid) to authenticated, service_role;
