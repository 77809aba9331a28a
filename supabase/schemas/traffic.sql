-- API traffic of an organization's spaces: the spaces (created on their first api.request event) and their
-- requests and bytes per UTC day, written by public.ingest_events.

create table public.spaces (
  org_id uuid not null references public.orgs (id) on delete cascade,
  space_id text not null check (char_length(space_id) between 1 and 128),
  name text not null default '',
  created_at timestamptz not null default now(),
  primary key (org_id, space_id)
);
comment on table public.spaces is 'Spaces of an organization whose API traffic is metered; created on their first api.request event.';
comment on column public.spaces.org_id is 'Organization owning the space.';
comment on column public.spaces.space_id is 'Space id, unique in the organization.';
comment on column public.spaces.name is 'Display name.';
comment on column public.spaces.created_at is 'When the space was first seen.';

create table public.space_daily_traffic (
  org_id uuid not null,
  space_id text not null,
  day date not null,
  requests bigint not null default 0,
  bytes bigint,
  primary key (org_id, space_id, day),
  foreign key (org_id, space_id) references public.spaces (org_id, space_id) on delete cascade
);
comment on table public.space_daily_traffic is 'Per space and UTC day: API requests and bytes.';
comment on column public.space_daily_traffic.org_id is 'Organization.';
comment on column public.space_daily_traffic.space_id is 'Space.';
comment on column public.space_daily_traffic.day is 'UTC day.';
comment on column public.space_daily_traffic.requests is 'API requests.';
comment on column public.space_daily_traffic.bytes is 'Bytes served; null while no event of the day measured bytes.';

alter table public.spaces enable row level security;
alter table public.space_daily_traffic enable row level security;

create policy spaces_select on public.spaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy spaces_update on public.spaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy space_daily_traffic_select on public.space_daily_traffic for select to authenticated
  using ((select private.has_right(org_id, 'read')));

revoke all on public.spaces, public.space_daily_traffic from anon, authenticated;
grant select, update on public.spaces to authenticated;
grant select on public.space_daily_traffic to authenticated;

-- Reads run as the caller, so row-level security still applies.
create function private.space_daily_traffic(p_org_id uuid, p_space_id text, p_from date, p_to date)
returns table (day date, requests bigint, bytes bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  select d::date, coalesce(sum(t.requests), 0)::bigint, sum(t.bytes)::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join public.space_daily_traffic as t
    on t.org_id = p_org_id and (p_space_id is null or t.space_id = p_space_id) and t.day = d::date
  group by d
  order by d
$$;
comment on function private.space_daily_traffic(uuid, text, date, date) is
  'Per day: API requests and bytes of one space (or all spaces of the org when p_space_id is null); bytes null when unmeasured.';

revoke all on function private.space_daily_traffic(uuid, text, date, date) from public, anon, authenticated;
grant execute on function private.space_daily_traffic(uuid, text, date, date) to authenticated, service_role;
