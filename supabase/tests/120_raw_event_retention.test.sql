-- Raw events are dropped a day (a partition) at a time, with the idempotency ids ingest no longer needs; the
-- rollups stay.
begin;
select plan(7);

select (now() at time zone 'UTC')::date as today \gset
select private.ensure_usage_event_partition(:'today'::date - d) from (values (500), (450), (401), (10)) as days (d);
select tests.create_user('retention_owner');
select tests.create_org('retention_owner', 'Retention org') as org \gset
insert into public.usage_event_ids (org_id, client_id, received_at)
values (:'org', 'ancient', now() - interval '401 days'), (:'org', 'recent', now() - interval '399 days');
insert into public.apps (app_id, owner_org, name) values ('com.retention.app', :'org', 'Retention');
insert into public.app_daily_usage (app_id, day, bandwidth) values ('com.retention.app', :'today'::date - 450, 7);

select tests.authenticate_as('retention_owner');
select throws_ok(format('select private.drop_raw_events_before(%L)', :'today'),
  '42501', null, 'an API role may not drop raw events');
select tests.clear_authentication();

select throws_ok(format('select private.drop_raw_events_before(%L)', :'today'::date + 1),
  '22023', 'p_day must be today or earlier', 'a day in the future is refused');

set local role service_role;
select cmp_ok(private.drop_raw_events_before(:'today'::date - 400), '>=', 3,
  'service_role drops the days before the one given');
reset role;
select is(
  (select array_agg(d order by d) from (values (500), (450), (401), (10)) as days (d)
   where to_regclass('private.usage_events_' || to_char(:'today'::date - d, 'YYYYMMDD')) is not null),
  array[10], 'the partitions of the days before it are gone, a later one stays'
);
select is_empty(format($$select 1 from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
  where i.inhparent = 'public.usage_events'::regclass and c.relname < 'usage_events_%s'$$,
  to_char(:'today'::date - 400, 'YYYYMMDD')), 'no raw-event day before it is left');
select results_eq(format($$select client_id from public.usage_event_ids where org_id = %L order by 1$$, :'org'),
  $$values ('recent')$$, 'ids received more than 400 days ago are dropped, the others kept');
select is((select bandwidth from public.app_daily_usage where app_id = 'com.retention.app'), 7::bigint,
  'the rollups of those days stay');

select * from finish();
rollback;
