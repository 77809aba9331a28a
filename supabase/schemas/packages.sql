-- Package statistics (function v2): organizations publish packages in a public registry; every successful call of
-- the public package route counts one view per client, package and UTC day, and /v2/stats reads the per-day counts
-- binned by day, ISO week or month. History imported through POST /ingest (package.view events) adds to the same
-- per-day counts.
--
-- The registry and its view counts are public, but only through the routes: anonymous callers get no table
-- privileges and reach packages through two security definer functions that return public fields only. Members
-- read their organization's rows; only the counting and ingest functions write views; members with write manage
-- packages.

create table public.packages (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id) on delete cascade,
  identifier text not null check (
    char_length(identifier) <= 128
    and identifier ~ '^[^.[:space:][:cntrl:]\\/:*?"<>|]{1,32}(\.[^.[:space:][:cntrl:]\\/:*?"<>|]{1,32}){1,7}$'
  ),
  name text not null check (char_length(name) between 1 and 256),
  publisher text not null check (char_length(publisher) between 1 and 256),
  description text not null default '' check (char_length(description) <= 10000),
  homepage text not null default '' check (char_length(homepage) <= 2048),
  license text not null default '' check (char_length(license) <= 512),
  license_url text not null default '' check (char_length(license_url) <= 2048),
  tags text[] not null default '{}' check (pg_catalog.cardinality(tags) <= 100),
  versions text[] not null default '{}' check (pg_catalog.cardinality(versions) <= 1000),
  featured boolean not null default false,
  icon_url text check (char_length(icon_url) <= 2048),
  banner text check (char_length(banner) <= 2048),
  logo text check (char_length(logo) <= 2048),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index packages_identifier_key on public.packages (pg_catalog.lower(identifier));
create index packages_org_id_idx on public.packages (org_id);
comment on table public.packages is
  'The public package registry: one row per package, owned by an organization; looked up by its identifier in any letter case.';
comment on column public.packages.id is 'Internal key (never returned by the API).';
comment on column public.packages.org_id is 'Organization that publishes the package (never returned by the API).';
comment on column public.packages.identifier is
  'The package Id, Publisher.PackageName as first stored or last posted (unique in any letter case; the publisher part has no dot).';
comment on column public.packages.name is 'Display name (Latest.Name).';
comment on column public.packages.publisher is 'Display publisher (Latest.Publisher).';
comment on column public.packages.description is 'Latest.Description.';
comment on column public.packages.homepage is 'Latest.Homepage.';
comment on column public.packages.license is 'Latest.License.';
comment on column public.packages.license_url is 'Latest.LicenseUrl.';
comment on column public.packages.tags is 'Latest.Tags.';
comment on column public.packages.versions is 'Version strings, in the order posted.';
comment on column public.packages.featured is 'Whether the registry features the package.';
comment on column public.packages.icon_url is 'IconUrl; null when none (then left out of responses).';
comment on column public.packages.banner is 'Banner image URL; null when none.';
comment on column public.packages.logo is 'Logo image URL; null when none.';
comment on column public.packages.created_at is 'CreatedAt: when the package was created (or as imported).';
comment on column public.packages.updated_at is 'UpdatedAt: when the package was last posted (or as imported).';

create table public.package_daily_views (
  package_id bigint not null references public.packages (id) on delete cascade,
  day date not null,
  views bigint not null check (views > 0),
  primary key (package_id, day)
);
comment on table public.package_daily_views is
  'Views of each package per UTC day: calls of the package route (one per client and day) plus imported package.view events. Days without views have no row.';
comment on column public.package_daily_views.package_id is 'The package (public.packages.id).';
comment on column public.package_daily_views.day is 'UTC day.';
comment on column public.package_daily_views.views is 'Views counted that day.';

-- Who has been counted today: a keyed hash of each client (address and user agent), never the address itself.
-- Unlogged (a crash forgets at most who was counted today) and emptied of past days by the counting function.
create unlogged table private.package_view_clients (
  day date not null,
  package_id bigint not null references public.packages (id) on delete cascade,
  client bytea not null,
  primary key (day, package_id, client)
);
comment on table private.package_view_clients is
  'Per-day deduplication of package views: which clients (keyed hashes) were counted for which package on the current UTC day. Past days are deleted.';
