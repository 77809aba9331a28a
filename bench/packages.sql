-- Deterministic package workload for the benchmark (no random()): 10,000 packages of Bench org A with 3 years of
-- daily views ending today. The five hot packages (BenchHot0..4.Package) have views every day, about 10,000 a day
-- (about 11 million each); the others on one day in ten. Skipped when the packages already exist (a kept database).
set client_min_messages = warning;

insert into public.packages (org_id, identifier, name, publisher, versions)
select '00000000-0000-4000-8000-0000000000a1',
  case when n < 5 then 'BenchHot' || n || '.Package' else 'BenchPub' || (n % 100) || '.Package' || n end,
  'Package ' || n, 'Bench', array['1.0.' || (n % 10)]
from generate_series(0, 9999) as n
where not exists (select 1 from public.packages where identifier = 'BenchHot0.Package');

insert into public.package_daily_views (package_id, day, views)
select p.id, current_date - d, case when p.identifier like 'BenchHot%' then 5000 + (d * 7919 + p.id) % 10000
  else 1 + (d * 31 + p.id) % 50 end
from public.packages as p, generate_series(0, 1094) as d
where p.identifier like 'Bench%'
  and (p.identifier like 'BenchHot%' or (d * 31 + p.id * 17) % 10 = 0)
on conflict do nothing;
analyze public.packages, public.package_daily_views;
