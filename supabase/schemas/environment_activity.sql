-- Environment activity: the workspaces and users of an organization (registered on their first
-- workspace.activity event), the distinct active users per workspace, kind and period, their counts (also per
-- email domain), and registrations per day; written by public.ingest_events through
-- private.ingest_workspace_activity. Development and public workspaces are left out of organization-wide counts.

create type public.activity_kind as enum ('user', 'developer');
comment on type public.activity_kind is 'Whether an environment-activity user acts as a user or as a developer.';
create type public.activity_period as enum ('day', 'week', 'month');
comment on type public.activity_period is 'Period of a distinct-actives count: UTC day, ISO week (from Monday) or calendar month.';

create table public.workspaces (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null check (char_length(workspace_id) between 1 and 128),
  name text not null default '',
  is_development boolean not null default false,
  is_public boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (org_id, workspace_id)
);
comment on table public.workspaces is
  'Workspaces of an organization; created on their first workspace.activity event. Development and public workspaces are left out of organization-wide counts.';
comment on column public.workspaces.org_id is 'Organization owning the workspace.';
comment on column public.workspaces.workspace_id is 'Workspace id, unique in the organization.';
comment on column public.workspaces.name is 'Display name.';
comment on column public.workspaces.is_development is 'A development workspace: not counted organization-wide.';
comment on column public.workspaces.is_public is 'A public workspace: not counted organization-wide.';
comment on column public.workspaces.created_at is 'When the workspace was first seen.';

create table public.activity_users (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id text not null check (char_length(user_id) between 1 and 128),
  kind public.activity_kind not null,
  org_domain text not null default '',
  first_seen date not null,
  primary key (org_id, user_id, kind)
);
comment on table public.activity_users is 'The organization''s registry of environment users and developers, filled on first sight.';
comment on column public.activity_users.org_id is 'Organization.';
comment on column public.activity_users.user_id is 'User id as sent in workspace.activity events.';
comment on column public.activity_users.kind is 'user or developer (one user may be both).';
comment on column public.activity_users.org_domain is 'Email domain given at first sight; empty when unknown.';
comment on column public.activity_users.first_seen is 'UTC day of the first event: registered from that day on.';

create table public.activity_period_members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  kind public.activity_kind not null,
  period public.activity_period not null,
  period_start date not null,
  user_id text not null,
  primary key (org_id, workspace_id, kind, period, period_start, user_id)
);
comment on table public.activity_period_members is
  'Distinct active users per workspace (workspace_id = '''' for the organization''s counted workspaces), kind and period.';
comment on column public.activity_period_members.org_id is 'Organization.';
comment on column public.activity_period_members.workspace_id is 'Workspace, or '''' for the organization-wide set.';
comment on column public.activity_period_members.kind is 'user or developer.';
comment on column public.activity_period_members.period is 'day, week or month.';
comment on column public.activity_period_members.period_start is 'First day of the period (ISO weeks start on Monday).';
comment on column public.activity_period_members.user_id is 'Active user.';

create table public.activity_period_counts (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  kind public.activity_kind not null,
  period public.activity_period not null,
  period_start date not null,
  org_domain text not null,
  actives integer not null default 0,
  primary key (org_id, workspace_id, kind, period, period_start, org_domain)
);
comment on table public.activity_period_counts is
  'Counts of activity_period_members, also per email domain (org_domain = '''' counts every domain).';
comment on column public.activity_period_counts.org_id is 'Organization.';
comment on column public.activity_period_counts.workspace_id is 'Workspace, or '''' for the organization-wide count.';
comment on column public.activity_period_counts.kind is 'user or developer.';
comment on column public.activity_period_counts.period is 'day, week or month.';
comment on column public.activity_period_counts.period_start is 'First day of the period.';
comment on column public.activity_period_counts.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.activity_period_counts.actives is 'Distinct active users.';

