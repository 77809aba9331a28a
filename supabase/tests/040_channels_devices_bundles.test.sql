-- Channels, devices and bundles: the RLS matrix of public.app_versions, public.channels and public.devices (every
-- actor x table x operation is one assertion), the rights the SQL API functions enforce, and storage following
-- bundle_create / bundle_delete.
begin;
select plan(120);
set local time zone 'UTC';

select tests.create_user(handle)
from unnest(array['c_super', 'c_admin', 'c_write', 'c_upload', 'c_read', 'c_invited', 'c_outsider']) as handle;
select tests.create_org('c_super', 'Channels RLS org') as org \gset
select tests.add_member(:'org', 'c_admin', 'admin');
select tests.add_member(:'org', 'c_write', 'write');
select tests.add_member(:'org', 'c_upload', 'upload');
select tests.add_member(:'org', 'c_read', 'read');
select tests.add_member(:'org', 'c_invited', 'invite_read');
insert into public.apps (app_id, owner_org, name)
values ('com.rls.cdb', :'org', 'Channels'), ('com.rls.storage', :'org', 'Storage');

-- Fixtures: one bundle, channel and device every actor updates; one bundle and channel per actor to delete.
insert into public.app_versions (app_id, owner_org, name, size)
select 'com.rls.cdb', :'org', name, 1
from unnest(array['1.0.0', 'del-super_admin', 'del-admin', 'del-write', 'del-upload', 'del-read', 'del-invited',
  'del-outsider']) as name;
insert into public.channels (app_id, name, version_id)
select 'com.rls.cdb', name, (select id from public.app_versions where name = '1.0.0')
from unnest(array['prod', 'del-super_admin', 'del-admin', 'del-write', 'del-upload', 'del-read', 'del-invited',
  'del-outsider']) as name;
insert into public.devices (app_id, device_id) values ('com.rls.cdb', 'd1');

-- Rows a statement changed, as RLS lets it (UPDATE / DELETE ... RETURNING).
create function pg_temp.affected(statement text) returns bigint language plpgsql as $$
declare
  changed bigint;
begin
  execute format('with changed as (%s returning 1) select count(*) from changed', statement) into changed;
  return changed;
end
$$;

-- One actor against the three tables. lvl: 0 = invited or outsider, 1 = read, 2 = upload, 3 = write, 4 = admin,
-- 5 = super_admin.
create function pg_temp.matrix(actor text, lvl integer, org uuid) returns setof text language plpgsql as $$
declare
  app constant text := 'com.rls.cdb';
  sql text;
