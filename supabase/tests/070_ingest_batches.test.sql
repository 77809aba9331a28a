-- What ingest does per batch instead of per row: the caller's rights for every subject at once
-- (private.caller_rights must agree with private.caller_right), app locks in place of foreign keys (an app's devices
-- and activity days go with it), and MAU stored as daily changes.
begin;
select plan(17);

select tests.create_user(handle) from unnest(array['ib_owner', 'ib_reader', 'ib_app_member', 'ib_outsider']) as handle;
select tests.create_org('ib_owner', 'Batch org A') as org_a \gset
select tests.create_org('ib_owner', 'Batch org B') as org_b \gset
insert into public.apps (app_id, owner_org, name) values
  ('com.ib.x', :'org_a', 'X'), ('com.ib.y', :'org_a', 'Y'), ('com.ib.b', :'org_b', 'B');
select tests.add_member(:'org_a', 'ib_reader', 'read');
select tests.add_member(:'org_a', 'ib_app_member', 'upload', 'com.ib.y');

create temporary table subjects (org_id uuid, app_id text) on commit drop;
insert into subjects values
  (:'org_a', null), (:'org_a', 'com.ib.x'), (:'org_a', 'com.ib.y'), (:'org_b', null), (:'org_b', 'com.ib.b'),
  (:'org_a', 'com.ib.b'), (null, null), (null, 'com.ib.x');

-- Every subject whose batch right differs from the single-subject rule, under the given claims.
create function pg_temp.rights_disagreements(p_claims jsonb) returns setof text
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', p_claims::text, true);
  return query
  select format('%s / %s: caller_rights %s, caller_right %s', r.org_id, r.app_id, r.caller_right,
      private.caller_right(r.org_id, r.app_id))
  from private.caller_rights(
      (select array_agg(org_id order by org_id, app_id) from subjects),
      (select array_agg(app_id order by org_id, app_id) from subjects)
    ) as r
  where r.caller_right is distinct from private.caller_right(r.org_id, r.app_id);
end
$$;

create temporary table actors (name text, claims jsonb) on commit drop;
insert into actors values
  ('the owner signed in', jsonb_build_object('sub', tests.user_id('ib_owner'), 'role', 'authenticated')),
  ('a read member signed in', jsonb_build_object('sub', tests.user_id('ib_reader'), 'role', 'authenticated')),
  ('an app-limited member', jsonb_build_object('sub', tests.user_id('ib_app_member'), 'role', 'authenticated')),
  ('an outsider', jsonb_build_object('sub', tests.user_id('ib_outsider'), 'role', 'authenticated')),
  ('an upload key of the owner', jsonb_build_object('sub', tests.user_id('ib_owner'), 'role', 'authenticated',
    'key_id', 0, 'key_mode', 'upload', 'key_orgs', '[]'::jsonb, 'key_apps', '[]'::jsonb)),
  ('a key limited to org B', jsonb_build_object('sub', tests.user_id('ib_owner'), 'role', 'authenticated',
    'key_id', 0, 'key_mode', 'all', 'key_orgs', jsonb_build_array(:'org_b'), 'key_apps', '[]'::jsonb)),
  ('a key limited to app x', jsonb_build_object('sub', tests.user_id('ib_owner'), 'role', 'authenticated',
    'key_id', 0, 'key_mode', 'write', 'key_orgs', jsonb_build_array(:'org_a'), 'key_apps', '["com.ib.x"]'::jsonb)),
  ('a key of an unknown mode', jsonb_build_object('sub', tests.user_id('ib_owner'), 'role', 'authenticated',
    'key_id', 0, 'key_mode', 'bogus', 'key_orgs', '[]'::jsonb, 'key_apps', '[]'::jsonb));

select is_empty(format('select pg_temp.rights_disagreements(%L)', claims), 'caller_rights agrees with caller_right for ' || name)
from actors order by name;

-- Not vacuous: the rights themselves, for a key limited to app x (write on x, nothing elsewhere).
select set_config('request.jwt.claims', (select claims::text from actors where name = 'a key limited to app x'), true);
select results_eq(
  $$select app_id, caller_right::text from private.caller_rights(
      array[(select id from public.orgs where name = 'Batch org A'), (select id from public.orgs where name = 'Batch org A'),
        (select id from public.orgs where name = 'Batch org B')],
      array['com.ib.x', 'com.ib.y', 'com.ib.b'])$$,
  $$values ('com.ib.x', 'write'), ('com.ib.y', null), ('com.ib.b', null)$$,
  'a key limited to app x has write on app x only'
);
select set_config('request.jwt.claims', '', true);

