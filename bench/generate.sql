-- Deterministic synthetic workload for the statistics benchmark (no random(): every value is a function of indices).
-- 100 apps in two orgs of 50; 1,000,000 devices (500,000 in com.bench.big, ~5,051 in each other app); 10 device
-- events per device over the 90 days ending yesterday: 10,000,000 raw events, the device registry (with each
-- device's active days), stored MAU (rebuilt with private.repair_mau), daily
-- bandwidth and a few bundles per app. Then an organization's environment activity (see below).
\set ON_ERROR_STOP on
set client_min_messages = warning;
set jit = off;

insert into auth.users (id, email) values ('00000000-0000-4000-8000-00000000b001', 'bench@tally.local')
on conflict do nothing;
insert into public.orgs (id, created_by, name, management_email) values
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000b001', 'Bench org A', 'bench@tally.local'),
  ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-00000000b001', 'Bench org B', 'bench@tally.local');
insert into public.org_users (org_id, user_id, user_right)
select id, '00000000-0000-4000-8000-00000000b001', 'super_admin' from public.orgs where name like 'Bench org %';
insert into public.apikeys (user_id, key_hash, key_prefix, name, mode)
values ('00000000-0000-4000-8000-00000000b001', private.secret_hash(:'bench_key'), left(:'bench_key', 12), 'bench', 'all');

create temporary table bench_apps as
select n, case when n = 0 then 'com.bench.big' else 'com.bench.app' || lpad(n::text, 2, '0') end as app_id,
  case when n < 50 then '00000000-0000-4000-8000-0000000000a1'::uuid else '00000000-0000-4000-8000-0000000000a2'::uuid end as org_id,
  case when n = 0 then 500000 else 5051 end as devices
from generate_series(0, 99) as n;
insert into public.apps (app_id, owner_org, name) select app_id, org_id, app_id from bench_apps;

select (current_date - 90) as first_day \gset
select private.ensure_usage_event_partition(:'first_day'::date + d) from generate_series(0, 89) as d;

create temporary table bench_events as
select a.app_id, a.org_id, 'dev-' || a.n || '-' || i as device_id,
  (:'first_day'::date + ((i::bigint * 7919 + j * 104729 + a.n * 31) % 90)::integer)::timestamp
    + make_interval(secs => (i * 13 + j * 977) % 86400) as occurred_at
from bench_apps as a, generate_series(1, a.devices) as i, generate_series(1, 10) as j;

insert into public.usage_events (org_id, event_type, occurred_at, subject, payload)
select org_id, 'device.activity', occurred_at at time zone 'UTC', app_id,
  jsonb_build_object('type', 'device.activity', 'app_id', app_id, 'device_id', device_id)
from bench_events;

insert into public.devices (app_id, device_id, platform, last_seen_at, first_active_day, active_days)
select app_id, device_id, case when length(device_id) % 2 = 0 then 'ios' else 'android' end::public.device_platform,
  max(last_seen) at time zone 'UTC', min(day),
  string_agg(repeat('0', coalesce(gap, 1) - 1) || '1', '' order by day)::varbit
from (
  select app_id, device_id, day, last_seen, day - lag(day) over (partition by app_id, device_id order by day) as gap
  from (
    select app_id, device_id, occurred_at::date as day, max(occurred_at) as last_seen from bench_events group by 1, 2, 3
  ) as days
) as gaps
group by app_id, device_id;

select private.repair_mau(app_id) from bench_apps order by n;

insert into public.app_daily_usage as u (app_id, day, bandwidth)
select app_id, occurred_at::date, count(*) * 250000 from bench_events group by 1, 2
on conflict (app_id, day) do update set bandwidth = excluded.bandwidth;

insert into public.app_versions (app_id, owner_org, name, size, created_at)
select a.app_id, a.org_id, '1.' || v || '.0', 1000000 * (v + 1), (:'first_day'::date + v * 20)::timestamp at time zone 'UTC'
from bench_apps as a, generate_series(0, 3) as v;
update public.app_versions set deleted = true, deleted_at = created_at + interval '30 days' where name = '1.1.0';

drop table bench_events;

-- Environment activity: org C with 50,000 users (one in ten also a developer, two email domains), 200 workspaces
-- (10 development, 5 public), 5,000,000 workspace.activity events over the 400 days ending yesterday; each user
-- registers on a day of their own and uses five workspaces. The rollups are built by the rebuild, which replays the
-- raw events through the ingest's own code.
insert into public.orgs (id, created_by, name, management_email) values
  ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-00000000b001', 'Bench org C', 'bench@tally.local');
insert into public.org_users (org_id, user_id, user_right)
values ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-00000000b001', 'super_admin');
insert into public.workspaces (org_id, workspace_id, name, is_development, is_public)
select '00000000-0000-4000-8000-0000000000a3', 'ws-' || lpad(n::text, 3, '0'), 'Workspace ' || n, n <= 10, n between 11 and 15
from generate_series(1, 200) as n;
select private.ensure_usage_event_partition(current_date - d) from generate_series(1, 400) as d;
insert into public.usage_events (org_id, event_type, occurred_at, subject, payload)
select '00000000-0000-4000-8000-0000000000a3', 'workspace.activity',
  (current_date - 400 + first_day + ((j * 104729 + u * 31) % (400 - first_day)))::timestamp at time zone 'UTC'
    + make_interval(secs => (u * 13 + j * 977) % 86400),
  workspace_id,
  jsonb_build_object('type', 'workspace.activity', 'workspace_id', workspace_id, 'user_id', 'user-' || u,
    'kind', case when u % 10 = 0 and j % 2 = 0 then 'developer' else 'user' end,
    'org_domain', case when u % 2 = 0 then 'acme.com' else 'beta.io' end)
from generate_series(1, 50000) as u,
  lateral (select (u * 7919) % 400 as first_day) as registration,
  generate_series(1, 100) as j,
  lateral (select 'ws-' || lpad((1 + (u * 7 + (j % 5) * 41) % 200)::text, 3, '0') as workspace_id) as used;
select private.rebuild_environment_activity('00000000-0000-4000-8000-0000000000a3');
-- The rebuild updates each bitmap row many times in one transaction, leaving its tables several times the size that
-- ingest with autovacuum keeps them at (583 MB instead of 222 MB for workspace_user_months): compact them, so that the
-- measures see a steady state rather than the rebuild's churn.
vacuum full public.workspace_user_months, public.environment_user_months, public.workspace_users,
  public.environment_users, public.workspace_registrations, public.workspace_monthly_actives,
  public.environment_registrations, public.environment_daily_actives, public.environment_monthly_actives;

vacuum analyze;
