-- API keys act as their owner but never above their mode (the lesser of mode and role) and never outside their
-- org and app limits; then the membership, org, app and key functions that RLS alone does not express.
begin;
select plan(49);

-- lim_owner is super_admin of both orgs, so that whatever a key cannot do comes from the key, not the role.
select tests.create_user(handle)
from unnest(array['lim_owner', 'lim_reader', 'lim_admin', 'lim_invitee', 'lim_stranger', 'lim_leaver_a', 'lim_leaver_r']) as handle;
select tests.create_org('lim_owner', 'Org A') as org_a \gset
select tests.create_org('lim_owner', 'Org B') as org_b \gset
select tests.add_member(:'org_a', 'lim_reader', 'read');
select tests.add_member(:'org_a', 'lim_admin', 'admin');
select tests.add_member(:'org_a', 'lim_leaver_a', 'read');
select tests.add_member(:'org_b', 'lim_leaver_a', 'read');
select tests.add_member(:'org_a', 'lim_leaver_r', 'read');
insert into public.apps (app_id, owner_org, name) values
  ('com.lim.x', :'org_a', 'X'), ('com.lim.y', :'org_a', 'Y'), ('com.lim.b', :'org_b', 'B');
-- The owner's keys, named after their limits; which of them a key may see depends on these limits.
insert into public.apikeys (user_id, key_hash, key_prefix, name, mode, limited_to_orgs, limited_to_apps) values
  (tests.user_id('lim_owner'), md5('unlimited'), 'tally_unlimi', 'unlimited', 'all', '{}', '{}'),
  (tests.user_id('lim_owner'), md5('org a'), 'tally_org_a_', 'org A', 'read', array[:'org_a']::uuid[], '{}'),
  (tests.user_id('lim_owner'), md5('org a app x'), 'tally_org_ax', 'org A app x', 'read', array[:'org_a']::uuid[], '{com.lim.x}'),
  (tests.user_id('lim_owner'), md5('org b'), 'tally_org_b_', 'org B', 'read', array[:'org_b']::uuid[], '{}'),
  (tests.user_id('lim_owner'), md5('orgs a b'), 'tally_org_ab', 'orgs A B', 'read', array[:'org_a', :'org_b']::uuid[], '{}');

-- ---------------------------------------------------------------------------------------------------------------
-- Mode ceiling. Each refusal comes with a row the key can see, so it is the mode that refuses.
select tests.authenticate_with_key('lim_owner', 'read');
select results_eq($$select name from public.orgs order by 1$$, array['Org A', 'Org B'], 'a read key of a super_admin reads both orgs');
select throws_ok(format($$insert into public.apps (app_id, owner_org, name) values ('com.lim.ro', %L, 'x')$$, :'org_a'),
  '42501', 'new row violates row-level security policy for table "apps"', 'a read key of a super_admin cannot create an app');
select is_empty($$update public.orgs set logo = 'https://x.test/l.png' where name = 'Org A' returning 1$$,
  'a read key of a super_admin cannot update the org');
select is_empty($$select * from public.apikeys$$, 'a read key sees no API keys at all');
select tests.clear_authentication();

select tests.authenticate_with_key('lim_owner', 'write');
select lives_ok(format($$insert into public.apps (app_id, owner_org, name) values ('com.lim.new', %L, 'New')$$, :'org_a'),
  'a write key of a super_admin creates an app');
select is_empty($$delete from public.apps where app_id = 'com.lim.x' returning 1$$, 'a write key cannot delete an app (admin)');
select tests.clear_authentication();
select results_eq($$select app_id from public.apps where app_id in ('com.lim.new', 'com.lim.x') order by 1$$,
  array['com.lim.new', 'com.lim.x'], 'the write key''s app exists and the app it tried to delete is still there');

select tests.authenticate_with_key('lim_reader', 'all');
select throws_ok(format($$insert into public.apps (app_id, owner_org, name) values ('com.lim.rd', %L, 'x')$$, :'org_a'),
  '42501', 'new row violates row-level security policy for table "apps"', 'an all key of a read member cannot create an app');
select is_empty($$update public.orgs set logo = 'https://x.test/l.png' where name = 'Org A' returning 1$$,
  'an all key of a read member cannot update the org: the lesser of mode and role');
select tests.clear_authentication();

