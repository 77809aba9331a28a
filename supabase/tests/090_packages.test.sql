-- Package statistics over dates older than ingest accepts, written directly as daily views: ISO week 53 of 2020
-- (2020-12-28 .. 2021-01-03) and the bins around it; who may read, write and count; and the rate limiter.
begin;
select plan(24);

select tests.create_user(handle) from unnest(array['pkg_owner', 'pkg_reader', 'pkg_outsider']) as handle;
select tests.create_org('pkg_owner', 'Package org') as org \gset
select tests.add_member(:'org', 'pkg_reader', 'read');
insert into public.packages (org_id, identifier, name, publisher) values (:'org', 'Acme.Rocket', 'Rocket', 'Acme')
returning id as package \gset
insert into public.package_daily_views (package_id, day, views)
select :package, day::date, views
from (values ('2020-12-27', 1), ('2020-12-28', 10), ('2020-12-31', 20), ('2021-01-03', 40), ('2021-01-04', 100),
  ('2021-02-01', 1000)) as v (day, views);

select tests.authenticate_as_anon();
select is(edge_api.package_stats('acme.rocket', 'isoWeek', '2020-12-30T12:00:00Z', '2021-01-02T00:00:00Z')::jsonb,
  '{"Id": "Acme.Rocket", "Data": [["2020-12-28", 70]]}'::jsonb,
  'week 53 of 2020 is one bin from Monday 2020-12-28 to Sunday 2021-01-03, counted whole');
select is((edge_api.package_stats('Acme.Rocket', 'isoWeek', '2020-12-27T00:00:00Z', '2021-01-04T00:00:00Z') -> 'Data')::jsonb,
  '[["2020-12-21", 1], ["2020-12-28", 70], ["2021-01-04", 100]]'::jsonb,
  'the weeks before and after week 53, both ends rounded down to their Monday');
select is((edge_api.package_stats('Acme.Rocket', 'month', '2020-12-31T23:59:59Z', '2021-01-01T00:00:00Z') -> 'Data')::jsonb,
  '[["2020-12-01", 31], ["2021-01-01", 140]]'::jsonb,
  'week 53 split between its two months');
select is((edge_api.package_stats('Acme.Rocket', 'day', '2020-12-28T23:00:00-02:00', '2021-01-03T00:00:00Z') -> 'Data')::jsonb,
  '[["2020-12-31", 20], ["2021-01-03", 40]]'::jsonb,
  'an offset is read as the instant it names (2020-12-29T01:00Z), days without views are left out');
select is((edge_api.package_stats('Acme.Rocket', 'month', '2021-03-01', '2021-04-01') -> 'Data')::jsonb, '[]'::jsonb,
  'no views in range: Data []');
select throws_ok($$select edge_api.package_stats('Acme.Rocket', 'year', '2021-01-01', '2021-02-01')$$, 'PT400',
  'resolution must be one of day, isoWeek, month', 'an unknown resolution is refused');
select throws_ok($$select edge_api.package_stats('Acme.Rocket', 'day', '2021-01-02', '2021-01-01')$$, 'PT400',
  '''after'' must not be later than ''before''', 'after later than before is refused');
select throws_ok($$select edge_api.package_stats('Acme.Rocket', 'day', '1970-01-01', '2023-12-31')$$, 'PT400',
  'a request may span at most 1000 bins; this one spans 1100 day bins from 2020-12-27: give a later ''after''',
  'more than 1000 bins from the first view is refused');
select is(json_array_length(edge_api.package_stats('Acme.Rocket', 'day', '1970-01-01', '2023-09-22') -> 'Data'), 6,
  'exactly 1000 bins from the first view are allowed');
select throws_ok($$select edge_api.package_stats('Nobody.Nothing', 'day', '2021-01-01', '2021-01-02')$$, 'PT404',
  'package not found', 'an unknown package is a 404');

-- Anonymous callers reach packages only through the two functions.
select throws_ok('select * from public.packages', '42501', null, 'anon cannot read the packages table');
select throws_ok('select * from public.package_daily_views', '42501', null, 'anon cannot read the views table');
select throws_ok($$select edge_api.put_package('00000000-0000-0000-0000-000000000000', '{}')$$, '42501', null,
  'anon cannot post packages');

-- Counting: one view per client and day, past days forgotten.
select tests.clear_authentication();
insert into private.package_view_clients values (current_date - 1, :package, '\x01');
select tests.authenticate_as_anon();
select ok(edge_api.count_package_view('ACME.ROCKET', '\x0a') -> 'Package' ->> 'Id' = 'Acme.Rocket',
  'the package route returns the document of any letter case');
select edge_api.count_package_view('Acme.Rocket', '\x0a');
select edge_api.count_package_view('Acme.Rocket', '\x0b');
select is(edge_api.count_package_view('Nobody.Nothing', '\x0a'), null, 'an unknown package is null (and counts nothing)');
select tests.clear_authentication();
select is((select views from public.package_daily_views where package_id = :package and day = current_date), 2::bigint,
  'two clients, three calls: two views');
select is((select count(*) from private.package_view_clients where day < current_date), 0::bigint,
  'the deduplication records of past days are deleted');

-- Members read their organization's rows; only write and above manage packages.
select tests.authenticate_with_key('pkg_reader', 'read', array[:'org']::uuid[]);
select is((select count(*) from public.package_daily_views where package_id = :package), 7::bigint, 'a reader sees the views');
select throws_ok($$select edge_api.put_package('$$ || :'org' || $$', '{"Id": "Acme.Other", "Name": "n", "Publisher": "p"}')$$,
  'PT403', null, 'a read member cannot post a package');
select tests.clear_authentication();
select tests.authenticate_with_key('pkg_owner', 'upload', array[:'org']::uuid[]);
select throws_ok($$select edge_api.delete_package('Acme.Rocket')$$, 'PT403', null, 'an upload key cannot delete a package');
select tests.clear_authentication();
select tests.authenticate_with_key('pkg_outsider', 'all');
select is((select count(*) from public.packages), 0::bigint, 'an outsider sees no package rows');
select tests.clear_authentication();

-- The rate limiter: a burst of the limit, then refusals that count nothing (now() is fixed in a transaction).
select is((select array_agg(allowed) from (select (private.take_rate_limit('test:bucket', 3, 60)).allowed
  from generate_series(1, 5)) as t), array[true, true, true, false, false], 'three of five admitted at once');
select is((select row(remaining, reset_seconds, retry_after_seconds)::text from private.take_rate_limit('test:bucket', 3, 60)),
  '(0,60,20)', 'refused: nothing left, whole again in 60 s, next request in 20 s');
select is((select theoretical_arrival from private.rate_limit_buckets where bucket = 'test:bucket'), now() + interval '60 seconds',
  'refused requests did not move the bucket');

select * from finish();
rollback;
