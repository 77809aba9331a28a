-- Tenancy: organizations, members and roles, API keys, apps, and who the caller is.
-- Row-level security decides every access. Functions raise SQLSTATE 'PTnnn' (PostgREST's convention) for an HTTP
-- status nnn; the edge functions map those, and standard codes, to the documented error shape.

create schema if not exists private;
comment on schema private is 'Helpers for row-level security and internal machinery; not exposed through the API.';
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Hosted, PostgREST serves every function of an exposed schema (public) at /rest/v1/rpc/<name> to any signed-in
-- user: the edge functions' entry points live here instead, so that they are reached only through the functions'
-- validation, rate limits and error shapes. Never add this schema to the API's exposed schemas.
create schema if not exists edge_api;
comment on schema edge_api is
  'The SQL functions the edge functions call, one per route: not exposed through PostgREST, so reached only through the edge functions.';
revoke all on schema edge_api from public;
grant usage on schema edge_api to anon, authenticated, service_role;

create type public.user_min_right as enum (
  'invite_read', 'invite_upload', 'invite_write', 'invite_admin', 'invite_super_admin',
  'read', 'upload', 'write', 'admin', 'super_admin'
);
comment on type public.user_min_right is
  'Ordered member roles. invite_* are pending invitations and grant nothing until accepted.';

create type public.key_mode as enum ('read', 'upload', 'write', 'all');
comment on type public.key_mode is 'Ordered API key modes; a key never grants more than its owner''s role.';

-- ---------------------------------------------------------------------------------------------------------------
-- Tables

create table public.orgs (
  id uuid primary key default gen_random_uuid(),
  created_by uuid not null references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  logo text,
  name text not null check (char_length(name) between 1 and 128),
  management_email text not null check (char_length(management_email) between 3 and 320),
  customer_id text,
  -- At most (2^53 - 1) / 12, so that the yearly limit (12 times it) reads exactly in JSON clients.
  monthly_traffic_limit bigint check (monthly_traffic_limit between 1 and 750599937895082)
);
comment on table public.orgs is 'Organizations: the tenants that own apps, spaces, workspaces and their statistics.';
comment on column public.orgs.id is 'Organization id.';
comment on column public.orgs.created_by is 'User who created the organization (its first super_admin).';
comment on column public.orgs.created_at is 'When the organization was created.';
comment on column public.orgs.updated_at is 'When the organization was last changed.';
comment on column public.orgs.logo is 'URL of the organization logo, if any.';
comment on column public.orgs.name is 'Display name.';
comment on column public.orgs.management_email is 'Contact address for billing and administration.';
comment on column public.orgs.customer_id is 'Billing customer id; null until billing is set up.';
comment on column public.orgs.monthly_traffic_limit is 'API traffic allowed per UTC month in bytes (alerts at 80% and 100%); null: no limit.';

create table public.apps (
  app_id text primary key check (app_id ~ '^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$' and char_length(app_id) <= 128),
  owner_org uuid not null references public.orgs (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 128),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index apps_owner_org_idx on public.apps (owner_org);
comment on table public.apps is 'Apps, identified by a globally unique reverse-domain id, each owned by one organization.';
comment on column public.apps.app_id is 'Globally unique app id such as com.demo.app.';
comment on column public.apps.owner_org is 'Organization that owns the app and its data.';
comment on column public.apps.name is 'Display name.';
comment on column public.apps.created_at is 'When the app was created.';
comment on column public.apps.updated_at is 'When the app was last changed.';

create table public.org_users (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  app_id text references public.apps (app_id) on delete cascade,
  user_right public.user_min_right not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, user_id)
);
create index org_users_user_id_idx on public.org_users (user_id);
comment on table public.org_users is 'Organization membership: one role per user and organization, optionally scoped to one app.';
comment on column public.org_users.id is 'Membership id.';
comment on column public.org_users.org_id is 'Organization.';
comment on column public.org_users.user_id is 'Member (auth.users).';
comment on column public.org_users.app_id is 'When set, the role applies to this app only, not to the whole organization.';
comment on column public.org_users.user_right is 'Role; invite_* until the invitation is accepted.';
comment on column public.org_users.created_at is 'When the member was invited or added.';
comment on column public.org_users.updated_at is 'When the membership last changed.';

create table public.apikeys (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  key_hash text not null unique,
  key_prefix text not null,
  name text not null default '' check (char_length(name) <= 128),
  mode public.key_mode not null,
  limited_to_orgs uuid[] not null default '{}',
  limited_to_apps text[] not null default '{}',
  expires_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index apikeys_user_id_idx on public.apikeys (user_id);
comment on table public.apikeys is 'API keys. Only a SHA-256 hash of the secret is stored; the secret is shown once, at creation.';
comment on column public.apikeys.id is 'Key id, used to delete it.';
comment on column public.apikeys.user_id is 'Owner; the key acts as this user, never with more than the owner''s role.';
comment on column public.apikeys.key_hash is 'Hex SHA-256 of the secret.';
comment on column public.apikeys.key_prefix is 'First characters of the secret, to recognise the key in lists.';
comment on column public.apikeys.name is 'Free label.';
comment on column public.apikeys.mode is 'Ceiling on what the key may do: read < upload < write < all.';
comment on column public.apikeys.limited_to_orgs is 'When not empty, the key reaches only these organizations.';
comment on column public.apikeys.limited_to_apps is 'When not empty, the key reaches only these apps (and nothing org-wide).';
comment on column public.apikeys.expires_at is 'After this instant the key is refused; null = never expires.';
comment on column public.apikeys.last_used_at is 'Last successful authentication with the key (at most once a minute is recorded).';
comment on column public.apikeys.created_at is 'When the key was created.';
comment on column public.apikeys.updated_at is 'When the key was last changed.';

-- ---------------------------------------------------------------------------------------------------------------
-- Small helpers

create function private.iso_utc(ts timestamptz) returns text
language plpgsql immutable
set search_path = ''
as $$
begin
  return pg_catalog.to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
end
$$;
comment on function private.iso_utc(timestamptz) is 'ISO 8601 UTC text of a timestamp, independent of the session time zone.';

create function private.accepted_role(r public.user_min_right) returns public.user_min_right
language plpgsql immutable
set search_path = ''
as $$
begin
  return pg_catalog.replace(r::text, 'invite_', '')::public.user_min_right;
end
$$;
comment on function private.accepted_role(public.user_min_right) is 'The role an invitation turns into once accepted.';

create function private.touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'Trigger: keeps updated_at current.';

create trigger orgs_touch before update on public.orgs for each row execute function private.touch_updated_at();
create trigger apps_touch before update on public.apps for each row execute function private.touch_updated_at();
create trigger org_users_touch before update on public.org_users for each row execute function private.touch_updated_at();
-- last_used_at is bookkeeping, not a change of the key.
create trigger apikeys_touch before update of name, mode, limited_to_orgs, limited_to_apps, expires_at on public.apikeys
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------------------------------
-- Who is calling: request.jwt.claims carries the user as sub and, for an API key, key_id / key_mode / key_orgs /
-- key_apps. A signed-in user (no key_id) has the full rights of their roles.

create function private.caller_key_ceiling() returns public.user_min_right
language plpgsql stable
set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
begin
  -- Expressions only, no query: plpgsql evaluates them without starting the executor (see caller_key_allows).
  return case
      when claims ->> 'key_id' is null then 'super_admin'
      else case claims ->> 'key_mode'
        when 'read' then 'read'
        when 'upload' then 'upload'
        when 'write' then 'write'
        when 'all' then 'super_admin'
      end
    end::public.user_min_right;
end
$$;
comment on function private.caller_key_ceiling() is
  'Highest role the calling credential allows: the key mode as a role, or super_admin for a signed-in user.';

create function private.caller_key_allows(p_org uuid, p_app text) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
  key_orgs jsonb := coalesce(claims -> 'key_orgs', '[]');
  key_apps jsonb := coalesce(claims -> 'key_apps', '[]');
begin
  -- Expressions only, no query: plpgsql evaluates them without starting the executor, about 2.5 µs a call instead of 9
  -- (ingest checks every app of a batch).
  return claims ->> 'key_id' is null
    or (
      (pg_catalog.jsonb_array_length(key_orgs) = 0 or key_orgs ? p_org::text)
      and (pg_catalog.jsonb_array_length(key_apps) = 0 or (p_app is not null and key_apps ? p_app))
    );
end
$$;
comment on function private.caller_key_allows(uuid, text) is
  'Whether the calling key''s organization and app limits reach this org (and app; null = org-wide). True for a signed-in user.';

-- security definer: reads org_users without its own policies, which call this function (no recursion); it only
-- ever reports the rights of the caller (auth.uid()).
create function private.caller_right(p_org uuid, p_app text default null) returns public.user_min_right
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return (select least(m.user_right, private.caller_key_ceiling())
    from public.org_users as m
    where m.org_id = p_org
      and m.user_id = (select auth.uid())
      and m.user_right >= 'read'
      and (m.app_id is null or m.app_id = p_app)
      and private.caller_key_allows(p_org, p_app)
      -- An unknown key mode has no ceiling: no right at all (least() would ignore the null).
      and private.caller_key_ceiling() is not null);
end
$$;
comment on function private.caller_right(uuid, text) is
  'Effective role of the caller in an org (and app): the lesser of the member role and the key mode, null when none.';

create function private.has_right(p_org uuid, p_min public.user_min_right, p_app text default null) returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return coalesce(private.caller_right(p_org, p_app) >= p_min, false);
end
$$;
comment on function private.has_right(uuid, public.user_min_right, text) is
  'Whether the caller has at least role p_min in the org (for app p_app when given).';

-- security definer: reads apps below their policies, for the caller's key only.
create function private.caller_key_reaches_org(p_org uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.caller_key_allows(p_org, null)
    or exists (
      select 1 from public.apps as a
      where a.owner_org = p_org and private.caller_key_allows(p_org, a.app_id)
    );
end
$$;
comment on function private.caller_key_reaches_org(uuid) is
  'Whether the calling key''s limits reach the organization or one of its apps (always, for a signed-in user).';

-- security definer: like caller_right, it reads org_users for the caller only, below their policies.
create function private.can_see_org(p_org uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return exists (
      select 1 from public.org_users as m
      where m.org_id = p_org and m.user_id = (select auth.uid()) and m.user_right >= 'read'
    )
    and private.caller_key_reaches_org(p_org);
end
$$;
comment on function private.can_see_org(uuid) is
  'Whether the organization is visible to the caller: an accepted member whose key reaches it or one of its apps.';

create function private.caller_may_manage_key(p_orgs uuid[], p_apps text[]) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
  key_orgs jsonb := coalesce(claims -> 'key_orgs', '[]');
  key_apps jsonb := coalesce(claims -> 'key_apps', '[]');
begin
  -- Expressions only, as caller_key_allows: a JSON array contains the limits (@>) where a query would unnest it.
  return case
      when claims ->> 'key_id' is null then true
      when claims ->> 'key_mode' <> 'all' then false
      else
        (pg_catalog.jsonb_array_length(key_orgs) = 0
          or (pg_catalog.cardinality(p_orgs) > 0 and key_orgs @> pg_catalog.to_jsonb(p_orgs)))
        and (pg_catalog.jsonb_array_length(key_apps) = 0
          or (pg_catalog.cardinality(p_apps) > 0 and key_apps @> pg_catalog.to_jsonb(p_apps)))
    end;
end
$$;
comment on function private.caller_may_manage_key(uuid[], text[]) is
  'Whether the caller may see or manage a key with these limits: a signed-in user, or a key of mode all whose own limits contain them.';

-- security definer: reads apps below their policy. Not granted to API roles (it would tell anyone which org owns
-- any app id); has_app_right and the security definer functions use it.
create function private.app_owner(p_app text) returns uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return (select owner_org from public.apps where app_id = p_app);
end
$$;
comment on function private.app_owner(text) is 'Organization owning an app (null when there is none).';

-- security definer: to call app_owner, which API roles may not; it answers only about the caller's own right.
create function private.has_app_right(p_app text, p_min public.user_min_right) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.has_right(private.app_owner(p_app), p_min, p_app);
end
$$;
comment on function private.has_app_right(text, public.user_min_right) is 'Whether the caller has at least role p_min on the app.';

create function private.is_app_of_org(p_app text, p_org uuid) returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return exists (select 1 from public.apps where app_id = p_app and owner_org = p_org);
end
$$;
comment on function private.is_app_of_org(text, uuid) is
  'Whether the app, as visible to the caller, belongs to the organization (keeps denormalised owner_org honest).';

-- security definer: like private.caller_right, whose rule it applies to many subjects at once, it reads org_users
-- for the caller only, below their policies.
create function private.caller_rights(p_orgs uuid[], p_apps text[])
returns table (org_id uuid, app_id text, caller_right public.user_min_right)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  ceiling public.user_min_right := private.caller_key_ceiling();
begin
  return query
  select s.org_id, s.app_id, case when ceiling is not null and private.caller_key_allows(s.org_id, s.app_id) then (
      select least(m.user_right, ceiling)
      from public.org_users as m
      where m.org_id = s.org_id and m.user_id = caller and m.user_right >= 'read'
        and (m.app_id is null or m.app_id = s.app_id)
    ) end
  from rows from (pg_catalog.unnest(p_orgs), pg_catalog.unnest(p_apps)) as s (org_id, app_id);
end
$$;
comment on function private.caller_rights(uuid[], text[]) is
  'private.caller_right of each (p_orgs[i], p_apps[i]) pair: one query for a whole ingest batch.';

-- ---------------------------------------------------------------------------------------------------------------
-- Row-level security

alter table public.orgs enable row level security;
alter table public.apps enable row level security;
alter table public.org_users enable row level security;
alter table public.apikeys enable row level security;

create policy orgs_select on public.orgs for select to authenticated
  using ((select private.can_see_org(id)));
create policy orgs_update on public.orgs for update to authenticated
  using ((select private.has_right(id, 'admin'))) with check ((select private.has_right(id, 'admin')));
create policy orgs_delete on public.orgs for delete to authenticated
  using ((select private.has_right(id, 'super_admin')));
-- No insert policy: organizations are created by edge_api.org_create, which also makes the creator super_admin.

create policy apps_select on public.apps for select to authenticated
  using ((select private.has_right(owner_org, 'read', app_id)));
create policy apps_insert on public.apps for insert to authenticated
  with check ((select private.has_right(owner_org, 'write', app_id)));
create policy apps_update on public.apps for update to authenticated
  using ((select private.has_right(owner_org, 'write', app_id)))
  with check ((select private.has_right(owner_org, 'write', app_id)));
create policy apps_delete on public.apps for delete to authenticated
  using ((select private.has_right(owner_org, 'admin', app_id)));

-- Your own membership (an invitation included) is visible wherever your key reaches.
create policy org_users_select on public.org_users for select to authenticated
  using (
    (user_id = (select auth.uid()) and (select private.caller_key_reaches_org(org_id)))
    or (select private.has_right(org_id, 'read'))
  );
create policy org_users_insert on public.org_users for insert to authenticated
  with check (
    (select private.has_right(org_id, 'admin'))
    and private.accepted_role(user_right) <= (select private.caller_right(org_id))
  );
create policy org_users_update on public.org_users for update to authenticated
  using (
    (select private.has_right(org_id, 'admin'))
    and private.accepted_role(user_right) <= (select private.caller_right(org_id))
  )
  with check (
    (select private.has_right(org_id, 'admin'))
    and private.accepted_role(user_right) <= (select private.caller_right(org_id))
  );
-- Leaving (or declining an invitation) is a write: it needs a key of mode write or above that reaches the org.
create policy org_users_delete on public.org_users for delete to authenticated
  using (
    (
      user_id = (select auth.uid())
      and (select private.caller_key_reaches_org(org_id))
      and (select private.caller_key_ceiling()) >= 'write'
    )
    or (
      (select private.has_right(org_id, 'admin'))
      and private.accepted_role(user_right) <= (select private.caller_right(org_id))
    )
  );

create policy apikeys_select on public.apikeys for select to authenticated
  using (user_id = (select auth.uid()) and (select private.caller_may_manage_key(limited_to_orgs, limited_to_apps)));
create policy apikeys_insert on public.apikeys for insert to authenticated
  with check (user_id = (select auth.uid()) and (select private.caller_may_manage_key(limited_to_orgs, limited_to_apps)));
create policy apikeys_update on public.apikeys for update to authenticated
  using (user_id = (select auth.uid()) and (select private.caller_may_manage_key(limited_to_orgs, limited_to_apps)))
  with check (user_id = (select auth.uid()) and (select private.caller_may_manage_key(limited_to_orgs, limited_to_apps)));
create policy apikeys_delete on public.apikeys for delete to authenticated
  using (user_id = (select auth.uid()) and (select private.caller_may_manage_key(limited_to_orgs, limited_to_apps)));

-- An organization keeps at least one super_admin.
-- security definer: must count every super_admin of the org, including rows the caller's policies hide.
create function private.keep_last_super_admin() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.user_right <> 'super_admin'
    or (tg_op = 'UPDATE' and new.user_right = 'super_admin' and new.org_id = old.org_id) then
    return coalesce(new, old);
  end if;
  -- The org itself (or the user) is being deleted: nothing to protect.
  if not exists (select 1 from public.orgs where id = old.org_id)
    or not exists (select 1 from auth.users where id = old.user_id) then
    return coalesce(new, old);
  end if;
  if not exists (
    select 1 from public.org_users
    where org_id = old.org_id and user_right = 'super_admin' and id <> old.id
  ) then
    raise exception 'Cannot remove the last super_admin of an organization' using errcode = 'PT409';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.keep_last_super_admin() is 'Trigger: refuses to remove or demote an organization''s last super_admin.';
create trigger org_users_keep_last_super_admin before update or delete on public.org_users
  for each row execute function private.keep_last_super_admin();

-- ---------------------------------------------------------------------------------------------------------------
-- JSON shapes of the documented interfaces

create function private.org_json(o public.orgs) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'id', o.id, 'created_by', o.created_by, 'created_at', private.iso_utc(o.created_at),
      'updated_at', private.iso_utc(o.updated_at), 'logo', o.logo, 'name', o.name,
      'management_email', o.management_email, 'customer_id', o.customer_id,
      'monthly_traffic_limit', o.monthly_traffic_limit
    ));
end
$$;
comment on function private.org_json(public.orgs) is 'An organization as the API''s Organization object.';

create function private.app_json(a public.apps) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'app_id', a.app_id, 'owner_org', a.owner_org, 'name', a.name,
      'created_at', private.iso_utc(a.created_at), 'updated_at', private.iso_utc(a.updated_at)
    ));