select tests.authenticate_with_key('lim_owner', 'all');
select results_eq($$update public.orgs set logo = 'https://x.test/l.png' where name = 'Org A' returning name$$, array['Org A'],
  'an all key of a super_admin updates the org: mode all caps nothing');
select tests.clear_authentication();

-- Leaving an org is a write like any other: a read key must not remove its owner's memberships.
select tests.authenticate_with_key('lim_leaver_r', 'read');
select is_empty($$delete from public.org_users where user_id = auth.uid() returning 1$$,
  'a read key cannot delete its owner''s membership');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
-- Org limits: a key limited to org A, of a user who is super_admin of A and B.
select tests.authenticate_with_key('lim_owner', 'all', array[:'org_a']::uuid[]);
select results_eq($$select name from public.orgs$$, array['Org A'], 'a key limited to org A sees org A only');
-- com.lim.new is the app the write key created above.
select results_eq($$select app_id from public.apps order by 1$$, array['com.lim.new', 'com.lim.x', 'com.lim.y'],
  'and the apps of org A only');
select is_empty(format('select * from public.org_users where org_id = %L', :'org_b'), 'and no member of org B');
select is_empty($$update public.orgs set logo = 'https://x.test/l.png' where name = 'Org B' returning 1$$, 'it cannot update org B');
select throws_ok(format($$insert into public.apps (app_id, owner_org, name) values ('com.lim.inb', %L, 'x')$$, :'org_b'),
  '42501', 'new row violates row-level security policy for table "apps"', 'nor create an app in org B');
select results_eq($$select name from public.apikeys order by 1$$, array['org A', 'org A app x'],
  'an all key limited to org A sees only the keys limited (non-empty) within org A');
select throws_ok($$select edge_api.org_create('Sneaky')$$, 'PT403',
  'Creating an organization needs a key of mode write or all without org or app limits', 'a key limited to an org cannot create organizations');
select tests.clear_authentication();

-- Without a WHERE clause the select policy does not filter a DELETE, so this reaches every row the delete policy allows.
select tests.authenticate_with_key('lim_leaver_a', 'all', array[:'org_a']::uuid[]);
select lives_ok($$delete from public.org_users$$, 'a key limited to org A may remove its owner from org A');
select tests.clear_authentication();
select results_eq(format('select org_id from public.org_users where user_id = %L', tests.user_id('lim_leaver_a')), array[:'org_b']::uuid[],
  'but its owner is still a member of org B, out of the key''s reach');

-- ---------------------------------------------------------------------------------------------------------------
-- App limits: a key limited to app com.lim.x reaches that app, and the org row of its org, but nothing org-wide.
select tests.authenticate_with_key('lim_owner', 'all', '{}', array['com.lim.x']);
select results_eq($$select app_id from public.apps$$, array['com.lim.x'], 'a key limited to an app sees that app only');
select throws_ok(format($$insert into public.apps (app_id, owner_org, name) values ('com.lim.z', %L, 'x')$$, :'org_a'),
  '42501', 'new row violates row-level security policy for table "apps"', 'and cannot create other apps');
select results_eq($$select user_id = auth.uid(), org_id from public.org_users$$, format('values (true, %L::uuid)', :'org_a'),
  'it sees no other member, only its owner''s own row in the app''s org');
select results_eq($$select name from public.orgs$$, array['Org A'], 'it sees the org row of its app''s org');
select is_empty($$update public.orgs set logo = 'https://x.test/l.png' where name = 'Org A' returning 1$$,
  'but cannot update that org');
select tests.clear_authentication();

select tests.authenticate_as('lim_owner');
select results_eq($$select name from public.apikeys order by 1$$, array['org A', 'org A app x', 'org B', 'orgs A B', 'unlimited'],
  'signed in, the owner sees all its keys');
select tests.clear_authentication();

-- An all key limited to apps sees the keys whose app limits its own contain: not a key of another app of the org.
insert into public.apikeys (user_id, key_hash, key_prefix, name, mode, limited_to_orgs, limited_to_apps) values
  (tests.user_id('lim_owner'), md5('org a app y'), 'tally_org_ay', 'org A app y', 'read', array[:'org_a']::uuid[], '{com.lim.y}'),
  (tests.user_id('lim_owner'), md5('org a apps x y'), 'tally_org_xy', 'org A apps x y', 'read', array[:'org_a']::uuid[],
    '{com.lim.x,com.lim.y}');
