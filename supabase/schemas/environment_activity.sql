-- Environment activity (GET /api/statistics/): the workspaces and users of an organization, each user's active days
-- per workspace and month as bitmaps, and the exact rollups the statistics read: registrations per day and distinct
-- actives per day and month, organization-wide (per audience) and per workspace, each also per email domain.
-- Written by edge_api.ingest_events through private.ingest_workspace_activity; a change of a workspace's kind
-- recounts the organization-wide rollups of its whole history (private.recount_workspace_history).
--
-- Audiences: 'users' count kind-user activity in ordinary workspaces (neither development nor public); 'developers'
-- count kind-developer activity in ordinary and development workspaces. Registrations ignore workspace kinds: a user
-- is registered from the earliest event received for them (any kind, any workspace), a developer from their earliest
-- developer event, a workspace's user from their earliest event in it.
--
-- Day bitmaps: bit n (0-30) of a month's integer is day n + 1 of that month.
--
-- Bookkeeping columns (previous_*, added_*): an upsert writes, next to the new value, what it changed, so that
-- RETURNING tells the rollups exactly what moved even when concurrent batches touch the same rows (Postgres 15
-- cannot return the old row). They mean nothing between ingests.

create type public.activity_kind as enum ('user', 'developer');
comment on type public.activity_kind is 'Whether an environment-activity event is a user''s or a developer''s.';
create type public.activity_audience as enum ('users', 'developers');
comment on type public.activity_audience is
  'Who an organization-wide figure counts: users (kind user, ordinary workspaces) or developers (kind developer, ordinary and development workspaces).';

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
  'Workspaces of an organization; created on their first workspace.activity event or by PUT /api/workspaces/:id. Development and public workspaces are left out of the organization-wide user counts.';
comment on column public.workspaces.org_id is 'Organization owning the workspace.';
comment on column public.workspaces.workspace_id is 'Workspace id, unique in the organization.';
comment on column public.workspaces.name is 'Display name.';
comment on column public.workspaces.is_development is 'A development workspace: counted for developers only.';
comment on column public.workspaces.is_public is 'A public workspace: not counted organization-wide.';
comment on column public.workspaces.created_at is 'When the workspace was first seen.';

create table public.environment_users (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id text not null check (char_length(user_id) between 1 and 128),
  org_domain text not null default '',
  first_seen date not null,
  first_seen_as_developer date,
  previous_org_domain text,
  previous_first_seen date,
  previous_first_seen_as_developer date,
  primary key (org_id, user_id)
);
comment on table public.environment_users is 'The organization''s environment users (developers included), one row per user id.';
comment on column public.environment_users.org_id is 'Organization.';
comment on column public.environment_users.user_id is 'User id as sent in workspace.activity events.';
comment on column public.environment_users.org_domain is
  'Email domain (lower case): the first one received for the user; empty until an event carries one.';
comment on column public.environment_users.first_seen is 'UTC day of the user''s earliest event: registered from that day on.';
comment on column public.environment_users.first_seen_as_developer is 'UTC day of the earliest developer event; null if none.';
comment on column public.environment_users.previous_org_domain is 'Bookkeeping of the ingest: org_domain before its last change.';
comment on column public.environment_users.previous_first_seen is 'Bookkeeping of the ingest: first_seen before its last change.';
comment on column public.environment_users.previous_first_seen_as_developer is
  'Bookkeeping of the ingest: first_seen_as_developer before its last change.';

create table public.workspace_users (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  user_id text not null,
  first_seen date not null,
  previous_first_seen date,
  primary key (org_id, workspace_id, user_id)
);
comment on table public.workspace_users is 'Users of each workspace, with the day of their earliest event in it.';
comment on column public.workspace_users.org_id is 'Organization.';
comment on column public.workspace_users.workspace_id is 'Workspace.';
comment on column public.workspace_users.user_id is 'User.';
comment on column public.workspace_users.first_seen is 'UTC day of the user''s earliest event in the workspace.';
comment on column public.workspace_users.previous_first_seen is 'Bookkeeping of the ingest: first_seen before its last change.';

create table public.workspace_user_months (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id text not null,
  month date not null,
  workspace_id text not null,
  user_days integer not null default 0,
  developer_days integer not null default 0,
  added_user_days integer not null default 0,
  added_developer_days integer not null default 0,
  primary key (org_id, user_id, month, workspace_id)
);
comment on table public.workspace_user_months is
  'The days of a month a user was active in a workspace, as a user and as a developer (bitmaps: bit n = day n + 1).';
comment on column public.workspace_user_months.org_id is 'Organization.';
comment on column public.workspace_user_months.user_id is 'User.';
comment on column public.workspace_user_months.month is 'First day of the month.';
comment on column public.workspace_user_months.workspace_id is 'Workspace.';
comment on column public.workspace_user_months.user_days is 'Days active as a user (bit n = day n + 1).';
comment on column public.workspace_user_months.developer_days is 'Days active as a developer (bit n = day n + 1).';
comment on column public.workspace_user_months.added_user_days is 'Bookkeeping of the ingest: user days its last change added.';
comment on column public.workspace_user_months.added_developer_days is
  'Bookkeeping of the ingest: developer days its last change added.';

create table public.environment_user_months (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id text not null,
  month date not null,
  user_days integer not null default 0,
  developer_days integer not null default 0,
  added_user_days integer not null default 0,
  added_developer_days integer not null default 0,
  primary key (org_id, user_id, month)
);
comment on table public.environment_user_months is
  'The days of a month a user counts organization-wide: the union of their workspace days over the workspaces each audience counts.';
comment on column public.environment_user_months.org_id is 'Organization.';
comment on column public.environment_user_months.user_id is 'User.';
comment on column public.environment_user_months.month is 'First day of the month.';
comment on column public.environment_user_months.user_days is 'Days active as a user in ordinary workspaces (bit n = day n + 1).';
comment on column public.environment_user_months.developer_days is
  'Days active as a developer in ordinary or development workspaces (bit n = day n + 1).';
comment on column public.environment_user_months.added_user_days is 'Bookkeeping of the ingest: user days its last change added.';
comment on column public.environment_user_months.added_developer_days is
  'Bookkeeping of the ingest: developer days its last change added.';