end
$$;
comment on function private.app_json(public.apps) is 'An app as the API returns it.';

create function private.apikey_json(k public.apikeys) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return (select pg_catalog.jsonb_build_object(
      'id', k.id, 'key', k.key_prefix, 'mode', k.mode, 'name', k.name, 'user_id', k.user_id,
      'limited_to_orgs', pg_catalog.to_jsonb(k.limited_to_orgs), 'limited_to_apps', pg_catalog.to_jsonb(k.limited_to_apps),
      'expires_at', private.iso_utc(k.expires_at), 'last_used_at', private.iso_utc(k.last_used_at),
      'created_at', private.iso_utc(k.created_at), 'updated_at', private.iso_utc(k.updated_at)
    ));
end
$$;
comment on function private.apikey_json(public.apikeys) is 'An API key as listed: the display prefix in key, never the secret.';

-- ---------------------------------------------------------------------------------------------------------------
-- Authentication of API keys

create function private.secret_hash(p_secret text) returns text
language plpgsql immutable
set search_path = ''
as $$
begin
  return pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_secret, 'UTF8')), 'hex');
end
$$;
comment on function private.secret_hash(text) is 'Hex SHA-256 of an API key secret: what apikeys.key_hash stores.';

-- security definer: runs before any caller is known, so it must read apikeys below their policies. It returns
-- only the claims of the key whose secret was presented. Granted to service_role only.
create function private.apikey_claims(p_secret text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  found_key public.apikeys;
begin
  select * into found_key from public.apikeys
  where key_hash = private.secret_hash(p_secret) and (expires_at is null or expires_at > pg_catalog.now());
  if not found then
    return null;
  end if;
  update public.apikeys set last_used_at = pg_catalog.now()
  where id = found_key.id and (last_used_at is null or last_used_at < pg_catalog.now() - interval '1 minute');
  return pg_catalog.jsonb_build_object(
    'sub', found_key.user_id, 'role', 'authenticated', 'key_id', found_key.id, 'key_mode', found_key.mode,
    'key_orgs', pg_catalog.to_jsonb(found_key.limited_to_orgs), 'key_apps', pg_catalog.to_jsonb(found_key.limited_to_apps)
  );
end
$$;
comment on function private.apikey_claims(text) is
  'Resolves an API key secret to the request.jwt.claims it acts with, or null when unknown or expired.';

-- ---------------------------------------------------------------------------------------------------------------
-- API: organizations and members

create function edge_api.org_get(p_org_id uuid default null, p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  if p_org_id is null then
    select coalesce(pg_catalog.jsonb_agg(private.org_json(page_orgs) order by page_orgs.created_at, page_orgs.id), '[]')
    into result
    from (select * from public.orgs order by created_at, id limit 50 offset 50 * p_page) as page_orgs;
    return result;
  end if;
  select private.org_json(o) into result from public.orgs as o where o.id = p_org_id;
  if result is null then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  return result;
end
$$;
comment on function edge_api.org_get(uuid, integer) is
  'GET /organization: the organizations visible to the caller, 50 per page (oldest first), or one of them.';

-- security definer: the creator is not a member yet, so neither the org nor the membership row could pass RLS.
-- It checks the caller itself: a signed-in user, or an unrestricted key of mode write or all.
create function edge_api.org_create(p_name text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  claims jsonb := coalesce((select auth.jwt()), '{}');
  creator_email text;
  new_org_id uuid;
begin
  if caller is null then
    raise exception 'Invalid API key' using errcode = 'PT401';
  end if;
  if claims ->> 'key_id' is not null and (
    claims ->> 'key_mode' not in ('write', 'all')
    or pg_catalog.jsonb_array_length(coalesce(claims -> 'key_orgs', '[]')) > 0
    or pg_catalog.jsonb_array_length(coalesce(claims -> 'key_apps', '[]')) > 0
  ) then
    raise exception 'Creating an organization needs a key of mode write or all without org or app limits'
      using errcode = 'PT403';
  end if;
  select email into creator_email from auth.users where id = caller;
  insert into public.orgs (created_by, name, management_email)
  values (caller, p_name, coalesce(creator_email, 'unknown@invalid'))
  returning id into new_org_id;
  insert into public.org_users (org_id, user_id, user_right) values (new_org_id, caller, 'super_admin');
  return pg_catalog.jsonb_build_object('status', 'Organization created', 'id', new_org_id);
end
$$;
comment on function edge_api.org_create(text) is 'PUT /organization: creates an organization; the caller becomes its super_admin.';

-- p_limits holds the limits to change, {"monthly_traffic_limit": n or null (none)}: a key left out is unchanged.
create function edge_api.org_update(p_org_id uuid, p_name text default null, p_logo text default null,
  p_management_email text default null, p_limits jsonb default null) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  updated public.orgs;
begin
  update public.orgs
  set name = coalesce(p_name, name), logo = coalesce(p_logo, logo),
    management_email = coalesce(p_management_email, management_email),
    monthly_traffic_limit = case
      when coalesce(p_limits ? 'monthly_traffic_limit', false) then (p_limits ->> 'monthly_traffic_limit')::bigint
      else monthly_traffic_limit
    end
  where id = p_org_id
  returning * into updated;
  if not found then
    if private.can_see_org(p_org_id) then
      raise exception 'Updating an organization requires the admin role' using errcode = 'PT403';
    end if;
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('status', 'Organization updated', 'data', private.org_json(updated));
end
$$;
comment on function edge_api.org_update(uuid, text, text, text, jsonb) is
  'POST /organization: updates name, logo, management email or monthly traffic limit (JSON null: none) (admin and above).';

-- security definer: member emails live in auth.users, which API roles cannot read. Checks the caller's read
-- right in the org first.
create function edge_api.org_members(p_org_id uuid) returns jsonb
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
  if not private.has_right(p_org_id, 'read') then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
      'uid', u.id, 'email', u.email,
      'image_url', coalesce(u.raw_user_meta_data ->> 'avatar_url', ''),
      'role', m.user_right, 'app_id', m.app_id
    ) order by m.created_at, m.id), '[]')
  into result
  from public.org_users as m join auth.users as u on u.id = m.user_id
  where m.org_id = p_org_id;
  return result;
