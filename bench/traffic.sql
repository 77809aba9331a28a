-- Deterministic traffic workload for the benchmark (no random()): Bench org D with 1,000 spaces and 730 days of
-- daily traffic ending today (730,000 day rows; every tenth day of a space measured no bytes), its month, year and
-- organization rows derived by the rebuild. Skipped when the organization already has traffic (a kept database).
set client_min_messages = warning;

insert into public.orgs (id, created_by, name, management_email, monthly_traffic_limit) values
  ('00000000-0000-4000-8000-0000000000a4', '00000000-0000-4000-8000-00000000b001', 'Bench org D', 'bench@tally.local',
    5000000000000)
on conflict do nothing;
insert into public.org_users (org_id, user_id, user_right)
select '00000000-0000-4000-8000-0000000000a4', '00000000-0000-4000-8000-00000000b001', 'super_admin'
where not exists (select 1 from public.org_users where org_id = '00000000-0000-4000-8000-0000000000a4');
insert into public.spaces (org_id, space_id, name)
select '00000000-0000-4000-8000-0000000000a4', n, 'Space ' || n from generate_series(1, 1000) as n
on conflict do nothing;

insert into public.space_traffic (org_id, grain, space_id, period, requests, bytes, measured_events)
select '00000000-0000-4000-8000-0000000000a4', 'day', s, current_date - d, t.requests,
  case when (s + d) % 10 = 0 then 0 else t.requests * (100 + (s * 13 + d) % 900) end,
  case when (s + d) % 10 = 0 then 0 else 1 + (s + d) % 3 end
from generate_series(1, 1000) as s, generate_series(0, 729) as d,
  lateral (select 1 + (s * 7919 + d * 31) % 1000 as requests) as t
where not exists (select 1 from public.org_traffic where org_id = '00000000-0000-4000-8000-0000000000a4');

select private.rebuild_org_traffic('00000000-0000-4000-8000-0000000000a4')
where not exists (select 1 from public.org_traffic where org_id = '00000000-0000-4000-8000-0000000000a4');
analyze public.spaces, public.space_traffic, public.org_traffic;
