-- Every rollup equals the same figure recomputed from the raw events (or bundle rows), over a fixture with gaps,
-- month boundaries and, when today allows it (ingest accepts 400 days back), a year boundary.
begin;
select plan(16);

select tests.create_user('metering_owner');
select tests.create_org('metering_owner', 'Metering org') as org \gset
insert into public.apps (app_id, owner_org, name)
values ('com.rollup.main', :'org', 'Main'), ('com.rollup.single', :'org', 'Single device');

-- base: a Jan 1 that leaves room for the 68-day fixture inside the ingest window, else a month start.
select coalesce(
  (select d from (values (date_trunc('year', current_date)::date), ((date_trunc('year', current_date) - interval '1 year')::date)) as y (d)
   where d between current_date - 390 and current_date - 63 limit 1),
  (date_trunc('month', current_date - 63))::date
) as base \gset

create temporary table fixture_events on commit drop as
select jsonb_build_object('type', 'device.activity', 'app_id', 'com.rollup.main', 'device_id', device_id,
  'timestamp', ((:'base'::date + offset_days)::timestamp + interval '13 hours')::text || 'Z') as event
from (values ('d1', 0), ('d1', 30), ('d2', -3), ('d2', 10), ('d2', 45), ('d3', 1), ('d4', 61), ('d5', 29), ('d5', 59),
  ('d6', -5), ('d6', -4), ('d6', 25), ('d6', 62)) as a (device_id, offset_days)
union all
select jsonb_build_object('type', 'device.activity', 'app_id', 'com.rollup.single', 'device_id', 'only',
  'timestamp', ((:'base'::date + offset_days)::timestamp)::text || 'Z')
from (values (0), (30)) as a (offset_days)
union all
select jsonb_build_object('type', 'bundle.download', 'app_id', 'com.rollup.main', 'device_id', 'd1', 'bytes', 1000 + offset_days,
  'timestamp', ((:'base'::date + offset_days)::timestamp + interval '23 hours 59 minutes')::text || 'Z')
from generate_series(-5, 62, 3) as offset_days
union all
select jsonb_build_object('type', 'api.request', 'space_id', space_id, 'requests', 2) ||
  case when measured then jsonb_build_object('bytes', 500) else '{}' end ||
  jsonb_build_object('timestamp', ((:'base'::date + offset_days)::timestamp)::text || 'Z')
from (values (1, -1, true), (1, 0, false), (1, 0, true), (2, 31, false), (2, 31, false)) as t (space_id, offset_days, measured)
union all
select jsonb_build_object('type', 'workspace.activity', 'workspace_id', workspace_id, 'user_id', user_id, 'kind', kind,
  'org_domain', 'acme.com', 'timestamp', ((:'base'::date + offset_days)::timestamp)::text || 'Z')
from (values ('w1', 'u1', 'user', -2), ('w1', 'u1', 'user', 3), ('w2', 'u1', 'user', 3), ('w1', 'u2', 'user', 40),
  ('w1', 'dev1', 'developer', 0), ('w2', 'dev1', 'developer', 35)) as w (workspace_id, user_id, kind, offset_days);

-- Out of order and in several batches: later days first, so that the neighbours of new days are both sides.
select jsonb_agg(event) filter (where (event ->> 'timestamp') >= (:'base'::date + 20)::text) as later_batch,
  jsonb_agg(event) filter (where (event ->> 'timestamp') < (:'base'::date + 20)::text) as earlier_batch