end
$$;
comment on function edge_api.org_members(uuid) is 'GET /organization/members: the members and pending invitations of an organization.';

-- security definer: finds the invited user by email in auth.users. Checks that the caller is admin in the org and
-- does not grant more than its own role.
create function edge_api.org_member_invite(p_org_id uuid, p_email text, p_role public.user_min_right,
  p_app_id text default null) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  invited uuid;
  role_granted public.user_min_right := private.accepted_role(p_role);
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'admin') or role_granted > private.caller_right(p_org_id) then
    raise exception 'Inviting a member requires the admin role, and a role no higher than your own'
      using errcode = 'PT403';
  end if;
  if p_app_id is not null and not exists (select 1 from public.apps where app_id = p_app_id and owner_org = p_org_id) then
    raise exception 'App not found' using errcode = 'PT404';
  end if;
  select id into invited from auth.users where lower(email) = lower(p_email);
  if invited is null then
    raise exception 'User not found' using errcode = 'PT404';
  end if;
  insert into public.org_users (org_id, user_id, app_id, user_right)
  values (p_org_id, invited, p_app_id, ('invite_' || role_granted::text)::public.user_min_right)
  on conflict (org_id, user_id) do nothing;
  if not found then
    raise exception 'User is already a member of this organization' using errcode = 'PT409';
  end if;
  return pg_catalog.jsonb_build_object('status', 'OK');
