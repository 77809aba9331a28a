-- Catalog rules that must hold for every table and function, so that a new one cannot silently break them.
begin;
select plan(10);

-- private too: the daily partitions of public.usage_events are created there.
select is_empty($$
  select n.nspname || '.' || c.relname from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  where n.nspname in ('public', 'private', 'edge_api') and c.relkind in ('r', 'p') and not c.relrowsecurity
$$, 'every table in public (and private) has row-level security enabled');

-- A function without a fixed search_path resolves names through the caller's path (fatal for security definer).
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private', 'edge_api')
    and not exists (select 1 from unnest(p.proconfig) as setting where setting like 'search\_path=%')
$$, 'every function in public, private and edge_api sets search_path');

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
  where n.nspname in ('public', 'private', 'edge_api') and obj_description(p.oid, 'pg_proc') is null
$$, 'every function in public, private and edge_api has a comment');

-- A null proacl means the default privileges, which include EXECUTE for PUBLIC: count it as a grant to PUBLIC.
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private', 'edge_api')
    and exists (
      select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as acl
      where acl.grantee = 0 and acl.privilege_type = 'EXECUTE'
    )
$$, 'no function in public, private or edge_api is executable by PUBLIC: every grant is explicit');

-- The reviewed security definer functions. A new one makes this test fail until it is reviewed and added here.
select results_eq($$
  select (n.nspname::text || '.' || p.proname::text) collate "default"
  from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private', 'edge_api') and p.prosecdef
  order by (n.nspname::text || '.' || p.proname::text) collate "C"
$$, array[
  'edge_api.count_package_view',          -- packages.sql
  'edge_api.environment_statistics',      -- environment_activity.sql
  'edge_api.ingest_events',               -- metering.sql
  'edge_api.org_create',                  -- tenancy.sql
  'edge_api.org_member_accept',           -- tenancy.sql
  'edge_api.org_member_delete',           -- tenancy.sql
  'edge_api.org_member_invite',           -- tenancy.sql
  'edge_api.org_members',                 -- tenancy.sql
  'edge_api.package_stats',               -- packages.sql
  'edge_api.put_workspace',               -- environment_activity.sql
  'edge_api.statistics_app',              -- statistics.sql
  'edge_api.statistics_org',              -- statistics.sql
  'edge_api.statistics_user',             -- statistics.sql
  'edge_api.traffic_statistics',          -- traffic.sql
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
  'private.track_bundle_storage'          -- metering.sql
]::text[], 'the security definer functions in public, private and edge_api are exactly the reviewed ones');

-- Hosted, PostgREST serves the exposed schemas (public, graphql_public): any function there that API roles may
-- execute is an RPC past the edge functions' validation, rate limits and error shapes. The API's functions live in
-- edge_api, which it does not serve.
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'graphql_public')
    and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
    and not exists (select 1 from pg_catalog.pg_depend as d where d.objid = p.oid and d.deptype = 'e')
$$, 'no function in an exposed schema is executable by anon or authenticated (security definer or not)');

-- A view runs as its owner unless it is security_invoker, which would read every table below its policies.
select is_empty($$
  select c.oid::regclass::text from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  where n.nspname in ('public', 'private', 'edge_api', 'graphql_public') and c.relkind in ('v', 'm')
    and not coalesce('security_invoker=true' = any (c.reloptions), false)
$$, 'every view is security_invoker (none bypasses row-level security)');

-- What anon may use at all: the two public package routes' functions. A new grant fails this until reviewed.
select results_eq($$
  select (kind || ' ' || name) collate "default" from (
    select 'execute' as kind, p.oid::regprocedure::text as name
    from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private', 'edge_api', 'graphql_public')
      and has_function_privilege('anon', p.oid, 'execute')
    union all
    select 'table', c.oid::regclass::text
    from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    where n.nspname in ('public', 'private', 'edge_api', 'graphql_public') and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and has_table_privilege('anon', c.oid, 'select, insert, update, delete, truncate, references, trigger')
    union all
    select 'sequence', c.oid::regclass::text
    from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    where n.nspname in ('public', 'private', 'edge_api', 'graphql_public')
      and case when c.relkind = 'S' then has_sequence_privilege('anon', c.oid, 'usage, select, update') end
  ) as grants
  order by (kind || ' ' || name) collate "C"
$$, array[
  'execute edge_api.count_package_view(text,bytea)',
  'execute edge_api.package_stats(text,text,timestamp with time zone,timestamp with time zone)'
]::text[], 'anon may execute the public package routes'' functions and nothing else');

select * from finish();
rollback;
