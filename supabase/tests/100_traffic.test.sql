-- Traffic: the periods a range is tiled with, the rollups ingest keeps against the rebuild from day rows, who may
-- read the statistics and alerts and set the limit, and the SQL's own guards on its parameters.
begin;
select plan(14);

select results_eq(
  $$select grain::text, period_from, period_until from private.traffic_segments('2024-12-30', '2026-02-03', 'year')
    order by period_from$$,
  $$values ('day', '2024-12-30'::date, '2025-01-01'::date), ('year', '2025-01-01', '2026-01-01'),
    ('month', '2026-01-01', '2026-02-01'), ('day', '2026-02-01', '2026-02-04')$$,
  'a range is tiled with whole years, then whole months, then days'
);
select results_eq(
  $$select grain::text, period_from, period_until from private.traffic_segments('2025-01-15', '2025-03-31', 'year')$$,
  $$values ('month', '2025-02-01'::date, '2025-04-01'::date), ('day', '2025-01-15', '2025-02-01')$$,
  'no whole year: whole months and the days before them'
);
select results_eq(
  $$select grain::text, period_from, period_until from private.traffic_segments('2025-01-01', '2025-12-31', 'day')$$,
  $$values ('day', '2025-01-01'::date, '2026-01-01'::date)$$,
  'grouping by day reads days only'
);

select tests.create_user(handle) from unnest(array['t_owner', 't_reader', 't_outsider']) as handle;
select tests.create_org('t_owner', 'Traffic org') as org \gset
select tests.add_member(:'org', 't_reader', 'read');
update public.orgs set monthly_traffic_limit = 1000 where id = :'org';

-- Batches across the last month and year change (both within the 400 days ingest accepts).
select (date_trunc('year', now() at time zone 'UTC')::date) as year_start \gset
select tests.authenticate_with_key('t_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_agg(jsonb_build_object('type', 'api.request', 'space_id', 1 + n % 7,
  'requests', 1 + n % 5, 'timestamp', (:'year_start'::date - 40 + n % 70)::timestamp + interval '1 hour')
  || case when n % 3 = 0 then jsonb_build_object('bytes', n * 10) else '{}' end))
from generate_series(0, 299) as n
where :'year_start'::date - 40 + n % 70 <= (now() at time zone 'UTC')::date;
select edge_api.ingest_events(jsonb_agg(jsonb_build_object('type', 'api.request', 'space_id', 1 + n % 11,
  'bytes', 7, 'timestamp', now())))
from generate_series(0, 199) as n;
-- A third batch adds to the first one's days, months and years: the upserts' update path, month days included.
select edge_api.ingest_events(jsonb_agg(jsonb_build_object('type', 'api.request', 'space_id', 1 + n % 5,
  'timestamp', (:'year_start'::date - 40 + n % 45)::timestamp + interval '2 hours')
  || case when n % 2 = 0 then jsonb_build_object('bytes', n) else '{}' end))
from generate_series(0, 99) as n;
select tests.clear_authentication();

create temporary table kept_space on commit drop as select * from public.space_traffic where org_id = :'org';
create temporary table kept_org on commit drop as select * from public.org_traffic where org_id = :'org';
select private.rebuild_org_traffic(:'org');
select set_eq($$select * from public.space_traffic where org_id = $$ || quote_literal(:'org'),
  'select * from kept_space', 'the month and year rows ingest keeps equal those rebuilt from its day rows');
select set_eq($$select * from public.org_traffic where org_id = $$ || quote_literal(:'org'),
  'select * from kept_org', 'the organization rows, spaces counted, equal the rebuilt ones');
select ok((select count(*) from kept_space where grain = 'year') >= 7, 'year rows exist for each space');

select is((select array_agg(threshold order by threshold) from public.traffic_alerts where org_id = :'org'),
  array[80, 100]::smallint[], 'this month''s bytes crossed 80% and 100% of the 1,000 limit, once each');

select tests.authenticate_as('t_reader');
select is(json_array_length(edge_api.traffic_statistics(:'org', :'year_start'::date - 40, :'year_start'::date + 20,
  'month') -> 'organization'),
  (select count(distinct date_trunc('month', period))::integer from public.org_traffic where org_id = :'org'
    and grain = 'day' and period between :'year_start'::date - 40 and :'year_start'::date + 20),
  'a read member gets the statistics: the organization''s months with traffic');
select is(json_array_length(edge_api.list_traffic_alerts(:'org')), 2, 'a read member lists the alerts');
select throws_ok(format('select edge_api.traffic_statistics(%L, %L, %L)', :'org', :'year_start', :'year_start'::date - 1),
  'PT400', 'start_date must not be after end_date', 'the SQL refuses a reversed range itself');
select throws_ok(format('select edge_api.org_update(%L, p_limits => %L)', :'org', '{"monthly_traffic_limit": 5}'),
  'PT403', null, 'a read member cannot set the limit');
select tests.clear_authentication();

select tests.authenticate_as('t_outsider');
select throws_ok(format('select edge_api.traffic_statistics(%L, %L, %L)', :'org', :'year_start', :'year_start'),
  'PT404', 'Organization not found', 'an outsider is told the organization does not exist');
select throws_ok(format('select edge_api.list_traffic_alerts(%L)', :'org'), 'PT404', 'Organization not found',
  'an outsider cannot list its alerts');
select tests.clear_authentication();

select tests.authenticate_as_anon();
select throws_ok(format('select edge_api.traffic_statistics(%L, %L, %L)', :'org', :'year_start', :'year_start'),
  '42501', null, 'anon cannot call the statistics');
select tests.clear_authentication();

select * from finish();
rollback;