from fixture_events \gset
select tests.authenticate_with_key('metering_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(:'later_batch');
select edge_api.ingest_events(:'earlier_batch');
select tests.clear_authentication();

-- A bundle created before the range, one deleted mid-range, one created mid-range.
insert into public.app_versions (app_id, owner_org, name, size, created_at)
values ('com.rollup.main', :'org', '1.0.0', 100, :'base'::date - 10),
  ('com.rollup.main', :'org', '1.1.0', 40, :'base'::date - 2),
  ('com.rollup.main', :'org', '2.0.0', 7, :'base'::date + 20);
update public.app_versions set deleted = true, deleted_at = :'base'::date + 15 + interval '12 hours' where name = '1.1.0';

-- The oracle reads the raw events once (the partitioned table is slow to scan per day in correlated subqueries).
create temporary table raw_events on commit drop as
select event_type, subject, payload, (occurred_at at time zone 'UTC')::date as day from public.usage_events;
create temporary view raw_device_days as
select subject as app_id, payload ->> 'device_id' as device_id, day from raw_events where event_type = 'device.activity';

select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 62)$$, :'base', :'base'),
  format($$select d::date, (select count(distinct device_id) from raw_device_days
      where app_id = 'com.rollup.main' and day between d::date - 29 and d::date)
    from generate_series(%L::date - 5, %L::date + 62, interval '1 day') as d$$, :'base', :'base'),
  'stored MAU equals distinct devices of the raw events in each trailing 30-day window'
);
select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 62)$$, :'base', :'base'),
  format($$select day, mau from private.recompute_mau('com.rollup.main', %L::date - 5, %L::date + 62)$$, :'base', :'base'),
  'stored MAU equals private.recompute_mau'
);
-- A range starting two months in begins its running sums from the monthly sums of the earlier months.
select results_eq(
  format($$select day, mau, storage from private.app_daily_stats(array['com.rollup.main'], %L::date + 40, %L::date + 62)$$,
    :'base', :'base'),
  format($$select day, mau, storage from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 62)
    where day >= %L::date + 40$$, :'base', :'base', :'base'),
  'a range read from monthly sums equals the same days of a range read from its first day'
);

-- The repair tool rebuilds damaged MAU changes exactly: a wrong change, and a change where there should be none.
update public.app_daily_usage set mau_delta = mau_delta + 5
where app_id = 'com.rollup.main'
  and day = (select min(day) from public.app_daily_usage where app_id = 'com.rollup.main' and mau_delta <> 0);
insert into public.app_daily_usage (app_id, day, mau_delta) values ('com.rollup.main', :'base'::date + 200, 9);
select is(private.repair_mau('com.rollup.main'), 2, 'repair_mau rewrites exactly the two damaged days');
select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 210)$$, :'base', :'base'),
  format($$select day, mau from private.recompute_mau('com.rollup.main', %L::date - 5, %L::date + 210)$$, :'base', :'base'),
  'after repair_mau, stored MAU equals private.recompute_mau again'
);
select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.rollup.main'], %L::date + 40, %L::date + 210)$$, :'base', :'base'),
  format($$select day, mau from private.recompute_mau('com.rollup.main', %L::date + 40, %L::date + 210)$$, :'base', :'base'),
  'after repair_mau, the monthly sums agree too'
);
select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.rollup.single'], %L::date + 29, %L::date + 30)
    union all select day, mau from private.app_daily_stats(array['com.rollup.single'], %L::date + 59, %L::date + 60)$$,
    :'base', :'base', :'base', :'base'),
  format($$values (%L::date + 29, 1::bigint), (%L::date + 30, 1), (%L::date + 59, 1), (%L::date + 60, 0)$$,
    :'base', :'base', :'base', :'base'),
  'a device active on days 1 and 31 counts on days 30, 31 and 60, not 61'
);
select results_eq(
  format($$select day, bandwidth from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 62)$$, :'base', :'base'),
  format($$select d::date, coalesce((select sum((payload ->> 'bytes')::bigint) from raw_events
      where event_type = 'bundle.download' and day = d::date), 0)::bigint
    from generate_series(%L::date - 5, %L::date + 62, interval '1 day') as d$$, :'base', :'base'),
  'bandwidth equals the bytes of the raw downloads of each day'
);
select results_eq(
  format($$select day, storage from private.app_daily_stats(array['com.rollup.main'], %L::date - 5, %L::date + 62)$$, :'base', :'base'),
  format($$select d::date, coalesce((select sum(size) from public.app_versions
      where app_id = 'com.rollup.main' and (created_at at time zone 'UTC')::date <= d::date
        and (deleted_at is null or (deleted_at at time zone 'UTC')::date > d::date)), 0)::bigint
    from generate_series(%L::date - 5, %L::date + 62, interval '1 day') as d$$, :'base', :'base'),
  'storage equals the bundles alive at the end of each day'
);
select results_eq(
  format($$select storage from private.app_daily_stats(array['com.rollup.main'], %L::date + 14, %L::date + 15)$$, :'base', :'base'),
  $$values (140::bigint), (100)$$,
  'the bundle deleted mid-range stops counting on its deletion day'
);
select results_eq(
  format($$select period, requests, case when measured_events > 0 then bytes end from public.space_traffic
    where org_id = %L and grain = 'day' order by space_id, period$$, :'org'),
  $$select day, sum((payload ->> 'requests')::bigint)::bigint, sum((payload ->> 'bytes')::bigint)::bigint from raw_events
    where event_type = 'api.request' group by subject, day order by subject, day$$,
  'space traffic equals the raw requests and bytes of each day (bytes unknown where none measured)'
);
select is(
  (select measured_events from public.space_traffic where org_id = :'org' and space_id = 2 and grain = 'day'),
  0::bigint,
  'unmeasured bytes stay unknown'
);

