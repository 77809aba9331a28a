-- A device's active days are bits on its registry row. MAU stays exact whatever order days arrive in: a device
-- active again after 29, 30 and 31 days (in order and out of order), days backfilled long before the device's
-- first one, a device active on every day of a year, and days sent again.
begin;
select plan(23);

select tests.create_user('activity_owner');
select tests.create_org('activity_owner', 'Activity org') as org \gset
insert into public.apps (app_id, owner_org, name)
values ('com.activity.gaps', :'org', 'Gaps'), ('com.activity.late', :'org', 'Late'),
  ('com.activity.back', :'org', 'Backfill'), ('com.activity.year', :'org', 'Every day');
select (now() at time zone 'UTC')::date - 120 as base, (now() at time zone 'UTC')::date as today \gset

-- One batch per element, in the order given. Each event at the start of its UTC day: never in the future, and
-- 399 days back stays inside ingest's 400 days whatever the time of day.
create function pg_temp.ingest_days(p_app_id text, p_batches jsonb) returns void language plpgsql as $$
declare
  batch jsonb;
begin
  for batch in select value from jsonb_array_elements(p_batches) loop
    perform edge_api.ingest_events((
      select jsonb_agg(jsonb_build_object('type', 'device.activity', 'app_id', p_app_id, 'device_id', d ->> 0,
        'timestamp', (d ->> 1)::date::timestamp::text || 'Z'))
      from jsonb_array_elements(batch) as d
    ));
  end loop;
end
$$;

-- The oracle: distinct devices of the raw events in each trailing 30-day window.
create function pg_temp.mau_matches(p_app_id text, p_from date, p_to date) returns setof text language sql as $$
  select format('%s: stored %s, raw %s', s.day, s.mau, r.mau)
  from private.app_daily_stats(array[p_app_id], p_from, p_to) as s
  join (
    select d::date as day, (
      select count(distinct e.payload ->> 'device_id') from public.usage_events as e
      where e.subject = p_app_id and (e.occurred_at at time zone 'UTC')::date between d::date - 29 and d::date
    ) as mau
    from generate_series(p_from, p_to, interval '1 day') as d
  ) as r using (day)
  where s.mau <> r.mau
$$;

select tests.authenticate_with_key('activity_owner', 'upload', array[:'org']::uuid[]);

-- Active again after 29, 30 and 31 days, each day in its own batch, in order: the second day is read against the
-- last one on the row.
select pg_temp.ingest_days('com.activity.gaps', jsonb_build_array(
  jsonb_build_array(jsonb_build_array('gap-29', :'base'::date), jsonb_build_array('gap-30', :'base'::date),
    jsonb_build_array('gap-31', :'base'::date)),
  jsonb_build_array(jsonb_build_array('gap-29', :'base'::date + 29)),
  jsonb_build_array(jsonb_build_array('gap-30', :'base'::date + 30)),
  jsonb_build_array(jsonb_build_array('gap-31', :'base'::date + 31))
));
-- The same gaps out of order: the later day first, then the earlier one, which lands before the first bit.
select pg_temp.ingest_days('com.activity.late', jsonb_build_array(
  jsonb_build_array(jsonb_build_array('gap-29', :'base'::date + 29), jsonb_build_array('gap-30', :'base'::date + 30),
    jsonb_build_array('gap-31', :'base'::date + 31)),
  jsonb_build_array(jsonb_build_array('gap-29', :'base'::date), jsonb_build_array('gap-30', :'base'::date),
    jsonb_build_array('gap-31', :'base'::date))
));
-- Backfill: active today, then days far older than any 30-day window around it, then a day between two stored
-- ones, then days already stored again (in a batch with a new one).
select pg_temp.ingest_days('com.activity.back', jsonb_build_array(
  jsonb_build_array(jsonb_build_array('old', :'today'::date)),
  jsonb_build_array(jsonb_build_array('old', :'today'::date - 200)),
  jsonb_build_array(jsonb_build_array('old', :'today'::date - 399), jsonb_build_array('old', :'today'::date - 100)),
  jsonb_build_array(jsonb_build_array('old', :'today'::date - 215)),
  jsonb_build_array(jsonb_build_array('old', :'today'::date - 200), jsonb_build_array('old', :'today'::date),
    jsonb_build_array('old', :'today'::date - 186))
));
-- Every day of a year: the first half in one batch, then one batch per day, in order.
select pg_temp.ingest_days('com.activity.year', (
  select jsonb_build_array(jsonb_agg(jsonb_build_array('daily', :'today'::date - 364 + d) order by d))
  from generate_series(0, 181) as d
) || (
  select jsonb_agg(jsonb_build_array(jsonb_build_array('daily', :'today'::date - 364 + d)) order by d)
  from generate_series(182, 364) as d
));
select tests.clear_authentication();

select is_empty($$select * from pg_temp.mau_matches('com.activity.gaps', (now() at time zone 'UTC')::date - 125,
  (now() at time zone 'UTC')::date)$$, 'active again after 29, 30 and 31 days, in order: MAU equals the raw events');