comment on column private.package_view_clients.day is 'UTC day the view was counted.';
comment on column private.package_view_clients.package_id is 'The package.';
comment on column private.package_view_clients.client is 'HMAC of the client''s address and user agent under a server secret.';

alter table public.packages enable row level security;
alter table public.package_daily_views enable row level security;
alter table private.package_view_clients enable row level security;

create policy packages_select on public.packages for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy packages_insert on public.packages for insert to authenticated
  with check ((select private.has_right(org_id, 'write')));
create policy packages_update on public.packages for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy packages_delete on public.packages for delete to authenticated
  using ((select private.has_right(org_id, 'write')));
-- The packages the caller may read (under their own policy).
create policy package_daily_views_select on public.package_daily_views for select to authenticated
  using (package_id in (select p.id from public.packages as p));

revoke all on public.packages, public.package_daily_views, private.package_view_clients from public, anon, authenticated;
revoke all on sequence public.packages_id_seq from anon;
grant select, insert, update, delete on public.packages to authenticated;
grant select on public.package_daily_views to authenticated;

-- security definer: a package's owner, even when the caller may not read that organization, so that a write to an
-- identifier another organization holds is refused by name. Returns an org id only.
create function private.package_owner(p_identifier text) returns uuid
language sql stable
security definer
set search_path = ''
as $$
  select p.org_id from public.packages as p where pg_catalog.lower(p.identifier) = pg_catalog.lower(p_identifier)
$$;
comment on function private.package_owner(text) is 'The organization that owns the package with this identifier (any letter case), or null.';