create temporary view raw_activity as
select subject as workspace_id, payload ->> 'user_id' as user_id, payload ->> 'kind' as kind, day
from raw_events where event_type = 'workspace.activity';

select results_eq(
  format($$select d::date, coalesce(a.actives, 0) from generate_series(%L::date - 3, %L::date + 41, interval '1 day') as d
    left join public.environment_daily_actives as a
      on a.org_id = %L and a.audience = 'users' and a.org_domain = '' and a.day = d::date order by d$$,
    :'base', :'base', :'org'),
  format($$select d::date, (select count(distinct user_id) from raw_activity where kind = 'user' and day = d::date)::integer
    from generate_series(%L::date - 3, %L::date + 41, interval '1 day') as d$$, :'base', :'base'),
  'daily active users equal the raw distinct users of each day'
);
select results_eq(
  format($$select m::date, coalesce(a.actives, 0), coalesce(a.logins, 0)
    from generate_series(date_trunc('month', %L::date - 3), %L::date + 41, interval '1 month') as m
    left join public.workspace_monthly_actives as a
      on a.org_id = %L and a.workspace_id = 'w1' and a.org_domain = '' and a.month = m::date order by m$$,
    :'base', :'base', :'org'),
  format($$select m::date,
      (select count(distinct user_id) from raw_activity where workspace_id = 'w1' and date_trunc('month', day) = m)::integer,
      (select count(distinct (user_id, day)) from raw_activity where workspace_id = 'w1' and date_trunc('month', day) = m)::integer
    from generate_series(date_trunc('month', %L::date - 3), %L::date + 41, interval '1 month') as m$$, :'base', :'base'),
  'monthly active users and daily logins of a workspace (both kinds) equal the raw ones of each month'
);
select results_eq(
  format($$select m::date, coalesce(a.actives, 0)
    from generate_series(date_trunc('month', %L::date - 3), %L::date + 41, interval '1 month') as m
    left join public.environment_monthly_actives as a
      on a.org_id = %L and a.audience = 'developers' and a.org_domain = 'acme.com' and a.month = m::date order by m$$,
    :'base', :'base', :'org'),
  format($$select m::date, (select count(distinct user_id) from raw_activity where kind = 'developer'
      and date_trunc('month', day) = m)::integer
    from generate_series(date_trunc('month', %L::date - 3), %L::date + 41, interval '1 month') as m$$, :'base', :'base'),
  'monthly active developers (one domain) equal the raw distinct developers of each calendar month'
);
select results_eq(
  format($$select d::date, (select coalesce(sum(registered), 0) from public.environment_registrations
      where org_id = %L and audience = 'users' and org_domain = '' and day <= d::date)::integer
    from generate_series(%L::date - 3, %L::date + 41, interval '1 day') as d$$, :'org', :'base', :'base'),
  format($$select d::date, (select count(*) from (select user_id from raw_activity
      group by user_id having min(day) <= d::date) as seen)::integer
    from generate_series(%L::date - 3, %L::date + 41, interval '1 day') as d$$, :'base', :'base'),
  'registered users (developers included) as of each day equal the users first seen on or before it'
);

select * from finish();
rollback;
