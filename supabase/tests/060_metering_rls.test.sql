-- RLS matrix of the metering tables: raw events, idempotency ids, registries and rollups are read by members
-- (read and above) and written only by edge_api.ingest_events; spaces and workspaces may also be renamed or
-- re-flagged by write and above. Every actor x table x operation is one assertion.
begin;
select plan(504);

select tests.create_user(handle)
from unnest(array['m_super', 'm_admin', 'm_write', 'm_read', 'm_invited', 'm_outsider']) as handle;
select tests.create_org('m_super', 'Metering RLS org') as org \gset
select tests.add_member(:'org', 'm_admin', 'admin');
select tests.add_member(:'org', 'm_write', 'write');
select tests.add_member(:'org', 'm_read', 'read');
select tests.add_member(:'org', 'm_invited', 'invite_read');
insert into public.apps (app_id, owner_org, name) values ('com.rls.metered', :'org', 'Metered');
-- A limit the api.request below crosses, so that traffic_alerts has rows.
update public.orgs set monthly_traffic_limit = 10 where id = :'org';

select tests.authenticate_with_key('m_super', 'upload', array[:'org']::uuid[]);
select edge_api.ingest_events(jsonb_build_array(
  jsonb_build_object('type', 'device.activity', 'app_id', 'com.rls.metered', 'device_id', 'd1', 'id', 'once',
    'timestamp', now()),
  jsonb_build_object('type', 'device.activity', 'app_id', 'com.rls.metered', 'device_id', 'd1',
    'timestamp', now() - interval '1 day'),
  jsonb_build_object('type', 'bundle.download', 'app_id', 'com.rls.metered', 'device_id', 'd1', 'bytes', 10,
    'timestamp', now()),
  jsonb_build_object('type', 'api.request', 'space_id', 1, 'bytes', 10, 'timestamp', now()),
  jsonb_build_object('type', 'workspace.activity', 'workspace_id', 'w1', 'user_id', 'u1', 'kind', 'user',
    'timestamp', now())
));
select tests.clear_authentication();

create temporary table metered_tables (name text, first_column text, writable_by_write boolean) on commit drop;
insert into metered_tables values
  ('usage_events', 'event_type', false), ('usage_event_ids', 'client_id', false),
  ('app_daily_usage', 'mau_delta', false),
  ('app_monthly_changes', 'mau_delta', false), ('space_traffic', 'requests', false),
  ('org_traffic', 'requests', false), ('traffic_alerts', 'bytes', false),
  ('environment_users', 'org_domain', false), ('workspace_users', 'first_seen', false),
  ('workspace_user_months', 'user_days', false), ('environment_user_months', 'user_days', false),
  ('environment_registrations', 'registered', false), ('environment_daily_actives', 'actives', false),
  ('environment_monthly_actives', 'actives', false), ('workspace_registrations', 'registered', false),
  ('workspace_monthly_actives', 'actives', false),
  ('spaces', 'name', true), ('workspaces', 'name', true);
grant select on metered_tables to anon, authenticated;

-- Rows an UPDATE touched, as RLS lets it.
create function pg_temp.update_count(tbl text, col text) returns setof int language plpgsql as $$
begin
  return query execute format('with u as (update public.%I set %I = %I returning 1) select 1 from u', tbl, col, col);
end
$$;
-- Members with an accepted role see every row of their org, invited members and outsiders none; only write and
-- above may touch spaces and workspaces (renaming), and no one writes the rest.
create function pg_temp.checks(actor text, sees boolean, may_write boolean) returns setof text language sql as $$
  select case when sees then isnt_empty(format('select * from public.%I', name), actor || ' sees ' || name)
    else is_empty(format('select * from public.%I', name), actor || ' sees nothing of ' || name) end
  from metered_tables
  union all
  select throws_ok(format('insert into public.%I default values', name), '42501', null, actor || ' cannot insert into ' || name)
  from metered_tables
  union all
  select case when writable_by_write then
      is((select count(*) from pg_temp.update_count(name, first_column)), case when may_write then 1::bigint else 0 end,
        actor || case when may_write then ' may update ' else ' updates no row of ' end || name)
    else throws_ok(format('update public.%I set %I = %I', name, first_column, first_column), '42501', null,
      actor || ' cannot update ' || name) end
  from metered_tables
  union all
  select throws_ok(format('delete from public.%I', name), '42501', null, actor || ' cannot delete from ' || name)
  from metered_tables
$$;
grant execute on all functions in schema pg_temp to anon, authenticated;

select tests.authenticate_as('m_super');
select * from pg_temp.checks('super_admin', true, true);
select tests.clear_authentication();
select tests.authenticate_as('m_admin');
select * from pg_temp.checks('admin', true, true);
select tests.clear_authentication();
select tests.authenticate_as('m_write');
select * from pg_temp.checks('write member', true, true);
select tests.clear_authentication();
select tests.authenticate_as('m_read');
select * from pg_temp.checks('read member', true, false);
select tests.clear_authentication();
select tests.authenticate_as('m_invited');
select * from pg_temp.checks('invited member', false, false);
select tests.clear_authentication();
select tests.authenticate_as('m_outsider');
select * from pg_temp.checks('outsider', false, false);
select tests.clear_authentication();

select tests.authenticate_as_anon();
select throws_ok(format('select * from public.%I', name), '42501', null, 'anon cannot read ' || name) from metered_tables
union all
select throws_ok(format('insert into public.%I default values', name), '42501', null, 'anon cannot insert into ' || name)
from metered_tables
union all
select throws_ok(format('update public.%I set %I = %I', name, first_column, first_column), '42501', null,
  'anon cannot update ' || name) from metered_tables
union all
select throws_ok(format('delete from public.%I', name), '42501', null, 'anon cannot delete from ' || name)
from metered_tables;
select tests.clear_authentication();

select * from finish();
rollback;