revoke all on function private.package_owner(text) from public, anon, authenticated;
grant execute on function private.package_owner(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- Package documents

create function private.package_document(p_package public.packages) returns jsonb
language sql stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('Package', pg_catalog.jsonb_build_object(
    'Id', p_package.identifier,
    'Versions', pg_catalog.to_jsonb(p_package.versions),
    'Latest', pg_catalog.jsonb_build_object(
      'Name', p_package.name, 'Publisher', p_package.publisher, 'Tags', pg_catalog.to_jsonb(p_package.tags),
      'Description', p_package.description, 'Homepage', p_package.homepage, 'License', p_package.license,
      'LicenseUrl', p_package.license_url),
    'Featured', p_package.featured,
    'UpdatedAt', pg_catalog.to_char(p_package.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'CreatedAt', pg_catalog.to_char(p_package.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  ) || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'IconUrl', p_package.icon_url, 'Banner', p_package.banner, 'Logo', p_package.logo)))
$$;
comment on function private.package_document(public.packages) is
  'The package route''s body {"Package": {...}}: public fields only, IconUrl / Banner / Logo left out when unset, dates as JavaScript writes them.';

revoke all on function private.package_document(public.packages) from public, anon, authenticated;
grant execute on function private.package_document(public.packages) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- Management: runs as the caller, so the write policies decide

create function edge_api.put_package(p_org_id uuid, p_package jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  package_identifier text := p_package ->> 'Id';
  owner uuid;
  saved public.packages;
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'organization not found' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'write') then
    raise exception 'managing packages needs an API key of mode write on the organization' using errcode = 'PT403';
  end if;
  owner := private.package_owner(package_identifier);
  if owner is not null and owner <> p_org_id then
    raise exception 'package % belongs to another organization', package_identifier using errcode = 'PT409';
  end if;
  -- Fields left out of the body keep their stored value (or take their default on creation).
  insert into public.packages as p (org_id, identifier, name, publisher, description, homepage, license, license_url,
    tags, versions, featured, icon_url, banner, logo, created_at, updated_at)
  values (p_org_id, package_identifier, p_package ->> 'Name', p_package ->> 'Publisher',
    coalesce(p_package ->> 'Description', ''), coalesce(p_package ->> 'Homepage', ''),
    coalesce(p_package ->> 'License', ''), coalesce(p_package ->> 'LicenseUrl', ''),
    coalesce(array(select pg_catalog.jsonb_array_elements_text(p_package -> 'Tags')), '{}'),
    coalesce(array(select pg_catalog.jsonb_array_elements_text(p_package -> 'Versions')), '{}'),
    coalesce((p_package ->> 'Featured')::boolean, false),
    p_package ->> 'IconUrl', p_package ->> 'Banner', p_package ->> 'Logo',
    coalesce((p_package ->> 'CreatedAt')::timestamptz, pg_catalog.now()),
    coalesce((p_package ->> 'UpdatedAt')::timestamptz, pg_catalog.now()))
  on conflict ((pg_catalog.lower(identifier))) do update set
    identifier = excluded.identifier,
    name = excluded.name,
    publisher = excluded.publisher,
    description = case when p_package ? 'Description' then excluded.description else p.description end,
    homepage = case when p_package ? 'Homepage' then excluded.homepage else p.homepage end,
    license = case when p_package ? 'License' then excluded.license else p.license end,
    license_url = case when p_package ? 'LicenseUrl' then excluded.license_url else p.license_url end,
    tags = case when p_package ? 'Tags' then excluded.tags else p.tags end,
    versions = case when p_package ? 'Versions' then excluded.versions else p.versions end,
    featured = case when p_package ? 'Featured' then excluded.featured else p.featured end,
    icon_url = case when p_package ? 'IconUrl' then excluded.icon_url else p.icon_url end,
    banner = case when p_package ? 'Banner' then excluded.banner else p.banner end,
    logo = case when p_package ? 'Logo' then excluded.logo else p.logo end,
    created_at = case when p_package ? 'CreatedAt' then excluded.created_at else p.created_at end,
    updated_at = excluded.updated_at
  returning * into saved;
  return private.package_document(saved);
end
$$;
comment on function edge_api.put_package(uuid, jsonb) is
  'POST /v2/packages: creates or updates a package of the organization (fields left out keep their value); returns its document.';

create function edge_api.delete_package(p_identifier text) returns void
language plpgsql
set search_path = ''
as $$
declare
  owner uuid;
begin
  owner := private.package_owner(p_identifier);
  if owner is null then
    raise exception 'package not found' using errcode = 'PT404';
  end if;
  if not private.has_right(owner, 'write') then
    raise exception 'managing packages needs an API key of mode write on the organization' using errcode = 'PT403';
  end if;
  -- Its daily views and today's deduplication records go with it (foreign keys on delete cascade).
  delete from public.packages as p where pg_catalog.lower(p.identifier) = pg_catalog.lower(p_identifier);
end
$$;
comment on function edge_api.delete_package(text) is 'DELETE /v2/packages/:publisher/:name: deletes a package and its views.';

revoke all on function edge_api.put_package(uuid, jsonb), edge_api.delete_package(text) from public, anon, authenticated;
grant execute on function edge_api.put_package(uuid, jsonb), edge_api.delete_package(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- Counting and reading

-- security definer: anonymous callers may not write views or read the deduplication records; this writes exactly
-- one view of one existing package for one client per UTC day, and returns only the package's public document.
create function edge_api.count_package_view(p_identifier text, p_client bytea) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  viewed public.packages;
  today date := (pg_catalog.now() at time zone 'UTC')::date;
begin
  select * into viewed from public.packages as p where pg_catalog.lower(p.identifier) = pg_catalog.lower(p_identifier);
  if not found then
    return null;
  end if;
  -- Past days' records are forgotten by the first view of a new day (one caller at a time; the others go on).
  if exists (select 1 from private.package_view_clients where day < today)
    and pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('tally.package_view_clients')) then
    delete from private.package_view_clients where day < today;
  end if;
  insert into private.package_view_clients (day, package_id, client) values (today, viewed.id, p_client)
  on conflict do nothing;
  if found then
    insert into public.package_daily_views as v (package_id, day, views) values (viewed.id, today, 1)
    on conflict (package_id, day) do update set views = v.views + 1;
  end if;
  return private.package_document(viewed);
end
$$;
comment on function edge_api.count_package_view(text, bytea) is
  'GET /v2/packages/:publisher/:name: the package document (null when unknown), counting one view for the client (a keyed hash) unless it was counted today.';

revoke all on function edge_api.count_package_view(text, bytea) from public, anon, authenticated;
grant execute on function edge_api.count_package_view(text, bytea) to anon, authenticated, service_role;

-- security definer: anonymous callers have no table privileges; this returns one package's Id and its public view
-- counts. A plpgsql reader keeps its statements' plans for the session (a SQL function is planned on every call on
-- Postgres 15).
create function edge_api.package_stats(p_identifier text, p_resolution text, p_after timestamptz, p_before timestamptz)
returns json
language plpgsql stable
security definer
set search_path = ''
set jit = off
as $$
declare
  max_bins constant integer := 1000;
  unit text := case p_resolution when 'day' then 'day' when 'isoWeek' then 'week' when 'month' then 'month' end;
  bin interval := pg_catalog.make_interval(days => case unit when 'day' then 1 when 'week' then 7 else 0 end,
    months => case unit when 'month' then 1 else 0 end);
  found_package record;
  first_view date;
  span_start date;
  last_bin date;
  bins integer;