-- Deleting an app takes its devices, and their active days, with it (there is no foreign key to cascade them).
select tests.authenticate_with_key('ib_owner', 'upload');
-- Each device active yesterday and today.
select edge_api.ingest_events((
  select jsonb_agg(jsonb_build_object('type', 'device.activity', 'app_id', app_id, 'device_id', device_id,
    'timestamp', now() - make_interval(days => days_ago)))
  from (values ('com.ib.x', 'shared-id'), ('com.ib.y', 'shared-id'), ('com.ib.y', 'only-y'), ('com.ib.b', 'in-org-b'))
    as devices (app_id, device_id),
    (values (1), (0)) as days (days_ago)
), null);
select tests.clear_authentication();
delete from public.apps where app_id = 'com.ib.x';
delete from public.orgs where name = 'Batch org B';
select results_eq($$select app_id, device_id from public.devices where app_id like 'com.ib.%' order by 1, 2$$,
  $$values ('com.ib.y', 'only-y'), ('com.ib.y', 'shared-id')$$, 'the devices of a deleted app, and of a deleted org''s apps, are gone; the others stay');
select results_eq($$select app_id, device_id, day - (now() at time zone 'UTC')::date from private.device_active_days
    where app_id like 'com.ib.%' order by 1, 2, 3$$,
  $$values ('com.ib.y', 'only-y', -1), ('com.ib.y', 'only-y', 0), ('com.ib.y', 'shared-id', -1), ('com.ib.y', 'shared-id', 0)$$,
  'the active days of the devices that stay are both days; those of a deleted app''s devices went with them');

-- MAU is kept as changes: two devices active yesterday and today add two from yesterday and take them back after
-- today + 29.
select results_eq(
  $$select day - (now() at time zone 'UTC')::date, mau_delta from public.app_daily_usage where app_id = 'com.ib.y' and mau_delta <> 0 order by day$$,
  $$values (-1, 2), (30, -2)$$,
  'two devices active yesterday and today: +2 yesterday, -2 in 30 days'
);
select results_eq(
  $$select app_id, device_id, first_active_day - (now() at time zone 'UTC')::date from public.devices
    where app_id = 'com.ib.y' order by device_id$$,
  $$values ('com.ib.y', 'only-y', -1), ('com.ib.y', 'shared-id', -1)$$,
  'a device''s first active day is kept on its registry row'
);

-- Only ingest writes a device's first active day, even for the app's owner.
select tests.authenticate_as('ib_owner');
select throws_ok($$update public.devices set first_active_day = current_date - 100 where app_id = 'com.ib.y'$$, '42501',
  'permission denied for table devices', 'no API role may change a device''s first active day');
select is((select count(*) from public.devices where app_id = 'com.ib.y' and custom_id = ''), 2::bigint,
  'the owner still reads the devices');
select lives_ok($$update public.devices set custom_id = 'renamed' where app_id = 'com.ib.y'$$,
  'the owner may still update a device''s other columns');
select tests.clear_authentication();

-- The monthly sums stay the sums of their days (here with a bundle's storage too).
insert into public.app_versions (app_id, owner_org, name, size) values ('com.ib.y', :'org_a', '1.0.0', 500);
create temporary view monthly_from_days as
select app_id, date_trunc('month', day::timestamp)::date as month, sum(mau_delta) as mau_delta,
  sum(storage_delta) as storage_delta
from public.app_daily_usage where app_id like 'com.ib.%' group by 1, 2
having sum(mau_delta) <> 0 or sum(storage_delta) <> 0;
create temporary view monthly_stored as
select app_id, month, mau_delta, storage_delta from public.app_monthly_changes
where app_id like 'com.ib.%' and (mau_delta <> 0 or storage_delta <> 0);
select set_eq('select * from monthly_stored', 'select * from monthly_from_days',
  'each month''s MAU and storage changes are the sums of its days');

select * from finish();
rollback;