end
$$;
comment on function edge_api.org_member_invite(uuid, text, public.user_min_right, text) is
  'POST /organization/members: invites an existing user; the role is stored as its invite_ variant until accepted.';

-- security definer: the pending invitation grants no right to update it under RLS; only the caller's own row moves.
create function edge_api.org_member_accept(p_org_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.caller_key_allows(p_org_id, null) then
    raise exception 'Invitation not found' using errcode = 'PT404';
  end if;
  if not coalesce(private.caller_key_ceiling() >= 'write', false) then
    raise exception 'Accepting an invitation needs a key of mode write or above' using errcode = 'PT403';
  end if;
  update public.org_users set user_right = private.accepted_role(user_right)
  where org_id = p_org_id and user_id = (select auth.uid()) and user_right < 'read';
  if not found then
    raise exception 'Invitation not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('status', 'OK');
end
$$;
comment on function edge_api.org_member_accept(uuid) is 'POST /organization/members/accept: the invited user accepts an invitation.';

-- security definer: resolves the email through auth.users. Checks that the caller is admin and outranks (or equals)
-- the member, or is removing itself.
create function edge_api.org_member_delete(p_org_id uuid, p_email text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.org_users;
begin
  select m.* into target from public.org_users as m join auth.users as u on u.id = m.user_id
  where m.org_id = p_org_id and lower(u.email) = lower(p_email);
  -- Yourself (a pending invitation included) wherever your key reaches; others only as a member of the org.
  if target.user_id = (select auth.uid()) and private.caller_key_reaches_org(p_org_id) then
    if not coalesce(private.caller_key_ceiling() >= 'write', false) then
      raise exception 'Leaving an organization needs a key of mode write or above' using errcode = 'PT403';
    end if;
    delete from public.org_users where id = target.id;
    return pg_catalog.jsonb_build_object('status', 'OK');
  end if;
  if not private.has_right(p_org_id, 'read') then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  if target.id is null then
    raise exception 'Member not found' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'admin')
    or private.accepted_role(target.user_right) > private.caller_right(p_org_id) then
    raise exception 'Removing a member requires the admin role, and a role at least as high as theirs'
      using errcode = 'PT403';
  end if;
  delete from public.org_users where id = target.id;
  return pg_catalog.jsonb_build_object('status', 'OK');
end
$$;
comment on function edge_api.org_member_delete(uuid, text) is
  'DELETE /organization/members: removes a member or invitation; the last super_admin stays.';

-- ---------------------------------------------------------------------------------------------------------------
-- API: keys

create function edge_api.apikey_list(p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  if (select auth.jwt()) ->> 'key_id' is not null and (select auth.jwt()) ->> 'key_mode' <> 'all' then
    raise exception 'Managing API keys needs a key of mode all' using errcode = 'PT403';
  end if;
  select coalesce(pg_catalog.jsonb_agg(private.apikey_json(page_keys) order by page_keys.id), '[]') into result
  from (select * from public.apikeys order by id limit 50 offset 50 * p_page) as page_keys;
  return result;
end
$$;
comment on function edge_api.apikey_list(integer) is 'GET /apikey: the caller''s keys, 50 per page (display prefix only).';

create function edge_api.apikey_create(p_mode public.key_mode, p_org_id uuid default null, p_name text default '',
  p_limited_to_orgs uuid[] default '{}', p_limited_to_apps text[] default '{}', p_expires_at timestamptz default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  secret text;
  orgs uuid[] := array(select distinct unnest(p_limited_to_orgs || case when p_org_id is null then '{}'::uuid[] else array[p_org_id] end));
  apps text[] := array(select distinct unnest(p_limited_to_apps));
  missing text;
  created public.apikeys;
begin
  if (select auth.jwt()) ->> 'key_id' is not null and (select auth.jwt()) ->> 'key_mode' <> 'all' then
    raise exception 'Managing API keys needs a key of mode all' using errcode = 'PT403';
  end if;
  select o::text into missing from unnest(orgs) as o where not private.can_see_org(o) limit 1;
  if missing is not null then
    raise exception 'Organization not found: %', missing using errcode = 'PT404';
  end if;
  select a into missing from unnest(apps) as a
  where not exists (select 1 from public.apps where app_id = a) limit 1;
  if missing is not null then
    raise exception 'App not found: %', missing using errcode = 'PT404';
  end if;
  if p_expires_at is not null and p_expires_at <= pg_catalog.now() then
    raise exception 'expires_at must be in the future' using errcode = 'PT400';
  end if;
  if not private.caller_may_manage_key(orgs, apps) then
    raise exception 'A key can only create keys within its own org and app limits' using errcode = 'PT403';
  end if;
  secret := 'tally_' || pg_catalog.translate(pg_catalog.encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  insert into public.apikeys (user_id, key_hash, key_prefix, name, mode, limited_to_orgs, limited_to_apps, expires_at)
  values ((select auth.uid()), private.secret_hash(secret), left(secret, 12), coalesce(p_name, ''), p_mode, orgs, apps,
    p_expires_at)
  returning * into created;
  return pg_catalog.jsonb_build_object('apikey', private.apikey_json(created) || pg_catalog.jsonb_build_object('key', secret));
end
$$;
comment on function edge_api.apikey_create(public.key_mode, uuid, text, uuid[], text[], timestamptz) is
  'POST /apikey: creates a key (limited to p_org_id when given) and returns its secret, the only time it is shown.';

create function edge_api.apikey_delete(p_id bigint) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  if (select auth.jwt()) ->> 'key_id' is not null and (select auth.jwt()) ->> 'key_mode' <> 'all' then
    raise exception 'Managing API keys needs a key of mode all' using errcode = 'PT403';
  end if;
  delete from public.apikeys where id = p_id;
  if not found then
    raise exception 'API key not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('success', true);
end
$$;
comment on function edge_api.apikey_delete(bigint) is 'DELETE /apikey/:id: deletes one of the caller''s keys; it stops working at once.';

-- ---------------------------------------------------------------------------------------------------------------
-- API: apps

create function edge_api.app_get(p_app_id text default null, p_page integer default 0) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  if p_app_id is null then
    select coalesce(pg_catalog.jsonb_agg(private.app_json(page_apps) order by page_apps.app_id), '[]') into result
    from (select * from public.apps order by app_id limit 50 offset 50 * p_page) as page_apps;
    return result;
  end if;
  select private.app_json(a) into result from public.apps as a where a.app_id = p_app_id;
  if result is null then
    raise exception 'App not found' using errcode = 'PT404';
  end if;
  return result;
end
$$;
comment on function edge_api.app_get(text, integer) is 'GET /app: the caller''s apps, 50 per page, or one by app_id.';

create function edge_api.app_create(p_org_id uuid, p_app_id text, p_name text) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  created public.apps;
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'Organization not found' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'write', p_app_id) then
    raise exception 'Creating an app requires the write role' using errcode = 'PT403';
  end if;
  insert into public.apps (app_id, owner_org, name) values (p_app_id, p_org_id, p_name) returning * into created;
  return private.app_json(created);
exception
  when unique_violation then
    raise exception 'App % already exists', p_app_id using errcode = 'PT409';
end
$$;
comment on function edge_api.app_create(uuid, text, text) is 'POST /app: creates an app in an organization (write and above).';

create function edge_api.app_delete(p_app_id text) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  owner uuid;
begin
  delete from public.apps where app_id = p_app_id returning owner_org into owner;
  if not found then
    if exists (select 1 from public.apps where app_id = p_app_id) then
      raise exception 'Deleting an app requires the admin role' using errcode = 'PT403';
    end if;
    raise exception 'App not found' using errcode = 'PT404';
  end if;
  return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function edge_api.app_delete(text) is 'DELETE /app: deletes an app and all its data (admin and above).';

-- ---------------------------------------------------------------------------------------------------------------
-- Grants: nothing runs for public by default; API roles get exactly what they call.

revoke all on all functions in schema private from public, anon, authenticated;
grant execute on function
  private.iso_utc(timestamptz), private.accepted_role(public.user_min_right), private.caller_key_ceiling(),
  private.caller_key_allows(uuid, text), private.caller_right(uuid, text), private.has_right(uuid, public.user_min_right, text),
  private.caller_key_reaches_org(uuid), private.can_see_org(uuid), private.caller_may_manage_key(uuid[], text[]),
  private.has_app_right(text, public.user_min_right), private.is_app_of_org(text, uuid), private.org_json(public.orgs),
  private.app_json(public.apps), private.apikey_json(public.apikeys), private.secret_hash(text)
  to authenticated, service_role;
grant execute on function private.apikey_claims(text) to service_role;

revoke all on function
  edge_api.org_get(uuid, integer), edge_api.org_create(text), edge_api.org_update(uuid, text, text, text, jsonb), edge_api.org_members(uuid),
  edge_api.org_member_invite(uuid, text, public.user_min_right, text), edge_api.org_member_accept(uuid),
  edge_api.org_member_delete(uuid, text), edge_api.apikey_list(integer),
  edge_api.apikey_create(public.key_mode, uuid, text, uuid[], text[], timestamptz), edge_api.apikey_delete(bigint),
  edge_api.app_get(text, integer), edge_api.app_create(uuid, text, text), edge_api.app_delete(text)
  from public, anon;
grant execute on function
  edge_api.org_get(uuid, integer), edge_api.org_create(text), edge_api.org_update(uuid, text, text, text, jsonb), edge_api.org_members(uuid),
  edge_api.org_member_invite(uuid, text, public.user_min_right, text), edge_api.org_member_accept(uuid),
  edge_api.org_member_delete(uuid, text), edge_api.apikey_list(integer),
  edge_api.apikey_create(public.key_mode, uuid, text, uuid[], text[], timestamptz), edge_api.apikey_delete(bigint),
  edge_api.app_get(text, integer), edge_api.app_create(uuid, text, text), edge_api.app_delete(text)
  to authenticated, service_role;

revoke all on public.orgs, public.apps, public.org_users, public.apikeys from anon;
revoke all on sequence public.org_users_id_seq, public.apikeys_id_seq from anon;
grant select, insert, delete on public.orgs, public.apps, public.org_users, public.apikeys to authenticated;
-- Only what the API lets people change: not billing (customer_id), authorship, ownership or key hashes.
grant update (name, logo, management_email, monthly_traffic_limit) on public.orgs to authenticated;
grant update (name) on public.apps to authenticated;
grant update (user_right, app_id) on public.org_users to authenticated;
grant update (name, mode, limited_to_orgs, limited_to_apps, expires_at) on public.apikeys to authenticated;
grant all on public.orgs, public.apps, public.org_users, public.apikeys to service_role;
