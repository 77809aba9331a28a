-- The organization rollups are the sums of its apps' rollups, whichever writer changed them (ingest, the storage
-- trigger, a repair, a deleted app), and /statistics/org, which reads them, answers what summing the apps answers.
begin;
select plan(12);

select tests.create_user('orgsum_owner');
select tests.create_user('orgsum_outsider');
select tests.create_org('orgsum_owner', 'Org sums') as org \gset
select tests.create_org('orgsum_owner', 'Other org') as other \gset
insert into public.apps (app_id, owner_org, name)
values ('com.orgsum.a', :'org', 'A'), ('com.orgsum.b', :'org', 'B'), ('com.orgsum.gone', :'org', 'Gone'),
  ('com.orgsum.other', :'other', 'Other');
select (now() at time zone 'UTC')::date as today \gset

-- Every app of both organizations, active over 67 days (across a month boundary, today included), some days
-- downloading; then new devices on the same days, which update the rows the first batch inserted.
select tests.authenticate_with_key('orgsum_owner', 'upload', array[:'org', :'other']::uuid[]);
select edge_api.ingest_events((
  select jsonb_agg(jsonb_build_object('type', t, 'app_id', app, 'device_id', batch || (n % 7),
    'bytes', 100 + n, 'timestamp', (:'today'::date - (n * 3) % 69)::timestamp::text || 'Z'))
  from unnest(array['com.orgsum.a', 'com.orgsum.b', 'com.orgsum.gone', 'com.orgsum.other']) as app,
    generate_series(1, 60) as n,
    unnest(array['device.activity', 'bundle.download']) as t
))
from unnest(array['first-', 'second-']) as batch;
select tests.clear_authentication();
insert into public.app_versions (app_id, owner_org, name, size)
values ('com.orgsum.a', :'org', '1.0.0', 5000), ('com.orgsum.gone', :'org', '1.0.0', 700);

-- What the organization rows must hold: its apps' rows summed.
create function pg_temp.daily_mismatches() returns setof text language sql as $$
  select format('%s %s: org %s, apps %s', coalesce(o.org_id, s.org_id), coalesce(o.day, s.day), o, s)
  from public.org_daily_usage as o
  full join (
    select a.owner_org as org_id, u.day, sum(u.mau_delta) as mau_delta, sum(u.bandwidth) as bandwidth,
      sum(u.storage_delta) as storage_delta
    from public.app_daily_usage as u join public.apps as a using (app_id) group by 1, 2
  ) as s on s.org_id = o.org_id and s.day = o.day
  where (coalesce(o.mau_delta, 0), coalesce(o.bandwidth, 0), coalesce(o.storage_delta, 0))
    <> (coalesce(s.mau_delta, 0), coalesce(s.bandwidth, 0), coalesce(s.storage_delta, 0))
$$;
create function pg_temp.monthly_mismatches() returns setof text language sql as $$
  select format('%s %s: org %s, apps %s', coalesce(o.org_id, s.org_id), coalesce(o.month, s.month), o, s)
  from public.org_monthly_changes as o
  full join (
    select a.owner_org as org_id, date_trunc('month', u.day)::date as month, sum(u.mau_delta) as mau_delta,
      sum(u.storage_delta) as storage_delta
    from public.app_daily_usage as u join public.apps as a using (app_id) group by 1, 2
  ) as s on s.org_id = o.org_id and s.month = o.month
  where (coalesce(o.mau_delta, 0), coalesce(o.storage_delta, 0)) <> (coalesce(s.mau_delta, 0), coalesce(s.storage_delta, 0))
$$;

select ok((select count(*) from public.org_daily_usage where org_id = :'org') > 20,
  'ingest and the storage trigger wrote organization days');
select is_empty('select * from pg_temp.daily_mismatches()', 'each organization day is the sum of its apps'' days');
select is_empty('select * from pg_temp.monthly_mismatches()', 'each organization month is the sum of its apps'' days');

select is(
  private.stats_rows_json('{}', :'today'::date - 90, :'today', :'org')::text,
  private.stats_rows_json(array['com.orgsum.a', 'com.orgsum.b', 'com.orgsum.gone'], :'today'::date - 90, :'today')::text,
  'the organization rollup reads as its apps summed'
);

-- Any write of app rows reaches the organization's, and so does a repair that undoes it.
update public.app_daily_usage set mau_delta = mau_delta + 5 where app_id = 'com.orgsum.b';
select is_empty('select * from pg_temp.daily_mismatches() union all select * from pg_temp.monthly_mismatches()',
  'an update of app rows changes the organization rows by as much');
set local role service_role;
select private.repair_mau('com.orgsum.b');
reset role;
select is_empty('select * from pg_temp.daily_mismatches() union all select * from pg_temp.monthly_mismatches()',
  'after an update and a repair of app rows, the organization rows still sum them');

-- A deleted app leaves the sums (its rows go with it).
select tests.authenticate_as('orgsum_owner');
delete from public.apps where app_id = 'com.orgsum.gone';
select is(
  edge_api.statistics_org(:'org', :'today'::date - 90, :'today')::text,
  private.stats_rows_json(array['com.orgsum.a', 'com.orgsum.b'], :'today'::date - 90, :'today')::text,
  '/statistics/org answers the remaining apps summed'
);
select tests.clear_authentication();
select is_empty('select * from pg_temp.daily_mismatches() union all select * from pg_temp.monthly_mismatches()',
  'a deleted app''s share leaves its organization''s rows');

select throws_ok(format('update public.apps set owner_org = %L where app_id = %L', :'other', 'com.orgsum.a'),
  '0A000', 'an app cannot move to another organization', 'an app does not move between organizations');

-- Row-level security: members read their organization's rows, others none.
select tests.authenticate_as('orgsum_outsider');
select is_empty('select 1 from public.org_daily_usage union all select 1 from public.org_monthly_changes',
  'an outsider reads no organization rollup');
select tests.clear_authentication();
select tests.authenticate_as('orgsum_owner');
select ok((select count(*) from public.org_daily_usage where org_id = :'org') > 0, 'a member reads them');
select tests.clear_authentication();

delete from public.orgs where id = :'org';
select is_empty(format('select 1 from public.org_daily_usage where org_id = %L', :'org'),
  'a deleted organization''s rows go with it');

select * from finish();
rollback;