create table public.environment_registrations (
  org_id uuid not null references public.orgs (id) on delete cascade,
  audience public.activity_audience not null,
  org_domain text not null,
  day date not null,
  registered integer not null default 0,
  primary key (org_id, audience, org_domain, day)
);
comment on table public.environment_registrations is
  'Users (any kind) or developers registered per UTC day; registered as of D is the running sum.';
comment on column public.environment_registrations.org_id is 'Organization.';
comment on column public.environment_registrations.audience is 'users (every user, developers included) or developers.';
comment on column public.environment_registrations.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.environment_registrations.day is 'UTC day.';
comment on column public.environment_registrations.registered is 'Users whose earliest (developer) event is on that day.';

create table public.environment_daily_actives (
  org_id uuid not null references public.orgs (id) on delete cascade,
  audience public.activity_audience not null,
  org_domain text not null,
  day date not null,
  actives integer not null default 0,
  primary key (org_id, audience, org_domain, day)
);
comment on table public.environment_daily_actives is 'Distinct active users (or developers) of the organization per UTC day.';
comment on column public.environment_daily_actives.org_id is 'Organization.';
comment on column public.environment_daily_actives.audience is 'users or developers.';
comment on column public.environment_daily_actives.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.environment_daily_actives.day is 'UTC day.';
comment on column public.environment_daily_actives.actives is 'Distinct active users that day (a daily login each).';

create table public.environment_monthly_actives (
  org_id uuid not null references public.orgs (id) on delete cascade,
  audience public.activity_audience not null,
  org_domain text not null,
  month date not null,
  actives integer not null default 0,
  primary key (org_id, audience, org_domain, month)
);
comment on table public.environment_monthly_actives is 'Distinct active users (or developers) of the organization per calendar month.';
comment on column public.environment_monthly_actives.org_id is 'Organization.';
comment on column public.environment_monthly_actives.audience is 'users or developers.';
comment on column public.environment_monthly_actives.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.environment_monthly_actives.month is 'First day of the month.';
comment on column public.environment_monthly_actives.actives is 'Distinct users active at least once that month.';

create table public.workspace_registrations (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  org_domain text not null,
  day date not null,
  registered integer not null default 0,
  primary key (org_id, org_domain, workspace_id, day)
);
comment on table public.workspace_registrations is 'Users (both kinds) whose earliest event in a workspace is on that UTC day.';
comment on column public.workspace_registrations.org_id is 'Organization.';
comment on column public.workspace_registrations.workspace_id is 'Workspace.';
comment on column public.workspace_registrations.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.workspace_registrations.day is 'UTC day.';
comment on column public.workspace_registrations.registered is 'Users first seen in the workspace that day.';

