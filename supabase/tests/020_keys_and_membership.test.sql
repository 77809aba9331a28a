-- API keys: the effective right is the lesser of the key's mode and the owner's role, and never reaches outside the
-- key's org and app limits. Plus the membership and key functions that RLS alone cannot express.
begin;
select plan(31);

select tests.create_user(handle) from unnest(array['k_owner', 'k_reader', 'k_admin', 'k_invitee', 'k_stranger']) as handle;
select tests.create_org('k_owner', 'Org A') as org_a \gset
select tests.create_org('k_owner', 'Org B') as org_b \gset
select tests.add_member(:'org_a', 'k_reader', 'read');
select tests.add_member(:'org_a', 'k_admin', 'admin');
insert into public.apps (app_id, owner_org, name) values ('com.keys.one', :'org_a', 'One'), ('com.keys.two', :'org_a', 'Two'),
  ('com.keys.bee', :'org_b', 'Bee');
insert into public.apikeys (user_id, key_hash, key_prefix, mode, limited_to_orgs) values
  (tests.user_id('k_owner'), md5('unlimited'), 'tally_unlimi', 'all', '{}'),
  (tests.user_id('k_owner'), md5('org a'), 'tally_org_a_', 'read', array[:'org_a']::uuid[]),
  (tests.user_id('k_owner'), md5('org b'), 'tally_org_b_', 'read', array[:'org_b']::uuid[]);

-- Mode caps role.
select tests.authenticate_with_key('k_owner', 'read');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.keys.ro', $$ || quote_literal(:'org_a') || $$, 'x')$$,
  '42501', null, 'a read key of a super_admin cannot create an app');
select is_empty($$update public.orgs set name = 'x' returning 1$$, 'a read key of a super_admin cannot update the org');
select is_empty($$select * from public.apikeys$$, 'a read key sees no API keys');
select tests.clear_authentication();
select tests.authenticate_with_key('k_owner', 'write');
select lives_ok($$insert into public.apps (app_id, owner_org, name) values ('com.keys.rw', $$ || quote_literal(:'org_a') || $$, 'x')$$,
  'a write key of a super_admin creates an app');
select is_empty($$delete from public.apps where app_id = 'com.keys.one' returning 1$$, 'a write key cannot delete an app (admin)');
select tests.clear_authentication();
select tests.authenticate_with_key('k_reader', 'all');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.keys.rd', $$ || quote_literal(:'org_a') || $$, 'x')$$,
  '42501', null, 'an all key of a read member still cannot write: the lesser of mode and role');
select tests.clear_authentication();

-- Org limits.
select tests.authenticate_with_key('k_owner', 'all', array[:'org_a']::uuid[]);
select results_eq($$select name from public.orgs$$, $$values ('Org A')$$, 'a key limited to org A sees only org A');
select is_empty($$select * from public.apps where app_id = 'com.keys.bee'$$, 'nor the apps of org B');
select results_eq($$select key_prefix from public.apikeys order by key_prefix$$, $$values ('tally_org_a_')$$,
  'an all key limited to org A sees only keys limited within org A');
select throws_ok($$select public.org_create('Sneaky')$$, 'PT403', null, 'a key limited to an org cannot create organizations');
select tests.clear_authentication();

-- App limits.
select tests.authenticate_with_key('k_owner', 'all', '{}', array['com.keys.one']);
select results_eq($$select app_id from public.apps$$, $$values ('com.keys.one')$$, 'a key limited to an app sees that app only');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.keys.new', $$ || quote_literal(:'org_a') || $$, 'x')$$,
  '42501', null, 'and cannot create other apps');
select results_eq($$select name from public.orgs$$, $$values ('Org A')$$, 'it sees the org of its app');
select is_empty($$update public.orgs set name = 'x' returning 1$$, 'but nothing org-wide: no org update');
select results_eq($$select count(*)::int from public.org_users$$, $$values (1)$$, 'and no member list, only its own row');
select tests.clear_authentication();

-- Invitations grant nothing until accepted.
select tests.authenticate_as('k_admin');
select is(public.org_member_invite(:'org_a', 'k_invitee@test.local', 'write'), '{"status": "OK"}'::jsonb, 'an admin invites');
select throws_ok(format('select public.org_member_invite(%L, %L, %L)', :'org_a', 'k_stranger@test.local', 'super_admin'),
  'PT403', null, 'an admin cannot grant super_admin');
select tests.clear_authentication();
select is((select user_right::text from public.org_users where user_id = tests.user_id('k_invitee')), 'invite_write',
  'the invitation is stored as invite_write');
select tests.authenticate_as('k_invitee');
select is_empty($$select * from public.orgs$$, 'the invitee sees no org before accepting');
select is(private.has_right(:'org_a', 'read'), false, 'and has no right');
select is(public.org_member_accept(:'org_a'), '{"status": "OK"}'::jsonb, 'the invitee accepts');
select is(private.caller_right(:'org_a'), 'write'::public.user_min_right, 'and now has the write role');
select tests.clear_authentication();

-- Removing members.
select tests.authenticate_as('k_admin');
select throws_ok(format('select public.org_member_delete(%L, %L)', :'org_a', 'k_owner@test.local'), 'PT403', null,
  'an admin cannot remove a super_admin');
select tests.clear_authentication();
select tests.authenticate_as('k_owner');
select throws_ok(format('select public.org_member_delete(%L, %L)', :'org_a', 'k_owner@test.local'), 'PT409',
  'Cannot remove the last super_admin of an organization', 'the last super_admin stays');
select throws_ok(format('select public.app_create(%L, %L, %L)', :'org_b', 'com.keys.one', 'Dup'), 'PT409', null,
  'app ids are global: the same id in another org is a conflict');
select tests.clear_authentication();
select tests.authenticate_as('k_stranger');
select throws_ok(format('select public.org_get(%L)', :'org_a'), 'PT404', 'Organization not found',
  'an organization you cannot see is not found');
select (public.apikey_create('read') -> 'apikey' ->> 'key') as secret \gset
select tests.clear_authentication();

-- Secrets: only a hash is stored; resolution refuses unknown and expired keys.
select matches(:'secret'::text, '^tally_[A-Za-z0-9_-]{43}$', 'a key secret is tally_ and 256 random bits');
select is((select count(*)::int from public.apikeys where key_hash = private.secret_hash(:'secret')
  and position(:'secret' in to_jsonb(apikeys)::text) = 0), 1, 'only its hash is stored');
select is(private.apikey_claims(:'secret') ->> 'sub', tests.user_id('k_stranger')::text, 'the secret resolves to its owner');
select is(private.apikey_claims('tally_unknown'), null::jsonb, 'an unknown secret resolves to nothing');
update public.apikeys set expires_at = now() - interval '1 second' where key_hash = private.secret_hash(:'secret');
select is(private.apikey_claims(:'secret'), null::jsonb, 'an expired key resolves to nothing');

select * from finish();
rollback;