create table public.activity_registrations (
  org_id uuid not null references public.orgs (id) on delete cascade,
  kind public.activity_kind not null,
  org_domain text not null,
  day date not null,
  registered integer not null default 0,
  primary key (org_id, kind, org_domain, day)
);
comment on table public.activity_registrations is 'Users first seen per UTC day (registered as of D = running sum).';
comment on column public.activity_registrations.org_id is 'Organization.';
comment on column public.activity_registrations.kind is 'user or developer.';
comment on column public.activity_registrations.org_domain is 'Email domain, or '''' for all.';
comment on column public.activity_registrations.day is 'UTC day.';
comment on column public.activity_registrations.registered is 'Users first seen that day.';

alter table public.workspaces enable row level security;
alter table public.activity_users enable row level security;
alter table public.activity_period_members enable row level security;
alter table public.activity_period_counts enable row level security;
alter table public.activity_registrations enable row level security;

create policy workspaces_select on public.workspaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspaces_update on public.workspaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy activity_users_select on public.activity_users for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_period_members_select on public.activity_period_members for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_period_counts_select on public.activity_period_counts for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy activity_registrations_select on public.activity_registrations for select to authenticated
  using ((select private.has_right(org_id, 'read')));

revoke all on public.workspaces, public.activity_users, public.activity_period_members, public.activity_period_counts,
  public.activity_registrations from anon, authenticated;
grant select, update on public.workspaces to authenticated;
grant select on public.activity_users, public.activity_period_members, public.activity_period_counts,
  public.activity_registrations to authenticated;

create function private.period_start(p_period public.activity_period, p_day date) returns date
language plpgsql immutable
set search_path = ''
as $$
begin
  return (select case p_period
      when 'day' then p_day
      when 'week' then pg_catalog.date_trunc('week', p_day::timestamp)::date
      when 'month' then pg_catalog.date_trunc('month', p_day::timestamp)::date
    end);
end
$$;
comment on function private.period_start(public.activity_period, date) is 'First day of the day / ISO week / month containing p_day.';

-- Called by ingest_events only (it reads that function's temporary batch table); not granted to API roles.
create function private.ingest_workspace_activity() returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.workspaces (org_id, workspace_id)
  select distinct org_id, subject from pg_temp.ingest_batch where event_type = 'workspace.activity' order by 1, 2
  on conflict do nothing;

  with firsts as (
    select distinct on (org_id, payload ->> 'user_id', (payload ->> 'kind'))
      org_id, payload ->> 'user_id' as user_id, (payload ->> 'kind')::public.activity_kind as kind,
      coalesce(payload ->> 'org_domain', '') as org_domain, day
    from pg_temp.ingest_batch where event_type = 'workspace.activity'
    order by org_id, payload ->> 'user_id', (payload ->> 'kind'), occurred_at
  ),
  registered as (
    insert into public.activity_users as r (org_id, user_id, kind, org_domain, first_seen)
    select org_id, user_id, kind, org_domain, day from firsts order by org_id, user_id, kind
    on conflict (org_id, user_id, kind) do nothing
    returning org_id, kind, org_domain, first_seen
  )
  insert into public.activity_registrations as ar (org_id, kind, org_domain, day, registered)
  select org_id, kind, domain, first_seen, count(*)
  from registered, lateral (select '' as domain union all select org_domain where org_domain <> '') as domains
  group by org_id, kind, domain, first_seen
  order by org_id, kind, domain, first_seen
  on conflict (org_id, kind, org_domain, day) do update set registered = ar.registered + excluded.registered;

  -- Domains come from the registry, which now holds every user of the batch.
  with activity as (
    select distinct b.org_id, b.subject as workspace_id, (b.payload ->> 'kind')::public.activity_kind as kind,
      b.payload ->> 'user_id' as user_id, b.day,
      not (w.is_development or w.is_public) as counted
    from pg_temp.ingest_batch as b
    join public.workspaces as w on w.org_id = b.org_id and w.workspace_id = b.subject
    where b.event_type = 'workspace.activity'
  ),
  memberships as (
    select distinct a.org_id, scope.workspace_id, a.kind, p.period, private.period_start(p.period, a.day) as period_start,
      a.user_id
    from activity as a
    cross join lateral (select a.workspace_id union all select '' where a.counted) as scope (workspace_id)
    cross join pg_catalog.unnest(enum_range(null::public.activity_period)) as p (period)
  ),
  fresh as (
    insert into public.activity_period_members (org_id, workspace_id, kind, period, period_start, user_id)
    select * from memberships order by 1, 2, 3, 4, 5, 6
    on conflict do nothing
    returning *
  )
  insert into public.activity_period_counts as c (org_id, workspace_id, kind, period, period_start, org_domain, actives)
  select f.org_id, f.workspace_id, f.kind, f.period, f.period_start, domain, count(*)
  from fresh as f
  join public.activity_users as u on u.org_id = f.org_id and u.user_id = f.user_id and u.kind = f.kind,
    lateral (select '' as domain union all select u.org_domain where u.org_domain <> '') as domains
  group by 1, 2, 3, 4, 5, 6
  order by 1, 2, 3, 4, 5, 6
  on conflict (org_id, workspace_id, kind, period, period_start, org_domain) do update set actives = c.actives + excluded.actives;
end
$$;
comment on function private.ingest_workspace_activity() is
  'Part of ingest_events: workspace.activity events of the batch into the user registry, distinct sets and counts.';

-- Reads run as the caller, so row-level security still applies.
create function private.activity_actives(p_org_id uuid, p_workspace_id text, p_kind public.activity_kind,
  p_period public.activity_period, p_from date, p_to date, p_org_domain text default '')
returns table (period_start date, actives bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  select s::date, coalesce(c.actives, 0)::bigint
  from pg_catalog.generate_series(
    private.period_start(p_period, p_from)::timestamp, p_to::timestamp,
    case p_period when 'day' then interval '1 day' when 'week' then interval '1 week' else interval '1 month' end
  ) as s
  left join public.activity_period_counts as c
    on c.org_id = p_org_id and c.workspace_id = p_workspace_id and c.kind = p_kind and c.period = p_period
    and c.period_start = s::date and c.org_domain = p_org_domain
  order by s
$$;
comment on function private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text) is
  'Distinct active users (or developers) per day, ISO week or month overlapping [p_from, p_to], for a workspace or '''' (the org''s counted workspaces), optionally one email domain.';