select results_eq(
  format($$select day - %L::date, mau from private.app_daily_stats(array['com.activity.gaps'], %L, %L::date + 62)
    where day - %L::date in (29, 30, 31, 58, 59, 60, 61)$$, :'base', :'base', :'base', :'base'),
  $$values (29, 3::bigint), (30, 2), (31, 3), (58, 3), (59, 2), (60, 1), (61, 0)$$,
  'the gaps counted by hand: after 31 days the device is out on day 30 and back on day 31'
);
select is_empty($$select * from pg_temp.mau_matches('com.activity.late', (now() at time zone 'UTC')::date - 125,
  (now() at time zone 'UTC')::date)$$, 'the same gaps out of order: MAU equals the raw events');
select results_eq(
  format($$select day, mau from private.app_daily_stats(array['com.activity.late'], %L, %L::date + 62)$$, :'base', :'base'),
  format($$select day, mau from private.app_daily_stats(array['com.activity.gaps'], %L, %L::date + 62)$$, :'base', :'base'),
  'in order or not, the same days give the same MAU'
);
select results_eq(
  $$select device_id, active_days::text, first_active_day - (select first_active_day from public.devices
      where app_id = 'com.activity.gaps' and device_id = 'gap-29')
    from public.devices where app_id = 'com.activity.late' order by device_id$$,
  $$values ('gap-29', '1' || repeat('0', 28) || '1', 0), ('gap-30', '1' || repeat('0', 29) || '1', 0),
    ('gap-31', '1' || repeat('0', 30) || '1', 0)$$,
  'a day before the first one moves the first day and shifts the bits'
);

select is_empty($$select * from pg_temp.mau_matches('com.activity.back', (now() at time zone 'UTC')::date - 399,
  (now() at time zone 'UTC')::date)$$, 'days backfilled up to 399 days back: MAU equals the raw events');
select results_eq(
  $$select day - (now() at time zone 'UTC')::date from private.device_active_days where app_id = 'com.activity.back'
    order by 1$$,
  $$values (-399), (-215), (-200), (-186), (-100), (0)$$,
  'the backfilled device holds each of its days once'
);
select is(
  (select sum(mau_delta) from public.app_daily_usage where app_id = 'com.activity.back'), 0::bigint,
  'every day a device starts to count is matched by the day it stops'
);

select is_empty($$select * from pg_temp.mau_matches('com.activity.year', (now() at time zone 'UTC')::date - 364,
  (now() at time zone 'UTC')::date)$$, 'a device active on every day of a year: MAU equals the raw events');
select is(
  (select count(*) from private.app_daily_stats(array['com.activity.year'], (now() at time zone 'UTC')::date - 364,
    (now() at time zone 'UTC')::date) where mau = 1), 365::bigint,
  'the device counts once on each of the 365 days'
);
select results_eq(
  $$select length(active_days), bit_count(active_days), first_active_day - (now() at time zone 'UTC')::date
    from public.devices where app_id = 'com.activity.year'$$,
  $$values (365, 365::bigint, -364)$$,
  'its row holds 365 set bits from its first day'
);
select cmp_ok(
  (select pg_column_size(active_days) from public.devices where app_id = 'com.activity.year'), '<=', 365 / 8 + 1 + 8,
  'a year of daily activity takes a bit per day and at most 8 bytes of header on the row'
);
select is(
  (select count(*) from public.app_daily_usage where app_id = 'com.activity.year' and mau_delta <> 0), 2::bigint,
  'a year of consecutive days is one change in and one out'
);

-- A late event still counts its day, but does not overwrite what a later one reported.
select tests.authenticate_with_key('activity_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_build_array(jsonb_build_object('type', 'device.activity', 'app_id', 'com.activity.gaps',
  'device_id', 'meta', 'version_name', '2.0', 'custom_id', 'new', 'timestamp', now() - interval '1 minute')));
select tests.clear_authentication();
-- updated_at follows the record, not the activity: set back, so that a change shows (now() is the test's start).
update public.devices set updated_at = '2000-01-01Z' where app_id = 'com.activity.gaps' and device_id = 'meta';
select tests.authenticate_with_key('activity_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_build_array(jsonb_build_object('type', 'device.activity', 'app_id', 'com.activity.gaps',
  'device_id', 'meta', 'version_name', '1.0', 'custom_id', 'old', 'timestamp', now() - interval '3 days')));
