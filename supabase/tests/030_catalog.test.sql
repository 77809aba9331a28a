-- Catalog rules that hold for every table and function, so that a new one cannot forget them.
begin;
select plan(7);

select is_empty($$
  select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
  where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relrowsecurity
$$, 'every table in public and private has row-level security on');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private')
    and not exists (select 1 from unnest(p.proconfig) as setting where setting like 'search_path=%')
$$, 'every function in public and private sets search_path');

select is_empty($$
  select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p') and obj_description(c.oid, 'pg_class') is null
$$, 'every public table has a comment');

select is_empty($$
  select c.relname || '.' || a.attname from pg_class as c
  join pg_namespace as n on n.oid = c.relnamespace
  join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where n.nspname = 'public' and c.relkind in ('r', 'p') and col_description(c.oid, a.attnum) is null
$$, 'every column of every public table has a comment');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and obj_description(p.oid, 'pg_proc') is null
$$, 'every function in public and private has a comment');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and has_function_privilege('public', p.oid, 'execute')
$$, 'no function is executable by PUBLIC: every grant is explicit');

-- A new security definer function fails this test until it is reviewed and added here.
select results_eq($$
  select p.proname::text collate "default" from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private') and p.prosecdef order by 1
$$, $$values ('apikey_claims'), ('app_owner'), ('caller_key_reaches_org'), ('caller_right'), ('can_see_org'), ('ensure_usage_event_partition'),
  ('ingest_events'), ('keep_last_super_admin'), ('org_create'), ('org_member_accept'), ('org_member_delete'),
  ('org_member_invite'), ('org_members'), ('statistics_app'), ('statistics_org'), ('statistics_user'),
  ('track_bundle_storage')$$,
  'the security definer functions are exactly the reviewed ones');

select * from finish();
rollback;