create function private.activity_registered(p_org_id uuid, p_kind public.activity_kind, p_from date, p_to date,
  p_org_domain text default '')
returns table (day date, registered bigint)
language sql stable
set search_path = ''
set jit = off
as $$
  with before_range as (
    select coalesce(sum(r.registered), 0) as total from public.activity_registrations as r
    where r.org_id = p_org_id and r.kind = p_kind and r.org_domain = p_org_domain and r.day < p_from
  )
  select d::date,
    ((select total from before_range) + sum(coalesce(r.registered, 0)) over (order by d))::bigint
  from pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  left join public.activity_registrations as r
    on r.org_id = p_org_id and r.kind = p_kind and r.org_domain = p_org_domain and r.day = d::date
  order by d
$$;
comment on function private.activity_registered(uuid, public.activity_kind, date, date, text) is
  'Users (or developers) registered as of the end of each day.';

revoke all on function private.period_start(public.activity_period, date), private.ingest_workspace_activity(),
  private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text),
  private.activity_registered(uuid, public.activity_kind, date, date, text)
  from public, anon, authenticated;
grant execute on function private.period_start(public.activity_period, date),
  private.activity_actives(uuid, text, public.activity_kind, public.activity_period, date, date, text),
  private.activity_registered(uuid, public.activity_kind, date, date, text)
  to authenticated, service_role;