begin
  -- app_versions: read sees, upload inserts, write updates, admin deletes.
  sql := format('select * from public.app_versions where app_id = %L', app);
  return next case when lvl >= 1 then isnt_empty(sql, actor || ' sees bundles')
    else is_empty(sql, actor || ' sees no bundle') end;
  sql := format('insert into public.app_versions (app_id, owner_org, name, size) values (%L, %L, %L, 1)',
    app, org, 'ins-' || actor);
  return next case when lvl >= 2 then lives_ok(sql, actor || ' may insert a bundle')
    else throws_ok(sql, '42501', null, actor || ' cannot insert a bundle') end;
  return next is(pg_temp.affected(format('update public.app_versions set checksum = %L where app_id = %L and name = %L',
    actor, app, '1.0.0')), case when lvl >= 3 then 1::bigint else 0::bigint end,
    actor || case when lvl >= 3 then ' may update' else ' updates no' end || ' bundle');
  return next is(pg_temp.affected(format('delete from public.app_versions where app_id = %L and name = %L',
    app, 'del-' || actor)), case when lvl >= 4 then 1::bigint else 0::bigint end,
    actor || case when lvl >= 4 then ' may delete' else ' deletes no' end || ' bundle');

  -- channels: read sees, write inserts, updates and deletes.
  sql := format('select * from public.channels where app_id = %L', app);
  return next case when lvl >= 1 then isnt_empty(sql, actor || ' sees channels')
    else is_empty(sql, actor || ' sees no channel') end;
  sql := format('insert into public.channels (app_id, name) values (%L, %L)', app, 'ins-' || actor);
  return next case when lvl >= 3 then lives_ok(sql, actor || ' may insert a channel')
    else throws_ok(sql, '42501', null, actor || ' cannot insert a channel') end;
  return next is(pg_temp.affected(format('update public.channels set allow_dev = false where app_id = %L and name = %L',
    app, 'prod')), case when lvl >= 3 then 1::bigint else 0::bigint end,
    actor || case when lvl >= 3 then ' may update' else ' updates no' end || ' channel');
  return next is(pg_temp.affected(format('delete from public.channels where app_id = %L and name = %L',
    app, 'del-' || actor)), case when lvl >= 3 then 1::bigint else 0::bigint end,
    actor || case when lvl >= 3 then ' may delete' else ' deletes no' end || ' channel');

  -- devices: read sees, write inserts and updates, nobody deletes.
  sql := format('select * from public.devices where app_id = %L', app);
  return next case when lvl >= 1 then isnt_empty(sql, actor || ' sees devices')
    else is_empty(sql, actor || ' sees no device') end;
  sql := format('insert into public.devices (app_id, device_id) values (%L, %L)', app, 'ins-' || actor);
  return next case when lvl >= 3 then lives_ok(sql, actor || ' may insert a device')
    else throws_ok(sql, '42501', null, actor || ' cannot insert a device') end;
  return next is(pg_temp.affected(format('update public.devices set custom_id = %L where app_id = %L and device_id = %L',
    actor, app, 'd1')), case when lvl >= 3 then 1::bigint else 0::bigint end,
    actor || case when lvl >= 3 then ' may update' else ' updates no' end || ' device');
  return next throws_ok(format('delete from public.devices where app_id = %L', app), '42501', null,
    actor || ' cannot delete devices');
end
$$;
grant execute on all functions in schema pg_temp to anon, authenticated;