select tests.clear_authentication();
select is(
  (select updated_at from public.devices where app_id = 'com.activity.gaps' and device_id = 'meta'), '2000-01-01Z',
  'a day added by an event older than the record leaves updated_at'
);
select results_eq(
  $$select version_name, custom_id, last_seen_at > now() - interval '2 minutes' from public.devices
    where app_id = 'com.activity.gaps' and device_id = 'meta'$$,
  $$values ('2.0', 'new', true)$$,
  'an event older than the stored record leaves its metadata and last_seen_at'
);
select results_eq(
  $$select day - (now() at time zone 'UTC')::date from private.device_active_days
    where app_id = 'com.activity.gaps' and device_id = 'meta' order by 1$$,
  $$values (-3), (0)$$,
  'its day is counted all the same'
);
select tests.authenticate_with_key('activity_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_build_array(jsonb_build_object('type', 'device.activity', 'app_id', 'com.activity.gaps',
  'device_id', 'meta', 'version_name', '3.0', 'timestamp', now())));
select tests.clear_authentication();
select results_eq(
  $$select version_name, custom_id from public.devices where app_id = 'com.activity.gaps' and device_id = 'meta'$$,
  $$values ('3.0', 'new')$$,
  'a newer event updates what it reports and keeps what it leaves out'
);
select is(
  (select updated_at from public.devices where app_id = 'com.activity.gaps' and device_id = 'meta'), now(),
  'a newer event that changes the record moves updated_at'
);
update public.devices set updated_at = '2000-01-01Z' where app_id = 'com.activity.gaps' and device_id = 'meta';
select tests.authenticate_with_key('activity_owner', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_build_array(jsonb_build_object('type', 'device.activity', 'app_id', 'com.activity.gaps',
  'device_id', 'meta', 'version_name', '3.0', 'timestamp', now())));
select tests.clear_authentication();
select is(
  (select updated_at from public.devices where app_id = 'com.activity.gaps' and device_id = 'meta'), '2000-01-01Z',
  'the same event sent again changes nothing, updated_at included'
);
-- Other writers: the trigger touches a row whose record changes, not one written with the values it holds.
update public.devices set custom_id = 'new', platform = platform
where app_id = 'com.activity.gaps' and device_id = 'meta';
update public.devices set updated_at = '2000-01-01Z' where app_id = 'com.activity.gaps' and device_id = 'gap-29';
update public.devices set custom_id = 'renamed' where app_id = 'com.activity.gaps' and device_id = 'gap-29';
select results_eq(
  $$select device_id, updated_at = now() from public.devices
    where app_id = 'com.activity.gaps' and device_id in ('meta', 'gap-29') order by device_id$$,
  $$values ('gap-29', true), ('meta', false)$$,
  'another writer''s change touches updated_at; writing the same values does not'
);

-- A batch reads its devices' rows before it locks them; a row another batch changed in between (or a device it
-- added) is read again once locked. Played in one session: the read, the other batch's write, the lock, the check.
select private.prepare_ingest_batch();
insert into pg_temp.ingest_batch (idx, event_type, occurred_at, day, org_id, subject, device_id, payload)
values (0, 'device.activity', now() - interval '1 day', (now() at time zone 'UTC')::date - 1, :'org', 'com.activity.gaps',
    'gap-30', '{}'),
  (1, 'device.activity', now(), (now() at time zone 'UTC')::date, :'org', 'com.activity.gaps', 'racer', '{}');
select private.read_batch_devices(false);
select active_days as gap_30_bits, last_seen_at as gap_30_seen from public.devices
where app_id = 'com.activity.gaps' and device_id = 'gap-30' \gset
update public.devices set active_days = (active_days::text
    || repeat('0', (now() at time zone 'UTC')::date - 1 - (first_active_day + length(active_days) - 1) - 1) || '1')::varbit,
  last_seen_at = now()
where app_id = 'com.activity.gaps' and device_id = 'gap-30';
insert into public.devices (app_id, device_id, last_seen_at, first_active_day, active_days)
values ('com.activity.gaps', 'racer', now(), (now() at time zone 'UTC')::date, B'1');
select 1 from public.devices where app_id = 'com.activity.gaps' and device_id in ('gap-30', 'racer') for update;
select results_eq(
  $$select device_id, known, has_new_days from pg_temp.ingest_devices order by device_id$$,
  $$values ('gap-30', true, true), ('racer', false, true)$$,
  'before the lock: a day not stored yet, a device not in the registry'
);
select private.read_batch_devices(true);
select results_eq(
  $$select b.device_id, b.known, b.has_new_days, b.row_id = v.ctid from pg_temp.ingest_devices as b
    join public.devices as v using (app_id, device_id) order by b.device_id$$,
  $$values ('gap-30', true, false, true), ('racer', true, false, true)$$,
  'read again once locked: the day the other batch stored and the device it added count once'
);
-- The other batch's write was played without its rollups: undone.
delete from public.devices where app_id = 'com.activity.gaps' and device_id = 'racer';
update public.devices set active_days = :'gap_30_bits', last_seen_at = :'gap_30_seen'
where app_id = 'com.activity.gaps' and device_id = 'gap-30';

-- The repair tool reads the same bits: nothing to rewrite.
select is(
  (select sum(private.repair_mau(app_id)) from public.apps where owner_org = :'org'), 0::bigint,
  'repair_mau, rebuilding from the bits, finds every stored change already right'
);

select * from finish();
rollback;
