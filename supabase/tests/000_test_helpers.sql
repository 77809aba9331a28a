-- The project's pgTAP helpers: acting as a user, an API key or anon, and building fixtures.
-- Unlike the test files (each one rolls back), this file commits, so that the files after it can use the helpers;
-- it runs first (the runner, scripts/test.ts, takes the files in name order) and is idempotent. It never runs against
-- production. pgTAP itself is loaded into the schema extensions by the runner, from npm.
begin;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.create_user(p_handle text) returns uuid
language sql
set search_path = ''
as $$
  insert into auth.users (email, raw_user_meta_data) values (p_handle || '@test.local', jsonb_build_object('name', p_handle))
  on conflict (email) do update set email = excluded.email
  returning id
$$;
comment on function tests.create_user(text) is 'Creates (or finds) the user <handle>@test.local and returns its id.';

create or replace function tests.user_id(p_handle text) returns uuid
language sql stable
set search_path = ''
as $$ select id from auth.users where email = p_handle || '@test.local' $$;
comment on function tests.user_id(text) is 'Id of the test user <handle>@test.local.';

create or replace function tests.create_org(p_owner_handle text, p_name text default 'Test org') returns uuid
language plpgsql
set search_path = ''
as $$
declare
  new_org uuid;
begin
  insert into public.orgs (created_by, name, management_email)
  values (tests.user_id(p_owner_handle), p_name, p_owner_handle || '@test.local')
  returning id into new_org;
  insert into public.org_users (org_id, user_id, user_right)
  values (new_org, tests.user_id(p_owner_handle), 'super_admin');
  return new_org;
end
$$;
comment on function tests.create_org(text, text) is 'Creates an org owned (super_admin) by a test user; run before authenticating.';

create or replace function tests.add_member(p_org uuid, p_handle text, p_role public.user_min_right, p_app text default null)
returns void
language sql
set search_path = ''
as $$
  insert into public.org_users (org_id, user_id, user_right, app_id) values (p_org, tests.user_id(p_handle), p_role, p_app)
$$;
comment on function tests.add_member(uuid, text, public.user_min_right, text) is 'Adds a test user to an org with a role.';

create or replace function tests.authenticate_as(p_handle text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims',
    jsonb_build_object('sub', tests.user_id(p_handle), 'role', 'authenticated', 'email', p_handle || '@test.local')::text, true);
  perform set_config('role', 'authenticated', true);
end
$$;
comment on function tests.authenticate_as(text) is 'Acts, until the end of the transaction, as the signed-in test user.';

create or replace function tests.authenticate_with_key(p_handle text, p_mode public.key_mode, p_orgs uuid[] default '{}',
  p_apps text[] default '{}') returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', jsonb_build_object(
    'sub', tests.user_id(p_handle), 'role', 'authenticated', 'key_id', 0, 'key_mode', p_mode,
    'key_orgs', to_jsonb(p_orgs), 'key_apps', to_jsonb(p_apps))::text, true);
  perform set_config('role', 'authenticated', true);
end
$$;
comment on function tests.authenticate_with_key(text, public.key_mode, uuid[], text[]) is
  'Acts as the test user through an API key with this mode and these limits (the claims the functions set for a key).';

create or replace function tests.authenticate_as_anon() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role": "anon"}', true);
  perform set_config('role', 'anon', true);
end
$$;
comment on function tests.authenticate_as_anon() is 'Acts as an anonymous caller (no credential).';

create or replace function tests.clear_authentication() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '', true);
  reset role;
end
$$;
comment on function tests.clear_authentication() is 'Back to the session role (postgres), e.g. to build fixtures.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

select plan(1);
select has_function('tests', 'authenticate_as', array['text'], 'test helpers are installed');
select * from finish();
commit;
