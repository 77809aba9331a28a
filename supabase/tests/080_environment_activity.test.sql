-- Environment activity over dates older than ingest accepts, written as raw events and counted by the rebuild
-- (the same code as ingest): ISO week 53 of 2020 and week 1 of 2021, a leap day; then the rebuild against the
-- incremental ingest, and who may read and change it.
begin;
select plan(19);

select tests.create_user('activity_owner');
select tests.create_user('activity_outsider');
select tests.create_org('activity_owner', 'Activity org') as org \gset

select private.ensure_usage_event_partition(day)
from (select distinct day::date from (values ('2020-12-01'), ('2020-12-27'), ('2020-12-28'), ('2020-12-31'), ('2021-01-03'),
  ('2021-01-04'), ('2021-01-10'), ('2021-01-11'), ('2024-02-28'), ('2024-02-29')) as d (day)) as days;
insert into public.usage_events (org_id, event_type, occurred_at, subject, payload)
select :'org', 'workspace.activity', (day::date + interval '12 hours') at time zone 'UTC', workspace_id,
  jsonb_build_object('type', 'workspace.activity', 'workspace_id', workspace_id, 'user_id', user_id, 'kind', kind,
    'org_domain', 'acme.com')
from (values ('w1', 'c', 'user', '2020-12-01'), ('w1', 'a', 'user', '2020-12-27'), ('w1', 'a', 'user', '2020-12-28'),
  ('w1', 'b', 'user', '2020-12-31'), ('w2', 'a', 'user', '2020-12-31'), ('w1', 'b', 'user', '2021-01-03'),
  ('w1', 'c', 'developer', '2021-01-04'), ('w1', 'a', 'user', '2021-01-10'), ('w1', 'b', 'user', '2021-01-11'),
  ('w1', 'e', 'user', '2024-02-28'), ('w1', 'd', 'user', '2024-02-29'), ('w2', 'd', 'developer', '2024-02-29'))
  as e (workspace_id, user_id, kind, day);
insert into public.workspaces (org_id, workspace_id) values (:'org', 'w1'), (:'org', 'w2');
select private.rebuild_environment_activity(:'org');

select tests.authenticate_as('activity_owner');
create temporary table year_change on commit drop as
select edge_api.environment_statistics(:'org', 'users', '2020-12-28', '2021-01-10')::jsonb as users,
  edge_api.environment_statistics(:'org', 'developers', '2020-12-28', '2021-01-10')::jsonb as developers,
  edge_api.environment_statistics(:'org', 'workspaces', '2020-12-28', '2021-01-10')::jsonb as workspaces;

select is((select jsonb_build_array(users -> 'weeks', users -> 'per_week') from year_change),
  '[[[2020, 53], [2021, 1]], [4, 1]]'::jsonb,
  'daily logins of ISO week 53 of 2020 (Monday 2020-12-28) and week 1 of 2021');
select is((select jsonb_build_array(users -> 'months', users -> 'per_month') from year_change),
  '[[[2020, 12], [2021, 1]], [5, 3]]'::jsonb,
  'months the range cuts are counted whole (December 1st, January 11th)');
select is((select users -> 'monthly_active' from year_change), '[3, 2]'::jsonb, 'monthly active users of both months');
select is((select users -> 'per_day' from year_change), '[1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]'::jsonb,
  'daily active users of each day: one user in two workspaces counts once');
select is((select users -> 'total' from year_change), '[2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]'::jsonb,
  'total users count every kind from their earliest event');
select is((select jsonb_build_array(developers -> 'per_week', developers -> 'monthly_active', developers -> 'total' -> -1)
    from year_change),
  '[[0, 1], [0, 1], 1]'::jsonb,
  'developers: their own logins, months and registrations');
select is((select workspaces -> 'workspaces' -> 0 from year_change),
  '{"workspace_id": "w1", "before_start": 2, "days": [3], "registered": [1], "monthly_active": [3, 3], "logins": [4, 4]}'::jsonb,
  'a workspace: users registered before the range and on its days, monthly actives and daily logins (both kinds)');
select is((select workspaces -> 'workspaces' -> 1 from year_change),
  '{"workspace_id": "w2", "before_start": 0, "days": [3], "registered": [1], "monthly_active": [1, 0], "logins": [1, 0]}'::jsonb,
  'another workspace, zero where it has nothing');
select is((select workspaces -> 'months' from year_change), '[[2020, 12], [2021, 1]]'::jsonb, 'the months of the range');

select is((edge_api.environment_statistics(:'org', 'users', '2024-02-28', '2024-03-01')::jsonb -> 'per_day'),
  '[1, 1, 0]'::jsonb, 'the leap day is a day of its own');
select is((edge_api.environment_statistics(:'org', 'developers', '2024-02-29', '2024-02-29', 'ACME.com')::jsonb -> 'per_day'),
  '[1]'::jsonb, 'a one-day range on the leap day, one domain (case-insensitive)');
select is((select jsonb_agg(jsonb_build_array(w -> 'before_start', w -> 'days', w -> 'registered'))
    from jsonb_array_elements(edge_api.environment_statistics(:'org', 'workspaces', '2024-02-29', '2024-02-29')::jsonb -> 'workspaces') as w),
  '[[4, [0], [1]], [1, [0], [1]]]'::jsonb,
  'workspace registrations before and on the leap day');
select throws_ok(format($$select edge_api.environment_statistics(%L, 'users', '2024-01-01', '2025-01-01')$$, :'org'),
  'PT400', null, 'a range of 367 days is refused');

-- A development workspace leaves the users' figures, and comes back whole.
select tests.clear_authentication();
select private.set_workspace_kind(:'org', 'w2', true, null);
select tests.authenticate_as('activity_owner');
select is((edge_api.environment_statistics(:'org', 'users', '2020-12-31', '2020-12-31')::jsonb -> 'per_day' -> 0),
  '1'::jsonb, 'a user active that day only in the workspace made development leaves the day''s count');
select is((edge_api.environment_statistics(:'org', 'developers', '2024-02-29', '2024-02-29')::jsonb -> 'per_day' -> 0),
  '1'::jsonb, 'developers still count in a development workspace');
select is((select jsonb_agg(w -> 'workspace_id')
    from jsonb_array_elements(edge_api.environment_statistics(:'org', 'workspaces', '2024-02-29', '2024-02-29')::jsonb -> 'workspaces') as w),
  '["w1"]'::jsonb, 'a development workspace is left out');

-- Who may read and change it.
select tests.clear_authentication();
select tests.authenticate_as('activity_outsider');
select throws_ok(format($$select edge_api.environment_statistics(%L, 'users', '2024-02-29', '2024-02-29')$$, :'org'),
  'PT404', 'Not found.', 'an outsider does not see the organization');
select tests.clear_authentication();
select tests.authenticate_with_key('activity_owner', 'read', array[:'org']::uuid[]);
select throws_ok(format($$select edge_api.put_workspace(%L, 'w1', null, true)$$, :'org'),
  'PT403', 'You do not have permission to perform this action.', 'a read key cannot change a workspace');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok(format($$select edge_api.environment_statistics(%L, 'users', '2024-02-29', '2024-02-29')$$, :'org'),
  '42501', null, 'anon cannot call it');

select * from finish();
rollback;