begin
  if unit is null then
    raise exception 'resolution must be one of day, isoWeek, month' using errcode = 'PT400';
  end if;
  if p_after > p_before then
    raise exception '''after'' must not be later than ''before''' using errcode = 'PT400';
  end if;
  select p.id, p.identifier into found_package
  from public.packages as p where pg_catalog.lower(p.identifier) = pg_catalog.lower(p_identifier);
  if not found then
    raise exception 'package not found' using errcode = 'PT404';
  end if;

  select min(v.day) into first_view from public.package_daily_views as v where v.package_id = found_package.id;
  last_bin := pg_catalog.date_trunc(unit, p_before at time zone 'UTC')::date;
  span_start := greatest(pg_catalog.date_trunc(unit, p_after at time zone 'UTC'), pg_catalog.date_trunc(unit, first_view::timestamp))::date;
  if first_view is null or span_start > last_bin then
    return pg_catalog.json_build_object('Id', found_package.identifier, 'Data', '[]'::json);
  end if;
  bins := case unit
    when 'day' then last_bin - span_start + 1
    when 'week' then (last_bin - span_start) / 7 + 1
    else (extract(year from last_bin) - extract(year from span_start))::integer * 12
      + (extract(month from last_bin) - extract(month from span_start))::integer + 1
  end;
  if bins > max_bins then
    raise exception 'a request may span at most % bins; this one spans % % bins from %: give a later ''after''',
      max_bins, bins, p_resolution, pg_catalog.to_char(span_start, 'YYYY-MM-DD') using errcode = 'PT400';
  end if;

  -- Bins are [first day, views] pairs, which v2 shapes into {Period, Value}: a JSON object and a to_char per bin
  -- would cost more here than reading the views. A day is its own bin: its rows need no grouping (a third of a
  -- 1,000-day read).
  return pg_catalog.json_build_object('Id', found_package.identifier, 'Data', coalesce((
    select pg_catalog.json_agg(pg_catalog.json_build_array(binned.period, binned.views) order by binned.period)
    from (
      select v.day as period, v.views
      from public.package_daily_views as v
      where unit = 'day' and v.package_id = found_package.id and v.day >= span_start and v.day <= last_bin
      union all
      select pg_catalog.date_trunc(unit, v.day::timestamp)::date, sum(v.views)::bigint
      from public.package_daily_views as v
      where unit <> 'day' and v.package_id = found_package.id and v.day >= span_start and v.day < last_bin + bin
      group by 1
    ) as binned
  ), '[]'::json));
end
$$;
comment on function edge_api.package_stats(text, text, timestamptz, timestamptz) is
  'GET /v2/stats: a package''s views binned by day, isoWeek (from Monday) or month (UTC), both ends rounded down to their bin and included, bins without views left out; at most 1000 bins from the later of p_after and the first view. Data is [first day of the bin, views] pairs.';

revoke all on function edge_api.package_stats(text, text, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function edge_api.package_stats(text, text, timestamptz, timestamptz) to anon, authenticated, service_role;
