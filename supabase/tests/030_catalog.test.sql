-- Catalog rules that must hold for every table and function, so that a new one cannot silently break them.
begin;
select plan(7);

-- private too: the daily partitions of public.usage_events are created there.
select is_empty($$
  select n.nspname || '.' || c.relname from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relrowsecurity
$$, 'every table in public (and private) has row-level security enabled');

-- A function without a fixed search_path resolves names through the caller's path (fatal for security definer).
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private')
    and not exists (select 1 from unnest(p.proconfig) as setting where setting like 'search\_path=%')
$$, 'every function in public and private sets search_path');

select is_empty($$
  select c.relname from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p') and obj_description(c.oid, 'pg_class') is null
$$, 'every table in public has a comment');

select is_empty($$
  select c.relname || '.' || a.attname from pg_catalog.pg_class as c
  join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where n.nspname = 'public' and c.relkind in ('r', 'p') and col_description(c.oid, a.attnum) is null
$$, 'every column of every table in public has a comment');

select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and obj_description(p.oid, 'pg_proc') is null
$$, 'every function in public and private has a comment');

-- A null proacl means the default privileges, which include EXECUTE for PUBLIC: count it as a grant to PUBLIC.
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private')
    and exists (
      select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as acl
      where acl.grantee = 0 and acl.privilege_type = 'EXECUTE'
    )
$$, 'no function in public or private is executable by PUBLIC: every grant is explicit');

-- The reviewed security definer functions. A new one makes this test fail until it is reviewed and added here.
select results_eq($$
  select (n.nspname::text || '.' || p.proname::text) collate "default"
  from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and p.prosecdef
  order by (n.nspname::text || '.' || p.proname::text) collate "C"
$$, array[
  'private.apikey_claims',                -- tenancy.sql
  'private.app_owner',                    -- tenancy.sql
  'private.caller_key_reaches_org',       -- tenancy.sql
  'private.caller_right',                 -- tenancy.sql
  'private.caller_rights',                -- tenancy.sql
  'private.can_see_org',                  -- tenancy.sql
  'private.delete_app_devices',           -- metering.sql
  'private.drop_raw_events_before',       -- metering.sql
  'private.ensure_usage_event_partition', -- metering.sql
  'private.has_app_right',                -- tenancy.sql
  'private.keep_last_super_admin',        -- tenancy.sql
  'private.package_owner',                -- packages.sql
  'private.remove_app_from_org',          -- org_rollups.sql
  'private.track_bundle_storage',         -- metering.sql
  'public.count_package_view',            -- packages.sql
  'public.environment_statistics',        -- environment_activity.sql
  'public.ingest_events',                 -- metering.sql
  'public.org_create',                    -- tenancy.sql
  'public.org_member_accept',             -- tenancy.sql
  'public.org_member_delete',             -- tenancy.sql
  'public.org_member_invite',             -- tenancy.sql
  'public.org_members',                   -- tenancy.sql
  'public.package_stats',                 -- packages.sql
  'public.put_workspace',                 -- environment_activity.sql
  'public.statistics_app',                -- statistics.sql
  'public.statistics_org',                -- statistics.sql
  'public.statistics_user',               -- statistics.sql
  'public.traffic_statistics'             -- traffic.sql
]::text[], 'the security definer functions in public and private are exactly the reviewed ones');

select * from finish();
rollback;