create table public.workspace_monthly_actives (
  org_id uuid not null references public.orgs (id) on delete cascade,
  workspace_id text not null,
  org_domain text not null,
  month date not null,
  actives integer not null default 0,
  logins integer not null default 0,
  primary key (org_id, org_domain, month, workspace_id)
);
comment on table public.workspace_monthly_actives is 'Per workspace and calendar month: distinct active users (both kinds) and daily logins.';
comment on column public.workspace_monthly_actives.org_id is 'Organization.';
comment on column public.workspace_monthly_actives.workspace_id is 'Workspace.';
comment on column public.workspace_monthly_actives.org_domain is 'Email domain of the users counted, or '''' for all.';
comment on column public.workspace_monthly_actives.month is 'First day of the month.';
comment on column public.workspace_monthly_actives.actives is 'Distinct users active in the workspace that month.';
comment on column public.workspace_monthly_actives.logins is 'Daily logins: the sum over the month''s days of that day''s distinct users.';

alter table public.workspaces enable row level security;
alter table public.environment_users enable row level security;
alter table public.workspace_users enable row level security;
alter table public.workspace_user_months enable row level security;
alter table public.environment_user_months enable row level security;
alter table public.environment_registrations enable row level security;
alter table public.environment_daily_actives enable row level security;
alter table public.environment_monthly_actives enable row level security;
alter table public.workspace_registrations enable row level security;
alter table public.workspace_monthly_actives enable row level security;

create policy workspaces_select on public.workspaces for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspaces_update on public.workspaces for update to authenticated
  using ((select private.has_right(org_id, 'write'))) with check ((select private.has_right(org_id, 'write')));
create policy environment_users_select on public.environment_users for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspace_users_select on public.workspace_users for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspace_user_months_select on public.workspace_user_months for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy environment_user_months_select on public.environment_user_months for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy environment_registrations_select on public.environment_registrations for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy environment_daily_actives_select on public.environment_daily_actives for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy environment_monthly_actives_select on public.environment_monthly_actives for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspace_registrations_select on public.workspace_registrations for select to authenticated
  using ((select private.has_right(org_id, 'read')));
create policy workspace_monthly_actives_select on public.workspace_monthly_actives for select to authenticated
  using ((select private.has_right(org_id, 'read')));

-- A workspace's kinds change only through edge_api.put_workspace and events, which recount what a change moves;
-- its name may be written directly.
revoke all on public.workspaces, public.environment_users, public.workspace_users, public.workspace_user_months,
  public.environment_user_months, public.environment_registrations, public.environment_daily_actives,
  public.environment_monthly_actives, public.workspace_registrations, public.workspace_monthly_actives
  from anon, authenticated;
grant select on public.workspaces, public.environment_users, public.workspace_users, public.workspace_user_months,
  public.environment_user_months, public.environment_registrations, public.environment_daily_actives,
  public.environment_monthly_actives, public.workspace_registrations, public.workspace_monthly_actives
  to authenticated;
grant update (name) on public.workspaces to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Adding to the rollups

-- The changes below are lists of (scope, org_domain, day or month, amount); '' is the all-domains total, so each
-- change of a user with a domain is written twice.
create function private.add_activity_changes(p_org_id uuid, p_registrations jsonb, p_daily jsonb, p_monthly jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.environment_registrations as t (org_id, audience, org_domain, day, registered)
  select p_org_id, c.audience, c.org_domain, c.day, sum(c.amount)
  from pg_catalog.jsonb_to_recordset(p_registrations) as c (audience public.activity_audience, org_domain text, day date, amount integer)
  group by 2, 3, 4 having sum(c.amount) <> 0
  order by 2, 3, 4
  on conflict (org_id, audience, org_domain, day) do update set registered = t.registered + excluded.registered;

  insert into public.environment_daily_actives as t (org_id, audience, org_domain, day, actives)
  select p_org_id, c.audience, c.org_domain, c.day, sum(c.amount)
  from pg_catalog.jsonb_to_recordset(p_daily) as c (audience public.activity_audience, org_domain text, day date, amount integer)
  group by 2, 3, 4 having sum(c.amount) <> 0
  order by 2, 3, 4
  on conflict (org_id, audience, org_domain, day) do update set actives = t.actives + excluded.actives;

  insert into public.environment_monthly_actives as t (org_id, audience, org_domain, month, actives)
  select p_org_id, c.audience, c.org_domain, c.month, sum(c.amount)
  from pg_catalog.jsonb_to_recordset(p_monthly) as c (audience public.activity_audience, org_domain text, month date, amount integer)
  group by 2, 3, 4 having sum(c.amount) <> 0
  order by 2, 3, 4
  on conflict (org_id, audience, org_domain, month) do update set actives = t.actives + excluded.actives;
end
$$;
comment on function private.add_activity_changes(uuid, jsonb, jsonb, jsonb) is
  'Adds organization-wide changes ([{audience, org_domain, day|month, amount}]) to registrations, daily and monthly actives.';

create function private.add_workspace_changes(p_org_id uuid, p_registrations jsonb, p_monthly jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.workspace_registrations as t (org_id, workspace_id, org_domain, day, registered)
  select p_org_id, c.workspace_id, c.org_domain, c.day, sum(c.amount)
  from pg_catalog.jsonb_to_recordset(p_registrations) as c (workspace_id text, org_domain text, day date, amount integer)
  group by 2, 3, 4 having sum(c.amount) <> 0
  order by 3, 2, 4
  on conflict (org_id, org_domain, workspace_id, day) do update set registered = t.registered + excluded.registered;

  insert into public.workspace_monthly_actives as t (org_id, workspace_id, org_domain, month, actives, logins)
  select p_org_id, c.workspace_id, c.org_domain, c.month, sum(c.actives), sum(c.logins)
  from pg_catalog.jsonb_to_recordset(p_monthly) as c (workspace_id text, org_domain text, month date, actives integer, logins integer)
  group by 2, 3, 4 having sum(c.actives) <> 0 or sum(c.logins) <> 0
  order by 3, 4, 2
  on conflict (org_id, org_domain, month, workspace_id) do update set
    actives = t.actives + excluded.actives, logins = t.logins + excluded.logins;
end
$$;
comment on function private.add_workspace_changes(uuid, jsonb, jsonb) is
  'Adds per-workspace changes to registrations ([{workspace_id, org_domain, day, amount}]) and monthly actives ([{workspace_id, org_domain, month, actives, logins}]).';

-- ---------------------------------------------------------------------------------------------------------------
-- Ingest


-- Ingests of one organization's environment activity share this lock; a change of a workspace's kind takes it alone,
-- so that its recount sees every committed day and no ingest counts under the old kind meanwhile.
create function private.lock_environment_activity(p_org_id uuid, p_exclusive boolean) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_exclusive then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('environment_activity ' || p_org_id, 0));
  else
    perform pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtextextended('environment_activity ' || p_org_id, 0));
  end if;
end
$$;
comment on function private.lock_environment_activity(uuid, boolean) is
  'Transaction lock on an organization''s environment activity: shared by ingests, exclusive for a workspace kind change.';

-- A user whose domain becomes known: the history counted so far under '' joins that domain's figures too.
create function private.add_domain_history(p_org_id uuid, p_user_ids text[]) returns void
language plpgsql
set search_path = ''
as $$
declare
  registrations jsonb;
  monthly jsonb;
  daily jsonb;
begin
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('workspace_id', wu.workspace_id,
      'org_domain', u.org_domain, 'day', wu.first_seen, 'amount', 1)), '[]')
  into registrations
  from public.environment_users as u
  join public.workspace_users as wu on wu.org_id = u.org_id and wu.user_id = u.user_id
  where u.org_id = p_org_id and u.user_id = any (p_user_ids);

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('workspace_id', m.workspace_id,
      'org_domain', u.org_domain, 'month', m.month, 'actives', 1,
      'logins', pg_catalog.bit_count((m.user_days | m.developer_days)::bit(32)))), '[]')
  into monthly
  from public.environment_users as u
  join public.workspace_user_months as m on m.org_id = u.org_id and m.user_id = u.user_id
  where u.org_id = p_org_id and u.user_id = any (p_user_ids) and (m.user_days | m.developer_days) <> 0;
  perform private.add_workspace_changes(p_org_id, registrations, monthly);

  with audiences as (
    select u.org_domain, m.month, a.audience, a.days
    from public.environment_users as u
    join public.environment_user_months as m on m.org_id = u.org_id and m.user_id = u.user_id,
      lateral (values ('users'::public.activity_audience, m.user_days), ('developers', m.developer_days)) as a (audience, days)
    where u.org_id = p_org_id and u.user_id = any (p_user_ids) and a.days <> 0
  )
  select
    (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', a.audience,
        'org_domain', a.org_domain, 'day', bit.day, 'amount', 1)), '[]')
      from audiences as a, pg_catalog.generate_series(0, 30) as n,
        lateral (select a.month + n as day where a.days & (1 << n) <> 0) as bit),
    (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', a.audience,
        'org_domain', a.org_domain, 'month', a.month, 'amount', 1)), '[]')
      from audiences as a)
  into daily, monthly;
  perform private.add_activity_changes(p_org_id, '[]', daily, monthly);
end
$$;
comment on function private.add_domain_history(uuid, text[]) is
  'Adds the history of users whose email domain just became known to that domain''s figures.';

-- Called with the organization's environment activity locked exclusively (private.lock_environment_activity).
create function private.set_workspace_kind(p_org_id uuid, p_workspace_id text, p_is_development boolean,
  p_is_public boolean)
returns void
language plpgsql
set search_path = ''
as $$
declare
  changes jsonb;
begin
  update public.workspaces as w
  set is_development = coalesce(p_is_development, w.is_development), is_public = coalesce(p_is_public, w.is_public)
  where w.org_id = p_org_id and w.workspace_id = p_workspace_id
    and (w.is_development, w.is_public)
      is distinct from (coalesce(p_is_development, w.is_development), coalesce(p_is_public, w.is_public));
  if not found then
    return;
  end if;

  -- Every month of the workspace's users is rebuilt from their workspaces' days under the new kinds; the days and
  -- months that enter or leave an audience change its daily and monthly actives.
  with affected as (
    select distinct user_id, month from public.workspace_user_months
    where org_id = p_org_id and workspace_id = p_workspace_id
  ),
  rebuilt as (
    select a.user_id, a.month,
      coalesce(pg_catalog.bit_or(m.user_days) filter (where not w.is_development and not w.is_public), 0) as user_days,
      coalesce(pg_catalog.bit_or(m.developer_days) filter (where not w.is_public), 0) as developer_days
    from affected as a
    join public.workspace_user_months as m on m.org_id = p_org_id and m.user_id = a.user_id and m.month = a.month
    join public.workspaces as w on w.org_id = p_org_id and w.workspace_id = m.workspace_id
    group by a.user_id, a.month
  ),
  compared as (
    select r.user_id, r.month, x.audience, x.old_days, x.new_days, u.org_domain
    from rebuilt as r
    left join public.environment_user_months as o on o.org_id = p_org_id and o.user_id = r.user_id and o.month = r.month
    join public.environment_users as u on u.org_id = p_org_id and u.user_id = r.user_id,
      lateral (values
        ('users'::public.activity_audience, coalesce(o.user_days, 0), r.user_days),
        ('developers', coalesce(o.developer_days, 0), r.developer_days)
      ) as x (audience, old_days, new_days)
    where x.old_days <> x.new_days
  ),
  saved as (
    insert into public.environment_user_months as m (org_id, user_id, month, user_days, developer_days)
    select p_org_id, user_id, month, user_days, developer_days from rebuilt
    order by user_id, month
    on conflict (org_id, user_id, month) do update set
      user_days = excluded.user_days, developer_days = excluded.developer_days, added_user_days = 0,
      added_developer_days = 0
    where (m.user_days, m.developer_days) <> (excluded.user_days, excluded.developer_days)
  )
  select pg_catalog.jsonb_build_object(
    'daily', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', c.audience,
        'org_domain', d.org_domain, 'day', change.day, 'amount', change.amount)), '[]')
      from compared as c, lateral (values (''), (nullif(c.org_domain, ''))) as d (org_domain),
        pg_catalog.generate_series(0, 30) as n,
        lateral (select c.month + n as day, case when c.new_days & (1 << n) <> 0 then 1 else -1 end as amount
          where (c.new_days # c.old_days) & (1 << n) <> 0) as change
      where d.org_domain is not null),
    'monthly', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', c.audience,
        'org_domain', d.org_domain, 'month', c.month, 'amount', case when c.old_days = 0 then 1 else -1 end)), '[]')
      from compared as c, lateral (values (''), (nullif(c.org_domain, ''))) as d (org_domain)
      where (c.old_days = 0 or c.new_days = 0) and d.org_domain is not null)
  ) into changes;
  perform private.add_activity_changes(p_org_id, '[]', changes -> 'daily', changes -> 'monthly');
end
$$;
comment on function private.set_workspace_kind(uuid, text, boolean, boolean) is
  'Changes a workspace''s kinds (null leaves one as is) and recounts the organization-wide figures of its whole history.';

-- Called by ingest_events only (it reads that function's temporary batch table, whose workspace events all belong
-- to one organization); not granted to API roles. The hot path inlines its expressions: a function with its own
-- search_path cannot be inlined, and per-row calls would dominate a batch.
create function private.ingest_workspace_activity() returns void
language plpgsql
set search_path = ''
as $$
declare
  batch_org uuid;
  kinds_change boolean;
  kind_change record;
  registrations jsonb;
  monthly jsonb;
  daily jsonb;
  newly_domained text[];
begin
  select org_id into batch_org from pg_temp.ingest_batch where event_type = 'workspace.activity' limit 1;
  if batch_org is null then
    return;
  end if;

  -- The batch's activity with its fields typed once.
  -- Created once per session (checking the catalog costs less than CREATE ... IF NOT EXISTS); emptied at commit. The
  -- check names the newest of them, so that a session that made the others before it was added makes it too.
  if pg_catalog.to_regclass('pg_temp.batch_user_domains') is null then
    create temporary table if not exists activity_batch (
      idx integer, workspace_id text, user_id text, kind public.activity_kind, day date, month date, day_bit integer,
      org_domain text, is_development boolean, is_public boolean
    ) on commit delete rows;
    create temporary table if not exists batch_workspaces (
      workspace_id text primary key, is_development boolean, is_public boolean
    ) on commit delete rows;
    create temporary table batch_user_domains (user_id text primary key, org_domain text) on commit delete rows;
  end if;
  delete from pg_temp.activity_batch;
  delete from pg_temp.batch_workspaces;
  delete from pg_temp.batch_user_domains;
  insert into pg_temp.activity_batch
  select idx, subject, payload ->> 'user_id', (payload ->> 'kind')::public.activity_kind, day,
    pg_catalog.date_trunc('month', day::timestamp)::date, 1 << (extract(day from day)::integer - 1),
    pg_catalog.lower(payload ->> 'org_domain'), (payload ->> 'workspace_is_development')::boolean,
    (payload ->> 'workspace_is_public')::boolean
  from pg_temp.ingest_batch where event_type = 'workspace.activity';

  -- 1. Workspaces: created by their first event with the kinds it gives; an event carrying a kind changes it (the
  -- batch's last one wins), which recounts that workspace's history under the exclusive lock.
  insert into pg_temp.batch_workspaces
  select workspace_id,
    (pg_catalog.array_agg(is_development order by idx desc) filter (where is_development is not null))[1],
    (pg_catalog.array_agg(is_public order by idx desc) filter (where is_public is not null))[1]
  from pg_temp.activity_batch
  group by workspace_id;

  kinds_change := exists (
    select 1 from pg_temp.batch_workspaces as b
    join public.workspaces as w on w.org_id = batch_org and w.workspace_id = b.workspace_id
    where b.is_development <> w.is_development or b.is_public <> w.is_public
  );
  perform private.lock_environment_activity(batch_org, kinds_change);
  insert into public.workspaces (org_id, workspace_id, is_development, is_public)
  select batch_org, workspace_id, coalesce(is_development, false), coalesce(is_public, false)
  from pg_temp.batch_workspaces order by workspace_id
  on conflict do nothing;
  for kind_change in
    select b.* from pg_temp.batch_workspaces as b
    join public.workspaces as w on w.org_id = batch_org and w.workspace_id = b.workspace_id
    where b.is_development <> w.is_development or b.is_public <> w.is_public
    order by b.workspace_id
  loop
    if not kinds_change then
      -- Another request changed the kinds between the check and the lock: the client retries (503).
      raise exception 'Workspace kinds changed concurrently' using errcode = '40001';
    end if;
    perform private.set_workspace_kind(batch_org, kind_change.workspace_id, kind_change.is_development,
      kind_change.is_public);
  end loop;

  -- 2. The user registry: the earliest days move earlier on a backfill; the first domain received sticks. Each
  -- changed user's old registrations leave and the new ones arrive. A user with a known domain whom the batch
  -- changes nothing of is not written (nor locked): registrations only ever move earlier, and a known domain never
  -- changes. A user without one is locked, so that a batch giving their domain waits for, or is waited for by,
  -- every other batch of theirs, and the domain's history misses none of their days.
  with batch_users as (
    select b.user_id, min(b.day) as first_seen, min(b.day) filter (where b.kind = 'developer') as first_seen_as_developer,
      (pg_catalog.array_agg(b.org_domain order by b.idx) filter (where b.org_domain is not null))[1] as org_domain
    from pg_temp.activity_batch as b
    group by b.user_id
  ),
  changed as (
    insert into public.environment_users as u (org_id, user_id, org_domain, first_seen, first_seen_as_developer)
    select batch_org, b.user_id, coalesce(b.org_domain, ''), b.first_seen, b.first_seen_as_developer
    from batch_users as b
    left join lateral (
      select k.* from public.environment_users as k where k.org_id = batch_org and k.user_id = b.user_id limit 1
    ) as known on true
    where known.user_id is null or known.org_domain = '' or b.first_seen < known.first_seen
      or b.first_seen_as_developer < coalesce(known.first_seen_as_developer, 'infinity')
    order by b.user_id
    on conflict (org_id, user_id) do update set
      org_domain = case when u.org_domain = '' then excluded.org_domain else u.org_domain end,
      first_seen = least(u.first_seen, excluded.first_seen),
      first_seen_as_developer = least(u.first_seen_as_developer, excluded.first_seen_as_developer),
      previous_org_domain = u.org_domain,
      previous_first_seen = u.first_seen,
      previous_first_seen_as_developer = u.first_seen_as_developer
    where (u.org_domain = '' and excluded.org_domain <> '')
      or excluded.first_seen < u.first_seen
      or excluded.first_seen_as_developer < coalesce(u.first_seen_as_developer, 'infinity')
    returning u.*
  ),
  moves as (
    -- A null domain is the part a user without a known domain does not have.
    select c.* from changed as u, lateral (values
      ('users'::public.activity_audience, '', u.previous_first_seen, -1),
      ('users', nullif(u.previous_org_domain, ''), u.previous_first_seen, -1),
      ('users', '', u.first_seen, 1),
      ('users', nullif(u.org_domain, ''), u.first_seen, 1),
      ('developers', '', u.previous_first_seen_as_developer, -1),
      ('developers', nullif(u.previous_org_domain, ''), u.previous_first_seen_as_developer, -1),
      ('developers', '', u.first_seen_as_developer, 1),
      ('developers', nullif(u.org_domain, ''), u.first_seen_as_developer, 1)
    ) as c (audience, org_domain, day, amount)
    where c.day is not null and c.org_domain is not null
  )
  select
    (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m)), '[]') from moves as m),
    (select pg_catalog.array_agg(u.user_id) from changed as u where u.previous_org_domain = '' and u.org_domain <> '')
  into registrations, newly_domained;
  perform private.add_activity_changes(batch_org, registrations, '[]', '[]');
  if newly_domained is not null then
    perform private.add_domain_history(batch_org, newly_domained);
  end if;
  -- Each user's domain, read once for the steps below (it no longer changes in this transaction).
  insert into pg_temp.batch_user_domains
  select u.user_id, u.org_domain from public.environment_users as u
  where u.org_id = batch_org and u.user_id in (select user_id from pg_temp.activity_batch);

  -- 3. Each workspace's users, the same way.
  with changed as (
    insert into public.workspace_users as wu (org_id, workspace_id, user_id, first_seen)
    select batch_org, b.workspace_id, b.user_id, min(b.day)
    from pg_temp.activity_batch as b
    left join lateral (
      select k.first_seen from public.workspace_users as k
      where k.org_id = batch_org and k.workspace_id = b.workspace_id and k.user_id = b.user_id limit 1
    ) as known on true
    where known.first_seen is null or b.day < known.first_seen
    group by b.workspace_id, b.user_id order by b.workspace_id, b.user_id
    on conflict (org_id, workspace_id, user_id) do update set
      first_seen = excluded.first_seen, previous_first_seen = wu.first_seen
    where excluded.first_seen < wu.first_seen
    returning wu.*
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('workspace_id', c.workspace_id,
      'org_domain', d.org_domain, 'day', move.day, 'amount', move.amount)), '[]')
  into registrations
  from changed as c
  join pg_temp.batch_user_domains as u on u.user_id = c.user_id,
    lateral (values (c.previous_first_seen, -1), (c.first_seen, 1)) as move (day, amount),
    lateral (values (''), (nullif(u.org_domain, ''))) as d (org_domain)
  where move.day is not null and d.org_domain is not null;

  -- 4. Active days per workspace: the days this batch adds, and what they add to the workspace's months. Days
  -- already recorded are skipped before the upsert (bits are only ever added). The lookups before each upsert are
  -- laterals with a limit, so that they stay index probes whatever the statistics say.
  with batch_days as (
    select b.user_id, b.month, b.workspace_id,
      coalesce(pg_catalog.bit_or(b.day_bit) filter (where b.kind = 'user'), 0) as user_days,
      coalesce(pg_catalog.bit_or(b.day_bit) filter (where b.kind = 'developer'), 0) as developer_days
    from pg_temp.activity_batch as b
    group by b.user_id, b.month, b.workspace_id
  ),
  changed as (
    insert into public.workspace_user_months as m (org_id, user_id, month, workspace_id, user_days, developer_days,
      added_user_days, added_developer_days)
    select batch_org, b.user_id, b.month, b.workspace_id, b.user_days, b.developer_days, b.user_days, b.developer_days
    from batch_days as b
    left join lateral (
      select k.* from public.workspace_user_months as k
      where k.org_id = batch_org and k.user_id = b.user_id and k.month = b.month and k.workspace_id = b.workspace_id
      limit 1
    ) as known on true
    where known.user_id is null or b.user_days & ~known.user_days <> 0 or b.developer_days & ~known.developer_days <> 0
    order by b.user_id, b.month, b.workspace_id
    on conflict (org_id, user_id, month, workspace_id) do update set
      user_days = m.user_days | excluded.user_days,
      developer_days = m.developer_days | excluded.developer_days,
      added_user_days = excluded.user_days & ~m.user_days,
      added_developer_days = excluded.developer_days & ~m.developer_days
    where excluded.user_days & ~m.user_days <> 0 or excluded.developer_days & ~m.developer_days <> 0
    returning m.*
  ),
  kindless as (
    select workspace_id, user_id, month, user_days | developer_days as days,
      (user_days & ~added_user_days) | (developer_days & ~added_developer_days) as old_days
    from changed
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('workspace_id', k.workspace_id,
      'org_domain', d.org_domain, 'month', k.month, 'actives', (k.old_days = 0)::integer,
      'logins', pg_catalog.bit_count((k.days & ~k.old_days)::bit(32)))), '[]')
  into monthly
  from kindless as k
  join pg_temp.batch_user_domains as u on u.user_id = k.user_id,
    lateral (values (''), (nullif(u.org_domain, ''))) as d (org_domain)
  where k.days <> k.old_days and d.org_domain is not null;
  perform private.add_workspace_changes(batch_org, registrations, monthly);

  -- 5. Organization-wide active days: the union over the workspaces each audience counts.
  with counted as (
    select b.user_id, b.month,
      coalesce(pg_catalog.bit_or(b.day_bit) filter (where b.kind = 'user' and not w.is_development), 0) as user_days,
      coalesce(pg_catalog.bit_or(b.day_bit) filter (where b.kind = 'developer'), 0) as developer_days
    from pg_temp.activity_batch as b
    join public.workspaces as w on w.org_id = batch_org and w.workspace_id = b.workspace_id
    where not w.is_public
    group by b.user_id, b.month
  ),
  changed as (
    insert into public.environment_user_months as m (org_id, user_id, month, user_days, developer_days,
      added_user_days, added_developer_days)
    select batch_org, c.user_id, c.month, c.user_days, c.developer_days, c.user_days, c.developer_days
    from counted as c
    left join lateral (
      select k.* from public.environment_user_months as k
      where k.org_id = batch_org and k.user_id = c.user_id and k.month = c.month limit 1
    ) as known on true
    where (c.user_days <> 0 or c.developer_days <> 0) and (known.user_id is null
      or c.user_days & ~known.user_days <> 0 or c.developer_days & ~known.developer_days <> 0)
    order by c.user_id, c.month
    on conflict (org_id, user_id, month) do update set
      user_days = m.user_days | excluded.user_days,
      developer_days = m.developer_days | excluded.developer_days,
      added_user_days = excluded.user_days & ~m.user_days,
      added_developer_days = excluded.developer_days & ~m.developer_days
    where excluded.user_days & ~m.user_days <> 0 or excluded.developer_days & ~m.developer_days <> 0
    returning m.*
  ),
  added as (
    select a.audience, d.org_domain, c.month, a.days, a.added
    from changed as c
    join pg_temp.batch_user_domains as u on u.user_id = c.user_id,
      lateral (values
        ('users'::public.activity_audience, c.user_days, c.added_user_days),
        ('developers', c.developer_days, c.added_developer_days)
      ) as a (audience, days, added),
      lateral (values (''), (nullif(u.org_domain, ''))) as d (org_domain)
    where a.added <> 0 and d.org_domain is not null
  )
  select
    (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', a.audience,
        'org_domain', a.org_domain, 'day', a.month + n, 'amount', 1)), '[]')
      from added as a, pg_catalog.generate_series(0, 30) as n where a.added & (1 << n) <> 0),
    (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('audience', a.audience,
        'org_domain', a.org_domain, 'month', a.month, 'amount', 1)), '[]')
      from added as a where a.days = a.added)
  into daily, monthly;
  perform private.add_activity_changes(batch_org, '[]', daily, monthly);
end
$$;
comment on function private.ingest_workspace_activity() is
  'Part of ingest_events: the batch''s workspace.activity events into workspaces, registries, day bitmaps and rollups.';

-- security definer: workspaces and the rollups a kind change recounts are not writable by API roles; it first
-- checks that the caller may write to the organization.
create function edge_api.put_workspace(p_org_id uuid, p_workspace_id text, p_name text default null,
  p_is_development boolean default null, p_is_public boolean default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  saved public.workspaces;
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'Not found.' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'write') then
    raise exception 'You do not have permission to perform this action.' using errcode = 'PT403';
  end if;
  perform private.lock_environment_activity(p_org_id, p_is_development is not null or p_is_public is not null);
  insert into public.workspaces (org_id, workspace_id, name, is_development, is_public)
  values (p_org_id, p_workspace_id, coalesce(p_name, ''), coalesce(p_is_development, false), coalesce(p_is_public, false))
  on conflict do nothing;
  update public.workspaces set name = p_name
  where org_id = p_org_id and workspace_id = p_workspace_id and p_name is not null and name <> p_name;
  perform private.set_workspace_kind(p_org_id, p_workspace_id, p_is_development, p_is_public);
  select * into saved from public.workspaces where org_id = p_org_id and workspace_id = p_workspace_id;
  return pg_catalog.jsonb_build_object('workspace_id', saved.workspace_id, 'org_id', saved.org_id, 'name', saved.name,
    'is_development', saved.is_development, 'is_public', saved.is_public, 'created_at', saved.created_at);
end
$$;
comment on function edge_api.put_workspace(uuid, text, text, boolean, boolean) is
  'PUT /api/workspaces/:workspace_id: creates or updates a workspace (null leaves a field as is); a kind change recounts its history.';

-- ---------------------------------------------------------------------------------------------------------------
-- Reading

-- The readers return the figures as arrays, one number per period, with the weeks and months they cover; the
-- function api labels them into the documented rows (the day of index i is p_start + i). Weeks and months the range
-- only partly covers are counted whole. They are plpgsql, whose statements keep their plans for the session (a SQL
-- function is planned again on every call on Postgres 15, which cost as much as running it).

-- Runs below the rollups' per-row policies, called only by edge_api.environment_statistics after its checks.
create function private.audience_statistics(p_org_id uuid, p_audience public.activity_audience, p_start date,
  p_end date, p_org_domain text)
returns jsonb
language plpgsql stable
set search_path = ''
set jit = off
as $$
begin
  return (
    with span as (
      select least(pg_catalog.date_trunc('week', p_start::timestamp), pg_catalog.date_trunc('month', p_start::timestamp))
          as first_day,
        greatest(pg_catalog.date_trunc('week', p_end::timestamp) + interval '6 days',
          pg_catalog.date_trunc('month', p_end::timestamp) + interval '1 month - 1 day') as last_day
    ),
    days as (
      select d::date as day, coalesce(a.actives, 0) as actives
      from span, pg_catalog.generate_series(span.first_day, span.last_day, interval '1 day') as d
      left join public.environment_daily_actives as a
        on a.org_id = p_org_id and a.audience = p_audience and a.org_domain = p_org_domain and a.day = d::date
    ),
    registered as (
      select d::date as day, (
        (select coalesce(sum(r.registered), 0) from public.environment_registrations as r
          where r.org_id = p_org_id and r.audience = p_audience and r.org_domain = p_org_domain and r.day < p_start)
        + sum(coalesce(r.registered, 0)) over (order by d))::bigint as total
      from pg_catalog.generate_series(p_start::timestamp, p_end::timestamp, interval '1 day') as d
      left join public.environment_registrations as r
        on r.org_id = p_org_id and r.audience = p_audience and r.org_domain = p_org_domain and r.day = d::date
    ),
    months as (
      select m::date as month, coalesce(a.actives, 0) as actives
      from pg_catalog.generate_series(pg_catalog.date_trunc('month', p_start::timestamp), p_end::timestamp,
        interval '1 month') as m
      left join public.environment_monthly_actives as a
        on a.org_id = p_org_id and a.audience = p_audience and a.org_domain = p_org_domain and a.month = m::date
    ),
    weekly_logins as (
      select pg_catalog.date_trunc('week', day::timestamp)::date as week, sum(actives)::bigint as logins
      from days group by 1
    ),
    monthly_logins as (
      select pg_catalog.date_trunc('month', day::timestamp)::date as month, sum(actives)::bigint as logins
      from days group by 1
    )
    select pg_catalog.jsonb_build_object(
      'total', (select pg_catalog.jsonb_agg(total order by day) from registered),
      'per_day', (select pg_catalog.jsonb_agg(actives order by day) from days where day between p_start and p_end),
      'weeks', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(extract(isoyear from week), extract(week from week))
          order by week)
        from weekly_logins where week between pg_catalog.date_trunc('week', p_start::timestamp) and p_end),
      'per_week', (select pg_catalog.jsonb_agg(logins order by week)
        from weekly_logins where week between pg_catalog.date_trunc('week', p_start::timestamp) and p_end),
      'months', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(extract(year from month), extract(month from month))
          order by month) from months),
      'monthly_active', (select pg_catalog.jsonb_agg(actives order by month) from months),
      'per_month', (select pg_catalog.jsonb_agg(logins order by month)
        from monthly_logins where month between pg_catalog.date_trunc('month', p_start::timestamp) and p_end)
    )
  );
end
$$;
comment on function private.audience_statistics(uuid, public.activity_audience, date, date, text) is
  'Users (or developers) of [p_start, p_end]: registered per day, daily actives per day and their sums per ISO week and month, monthly actives; with the weeks'' and months'' labels.';

-- Runs below the rollups' per-row policies, called only by edge_api.environment_statistics after its checks. The
-- registrations come as each workspace's count before p_start and its non-zero days in the range (offset from
-- p_start, count; unordered): the api function runs the sums, which a 366-day, 200-workspace answer would spend most
-- of its time on here.
create function private.workspace_statistics(p_org_id uuid, p_start date, p_end date, p_org_domain text)
returns json
language plpgsql stable
set search_path = ''
set jit = off
as $$
begin
  return (
    with counted as (
      select w.workspace_id from public.workspaces as w
      where w.org_id = p_org_id and not w.is_development and not w.is_public
    ),
    months as (
      select m::date as month
      from pg_catalog.generate_series(pg_catalog.date_trunc('month', p_start::timestamp), p_end::timestamp,
        interval '1 month') as m
    ),
    registered as (
      select r.workspace_id, sum(r.registered) filter (where r.day < p_start) as before_start,
        -- Pairs in no particular order (sorting each workspace's days costs more than the whole scan).
        pg_catalog.array_agg(r.day - p_start) filter (where r.day >= p_start) as days,
        pg_catalog.array_agg(r.registered) filter (where r.day >= p_start) as counts
      from public.workspace_registrations as r
      where r.org_id = p_org_id and r.org_domain = p_org_domain and r.day <= p_end
      group by r.workspace_id
    ),
    monthly as (
      select c.workspace_id, pg_catalog.array_agg(coalesce(a.actives, 0) order by m.month) as actives,
        pg_catalog.array_agg(coalesce(a.logins, 0) order by m.month) as logins
      from counted as c
      cross join months as m
      left join public.workspace_monthly_actives as a on a.org_id = p_org_id and a.org_domain = p_org_domain
        and a.month = m.month and a.workspace_id = c.workspace_id
      group by c.workspace_id
    )
    select pg_catalog.json_build_object(
      'months', (select pg_catalog.json_agg(pg_catalog.json_build_array(extract(year from month), extract(month from month))
          order by month) from months),
      'workspaces', coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object('workspace_id', c.workspace_id,
          'before_start', coalesce(r.before_start, 0), 'days', coalesce(r.days, '{}'), 'registered', coalesce(r.counts, '{}'),
          'monthly_active', m.actives, 'logins', m.logins) order by c.workspace_id)
        from counted as c
        join monthly as m using (workspace_id)
        left join registered as r using (workspace_id)), '[]')
    )
  );
end
$$;
comment on function private.workspace_statistics(uuid, date, date, text) is
  'Per ordinary workspace over [p_start, p_end]: users registered before it and per day, monthly actives and daily logins per month; with the months'' labels.';

-- security definer: the rollups are read below their per-row policies (one policy call per row would dominate a
-- 366-day read) after this function has checked the caller's read right on the organization.
create function edge_api.environment_statistics(p_org_id uuid, p_stats_type text, p_start date, p_end date,
  p_org_domain text default null)
returns json
language plpgsql stable
security definer
set search_path = ''
set jit = off
as $$
declare
  domain text := pg_catalog.lower(coalesce(p_org_domain, ''));
begin
  if not private.can_see_org(p_org_id) then
    raise exception 'Not found.' using errcode = 'PT404';
  end if;
  if not private.has_right(p_org_id, 'read') then
    raise exception 'You do not have permission to perform this action.' using errcode = 'PT403';
  end if;
  if p_start > p_end or p_end - p_start >= 366 then
    raise exception 'The range must run forward and cover at most 366 days.' using errcode = 'PT400';
  end if;
  if p_stats_type = 'workspaces' then
    return private.workspace_statistics(p_org_id, p_start, p_end, domain);
  end if;
  if p_stats_type not in ('users', 'developers') then
    raise exception 'Unknown stats_type.' using errcode = 'PT400';
  end if;
  return private.audience_statistics(p_org_id, p_stats_type::public.activity_audience, p_start, p_end, domain)::json;
end
$$;
comment on function edge_api.environment_statistics(uuid, text, date, date, text) is
  'GET /api/statistics/: users, developers or workspaces figures of [p_start, p_end] (UTC days) as arrays (see the readers), optionally of one email domain.';

-- ---------------------------------------------------------------------------------------------------------------
-- Repair

create function private.rebuild_environment_activity(p_org_id uuid) returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
declare
  chunk_start bigint;
begin
  perform private.lock_environment_activity(p_org_id, true);
  delete from public.environment_users where org_id = p_org_id;
  delete from public.workspace_users where org_id = p_org_id;
  delete from public.workspace_user_months where org_id = p_org_id;
  delete from public.environment_user_months where org_id = p_org_id;
  delete from public.environment_registrations where org_id = p_org_id;
  delete from public.environment_daily_actives where org_id = p_org_id;
  delete from public.environment_monthly_actives where org_id = p_org_id;
  delete from public.workspace_registrations where org_id = p_org_id;
  delete from public.workspace_monthly_actives where org_id = p_org_id;

  -- Replayed in the order received, with today's workspace kinds (the events' kind fields are left out), in
  -- batches the size ingest handles well.
  drop table if exists pg_temp.replayed_events;
  create temporary table pg_temp.replayed_events as
  select pg_catalog.row_number() over (order by e.received_at, e.occurred_at) as idx, e.occurred_at, e.client_id,
    e.subject, e.payload - 'workspace_is_development' - 'workspace_is_public' as payload
  from public.usage_events as e
  where e.org_id = p_org_id and e.event_type = 'workspace.activity';
  create index on pg_temp.replayed_events (idx);
  for chunk_start in select pg_catalog.generate_series(1, (select max(idx) from pg_temp.replayed_events), 10000) loop
    perform private.prepare_ingest_batch();
    insert into pg_temp.ingest_batch (idx, event_type, occurred_at, day, client_id, org_id, subject, device_id, payload)
    select r.idx::integer, 'workspace.activity', r.occurred_at, (r.occurred_at at time zone 'UTC')::date, r.client_id,
      p_org_id, r.subject, null, r.payload
    from pg_temp.replayed_events as r
    where r.idx between chunk_start and chunk_start + 9999;
    perform private.ingest_workspace_activity();
  end loop;
  delete from pg_temp.ingest_batch;
  drop table pg_temp.replayed_events;
end
$$;
comment on function private.rebuild_environment_activity(uuid) is
  'Rebuilds an organization''s environment-activity registries, bitmaps and rollups from its raw events, with the workspaces'' current kinds. A repair tool.';

revoke all on function private.add_activity_changes(uuid, jsonb, jsonb, jsonb), private.add_workspace_changes(uuid, jsonb, jsonb),
  private.lock_environment_activity(uuid, boolean),
  private.add_domain_history(uuid, text[]), private.set_workspace_kind(uuid, text, boolean, boolean),
  private.ingest_workspace_activity(), edge_api.put_workspace(uuid, text, text, boolean, boolean),
  private.audience_statistics(uuid, public.activity_audience, date, date, text),
  private.workspace_statistics(uuid, date, date, text),
  edge_api.environment_statistics(uuid, text, date, date, text), private.rebuild_environment_activity(uuid)
  from public, anon, authenticated;
grant execute on function edge_api.put_workspace(uuid, text, text, boolean, boolean),
  edge_api.environment_statistics(uuid, text, date, date, text)
  to authenticated, service_role;
grant execute on function private.rebuild_environment_activity(uuid) to service_role;