-- 7 members x 12
select tests.authenticate_as('c_super');
select * from pg_temp.matrix('super_admin', 5, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_admin');
select * from pg_temp.matrix('admin', 4, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_write');
select * from pg_temp.matrix('write', 3, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_upload');
select * from pg_temp.matrix('upload', 2, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_read');
select * from pg_temp.matrix('read', 1, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_invited');
select * from pg_temp.matrix('invited', 0, :'org');
select tests.clear_authentication();
select tests.authenticate_as('c_outsider');
select * from pg_temp.matrix('outsider', 0, :'org');
select tests.clear_authentication();

-- What the matrix left: the rows deleted and inserted are exactly the allowed ones (5 checks).
select set_eq($$select name from public.app_versions where app_id = 'com.rls.cdb' and name like 'del-%'$$,
  array['del-write', 'del-upload', 'del-read', 'del-invited', 'del-outsider'], 'only admins deleted bundles');
select set_eq($$select name from public.app_versions where app_id = 'com.rls.cdb' and name like 'ins-%'$$,
  array['ins-super_admin', 'ins-admin', 'ins-write', 'ins-upload'], 'upload and above inserted bundles');
select set_eq($$select name from public.channels where app_id = 'com.rls.cdb' and name like 'del-%'$$,
  array['del-upload', 'del-read', 'del-invited', 'del-outsider'], 'write and above deleted channels');
select set_eq($$select device_id from public.devices where app_id = 'com.rls.cdb'$$,
  array['d1', 'ins-super_admin', 'ins-admin', 'ins-write'], 'write and above inserted devices');
select is((select custom_id from public.devices where device_id = 'd1'), 'write', 'the last device update was write''s');

-- anon: 3 tables x 4 operations (12 checks)
select tests.authenticate_as_anon();
select throws_ok(format('select * from public.%I', t), '42501', null, 'anon cannot read ' || t)
from unnest(array['app_versions', 'channels', 'devices']) as t
union all
select throws_ok(format('insert into public.%I default values', t), '42501', null, 'anon cannot insert into ' || t)
from unnest(array['app_versions', 'channels', 'devices']) as t
union all
select throws_ok(format('update public.%I set app_id = app_id', t), '42501', null, 'anon cannot update ' || t)
from unnest(array['app_versions', 'channels', 'devices']) as t
union all
select throws_ok(format('delete from public.%I', t), '42501', null, 'anon cannot delete from ' || t)
from unnest(array['app_versions', 'channels', 'devices']) as t;
select tests.clear_authentication();

-- A key caps the role: the super_admin's read key cannot insert, its upload key cannot update (2 checks).
select tests.authenticate_with_key('c_super', 'read', array[:'org']::uuid[]);
select throws_ok($$insert into public.app_versions (app_id, owner_org, name) values ('com.rls.cdb', '$$ || :'org' ||
  $$', 'key-read')$$, '42501', null, 'a read key cannot insert a bundle');
select tests.clear_authentication();
select tests.authenticate_with_key('c_super', 'upload', array[:'org']::uuid[]);
select is(pg_temp.affected($$update public.channels set ios = false where app_id = 'com.rls.cdb'$$), 0::bigint,
  'an upload key updates no channel');
select tests.clear_authentication();

-- The SQL API: 404 when the app is not visible, 403 when the role is too low (12 checks).
select tests.authenticate_as('c_outsider');
select throws_ok($$select edge_api.channel_get('com.rls.cdb')$$, 'PT404', 'App not found', 'outsider: channel_get 404');
select throws_ok($$select edge_api.device_get('com.rls.cdb')$$, 'PT404', 'App not found', 'outsider: device_get 404');
select throws_ok($$select edge_api.bundle_create('com.rls.cdb', '9.0.0', 1)$$, 'PT404', 'App not found',
  'outsider: bundle_create 404');
select tests.clear_authentication();
select tests.authenticate_as('c_invited');
select throws_ok($$select edge_api.bundle_get('com.rls.cdb')$$, 'PT404', 'App not found', 'invited: bundle_get 404');
select tests.clear_authentication();
select tests.authenticate_as('c_read');
select throws_ok($$select edge_api.bundle_create('com.rls.cdb', '9.0.0', 1)$$, 'PT403',
  'Registering a bundle requires the upload role', 'read: bundle_create 403');
select throws_ok($$select edge_api.channel_upsert('com.rls.cdb', 'prod', p_ios => false)$$, 'PT403',
  'Changing channels requires the write role', 'read: channel_upsert 403');
select throws_ok($$select edge_api.device_link('com.rls.cdb', 'd1', p_channel => 'prod')$$, 'PT403',
  'Linking devices requires the write role', 'read: device_link 403');
select is(edge_api.channel_get('com.rls.cdb', 'prod') ->> 'name', 'prod', 'read: channel_get');
select tests.clear_authentication();
select tests.authenticate_as('c_upload');
select is(edge_api.bundle_create('com.rls.cdb', '9.0.0', 1) ->> 'name', '9.0.0', 'upload: bundle_create');
select throws_ok($$select edge_api.bundle_delete('com.rls.cdb', '9.0.0')$$, 'PT403',
  'Deleting bundles requires the write role', 'upload: bundle_delete 403');
select throws_ok($$select edge_api.device_unlink('com.rls.cdb', 'd1')$$, 'PT403',
  'Unlinking devices requires the write role', 'upload: device_unlink 403');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select edge_api.bundle_get('com.rls.cdb')$$, '42501', null, 'anon cannot call bundle_get');
select tests.clear_authentication();

-- Storage follows bundle_create and bundle_delete the same day (5 checks).
select tests.authenticate_as('c_write');
select is((edge_api.bundle_create('com.rls.storage', '1.0.0', 100) ->> 'size')::bigint, 100::bigint, 'bundle of 100 bytes');
select is((edge_api.bundle_create('com.rls.storage', '1.0.1', 50) ->> 'size')::bigint, 50::bigint, 'bundle of 50 bytes');
select is((select storage from private.app_daily_stats(array['com.rls.storage'], current_date, current_date)),
  150::bigint, 'storage 150 with both bundles live');
select is(edge_api.bundle_delete('com.rls.storage', '1.0.0'), '{"status": "ok"}'::jsonb, 'bundle_delete of the 100-byte bundle');
select is((select storage from private.app_daily_stats(array['com.rls.storage'], current_date, current_date)),
  50::bigint, 'storage 50 once the 100-byte bundle is deleted the same day');
select tests.clear_authentication();

select * from finish();
rollback;