select tests.authenticate_with_key('lim_owner', 'all', '{}', array['com.lim.x']);
select results_eq($$select name from public.apikeys order by 1$$, array['org A app x'],
  'an all key limited to app x sees the key limited to app x, not those reaching app y');
select tests.clear_authentication();
select tests.authenticate_with_key('lim_owner', 'all', '{}', array['com.lim.x', 'com.lim.y']);
select results_eq($$select name from public.apikeys order by 1$$, array['org A app x', 'org A app y', 'org A apps x y'],
  'an all key limited to apps x and y sees the keys within them');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
-- Organizations and members through the API.
select tests.authenticate_as('lim_stranger');
select is(edge_api.org_create('Fresh org') ->> 'status', 'Organization created', 'a signed-in user creates an organization');
select results_eq($$select o.name, m.user_right::text from public.orgs as o join public.org_users as m on m.org_id = o.id$$,
  $$values ('Fresh org', 'super_admin')$$, 'and is its super_admin');
select tests.clear_authentication();
select id as fresh_org from public.orgs where name = 'Fresh org' \gset

select tests.authenticate_as('lim_admin');
select is(edge_api.org_member_invite(:'org_a', 'lim_invitee@test.local', 'write'), '{"status": "OK"}'::jsonb, 'an admin invites a user as write');
select tests.clear_authentication();
select is((select user_right::text from public.org_users where user_id = tests.user_id('lim_invitee')), 'invite_write',
  'the invitation is stored as invite_write');

select tests.authenticate_as('lim_invitee');
select is(private.has_right(:'org_a', 'read'), false, 'before accepting, the invitee has no right');
select is_empty($$select * from public.orgs$$, 'and cannot see the org');
select is(edge_api.org_member_accept(:'org_a'), '{"status": "OK"}'::jsonb, 'the invitee accepts');
select results_eq($$select name from public.orgs$$, array['Org A'], 'and now sees the org');
select tests.clear_authentication();
select is((select user_right::text from public.org_users where user_id = tests.user_id('lim_invitee')), 'write',
  'the invitation became the write role');

select tests.authenticate_as('lim_owner');
select throws_ok(format('select edge_api.org_member_delete(%L, %L)', :'org_a', 'lim_owner@test.local'), 'PT409',
  'Cannot remove the last super_admin of an organization', 'the last super_admin cannot be removed');
select tests.clear_authentication();
select tests.authenticate_as('lim_admin');
select throws_ok(format('select edge_api.org_member_delete(%L, %L)', :'org_a', 'lim_owner@test.local'), 'PT403',
  'Removing a member requires the admin role, and a role at least as high as theirs', 'an admin cannot remove a super_admin');
select tests.clear_authentication();

select tests.authenticate_as('lim_stranger');
select throws_ok(format('select edge_api.app_create(%L, %L, %L)', :'fresh_org', 'com.lim.x', 'Dup'), 'PT409',
  'App com.lim.x already exists', 'app ids are global: an id taken in another org is a conflict');
select throws_ok(format('select edge_api.org_get(%L)', :'org_a'), 'PT404', 'Organization not found',
  'an organization the caller cannot see is not found');

-- ---------------------------------------------------------------------------------------------------------------
-- Key secrets: shown once, stored as a hash only; resolving one refuses unknown and expired keys.
select edge_api.apikey_create('read', null, 'fresh key') -> 'apikey' ->> 'key' as secret \gset
select tests.clear_authentication();
select matches(:'secret'::text, '^tally_', 'the secret starts with tally_');
select cmp_ok(length(:'secret'::text), '>=', 40, 'the secret has at least 40 characters');
select is((select key_hash from public.apikeys where name = 'fresh key'), private.secret_hash(:'secret'), 'its hash is stored');
select is_empty(format('select * from public.apikeys as k where position(%L in to_jsonb(k)::text) > 0', :'secret'),
  'no column of any key holds the secret');
select is(private.apikey_claims(:'secret') ->> 'sub', tests.user_id('lim_stranger')::text, 'the secret resolves to its owner');
select is(private.apikey_claims(:'secret') ->> 'key_mode', 'read', 'with the key''s mode');
select is(private.apikey_claims('tally_' || repeat('0', 43)), null::jsonb, 'an unknown secret resolves to nothing');
update public.apikeys set expires_at = now() - interval '1 second' where name = 'fresh key';
select is(private.apikey_claims(:'secret'), null::jsonb, 'an expired key resolves to nothing');

select * from finish();
rollback;
