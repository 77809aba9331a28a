-- RLS matrix of the tenancy tables (orgs, apps, org_users, apikeys) x actors (super_admin, admin, write, read,
-- invited, outsider, anon) x (select, insert, update, delete), plus the role-rank rules of org_users.
-- Policies filter silently: a refused UPDATE or DELETE changes 0 rows, a refused INSERT (or UPDATE ... WITH CHECK)
-- raises 42501. anon has no table privilege at all, so every statement of anon raises 42501.
begin;
select plan(123);

-- Fixtures. 'Other org' exists only so that a leak across organizations would show in every select.
create temporary table ids (name text primary key, id uuid not null);
insert into ids
select handle, tests.create_user(handle)
from unnest(array['m_super', 'm_admin', 'm_write', 'm_read', 'm_invited', 'm_outsider', 'm_target', 'm_newbie',
  'm_stranger']) as handle;
insert into ids values ('Matrix org', tests.create_org('m_super', 'Matrix org')), ('Other org', tests.create_org('m_stranger', 'Other org'));
select tests.add_member(id, 'm_admin', 'admin') from ids where name = 'Matrix org';
select tests.add_member(id, 'm_write', 'write') from ids where name = 'Matrix org';
select tests.add_member(id, 'm_read', 'read') from ids where name = 'Matrix org';
select tests.add_member(id, 'm_invited', 'invite_read') from ids where name = 'Matrix org';
-- m_target is the member whose row the org_users update/delete cells aim at.
select tests.add_member(id, 'm_target', 'read') from ids where name = 'Matrix org';
insert into public.apps (app_id, owner_org, name)
select 'com.matrix.app', id, 'Matrix app' from ids where name = 'Matrix org'
union all select 'com.other.app', id, 'Other app' from ids where name = 'Other org';
-- One key per user, named after its owner, so that a select shows whose keys leak.
insert into public.apikeys (user_id, key_hash, key_prefix, name, mode)
select id, md5(name), 'tally_matrix', name, 'read' from ids where name like 'm\_%';

create function pg_temp.id(p_name text) returns uuid language sql stable as $$ select id from ids where name = p_name $$;

-- Rows a write statement changes, undone at once (a private SQLSTATE rolls back the subtransaction) so that every
-- cell starts from the same fixture. Any other error, such as a policy refusal, propagates.
create function pg_temp.affected(statement text) returns bigint language plpgsql as $$
declare
  n bigint;
begin
  begin
    execute statement;
    get diagnostics n = row_count;
    raise exception 'undo' using errcode = 'TUNDO';
  exception when sqlstate 'TUNDO' then
    return n;
  end;
end
$$;
-- anon too: its statements must fail on the public table, not on these helpers.
grant select on ids to authenticated, anon;
grant execute on function pg_temp.id(text), pg_temp.affected(text) to authenticated, anon;

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as('m_super');
select results_eq($$select name from public.orgs$$, array['Matrix org'], 'super_admin: select orgs sees its org only');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'super_admin: insert orgs is denied (org_create only)');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 1::bigint,
  'super_admin: update orgs changes its org');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 1::bigint,
  'super_admin: delete orgs deletes its org');
select results_eq($$select app_id from public.apps$$, array['com.matrix.app'], 'super_admin: select apps sees its org''s app only');
select is(pg_temp.affected($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$),
  1::bigint, 'super_admin: insert apps creates an app');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 1::bigint,
  'super_admin: update apps changes the app');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 1::bigint,
  'super_admin: delete apps deletes the app');
select results_eq($$select i.name from public.org_users as m join ids as i on i.id = m.user_id order by 1$$,
  array['m_admin', 'm_invited', 'm_read', 'm_super', 'm_target', 'm_write'], 'super_admin: select org_users sees its org''s members');
select is(pg_temp.affected($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'super_admin')$$),
  1::bigint, 'super_admin: insert org_users may grant super_admin');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 1::bigint,
  'super_admin: update org_users changes a member');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 1::bigint,
  'super_admin: delete org_users removes a member');
select results_eq($$select name from public.apikeys$$, array['m_super'], 'super_admin: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'super_admin: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'super_admin: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'super_admin: delete apikeys deletes its own key only');
select throws_ok($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (pg_temp.id('m_read'), 'new hash', 'tally_new', 'read')$$,
  '42501', 'new row violates row-level security policy for table "apikeys"', 'super_admin: cannot create a key for another user');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as('m_admin');
select results_eq($$select name from public.orgs$$, array['Matrix org'], 'admin: select orgs sees its org only');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'admin: insert orgs is denied');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 1::bigint,
  'admin: update orgs changes its org');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'admin: delete orgs deletes nothing (super_admin only)');
select results_eq($$select app_id from public.apps$$, array['com.matrix.app'], 'admin: select apps sees its org''s app only');
select is(pg_temp.affected($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$),
  1::bigint, 'admin: insert apps creates an app');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 1::bigint,
  'admin: update apps changes the app');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 1::bigint, 'admin: delete apps deletes the app');
select results_eq($$select i.name from public.org_users as m join ids as i on i.id = m.user_id order by 1$$,
  array['m_admin', 'm_invited', 'm_read', 'm_super', 'm_target', 'm_write'], 'admin: select org_users sees its org''s members');
select is(pg_temp.affected($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$),
  1::bigint, 'admin: insert org_users adds a member');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 1::bigint,
  'admin: update org_users changes a member');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 1::bigint,
  'admin: delete org_users removes a member');
select results_eq($$select name from public.apikeys$$, array['m_admin'], 'admin: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'admin: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'admin: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'admin: delete apikeys deletes its own key only');
-- Rank: an admin grants and touches roles up to its own, never above.
select is(pg_temp.affected($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'admin')$$),
  1::bigint, 'admin: may grant its own role');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'super_admin')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'admin: cannot grant super_admin');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'invite_super_admin')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'admin: cannot invite as super_admin either');
select throws_ok($$update public.org_users set user_right = 'super_admin' where user_id = pg_temp.id('m_target')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'admin: cannot promote a member to super_admin');
select is(pg_temp.affected($$update public.org_users set user_right = 'read' where user_id = pg_temp.id('m_super')$$), 0::bigint,
  'admin: cannot change a super_admin''s row');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_super')$$), 0::bigint,
  'admin: cannot remove a super_admin');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as('m_write');
select results_eq($$select name from public.orgs$$, array['Matrix org'], 'write member: select orgs sees its org only');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'write member: insert orgs is denied');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'write member: update orgs changes nothing (admin only)');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'write member: delete orgs deletes nothing');
select results_eq($$select app_id from public.apps$$, array['com.matrix.app'], 'write member: select apps sees its org''s app only');
select is(pg_temp.affected($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$),
  1::bigint, 'write member: insert apps creates an app');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 1::bigint,
  'write member: update apps changes the app');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 0::bigint,
  'write member: delete apps deletes nothing (admin only)');
select results_eq($$select i.name from public.org_users as m join ids as i on i.id = m.user_id order by 1$$,
  array['m_admin', 'm_invited', 'm_read', 'm_super', 'm_target', 'm_write'], 'write member: select org_users sees its org''s members');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'write member: insert org_users is denied');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'write member: update org_users changes nothing');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'write member: delete org_users removes nobody');
select results_eq($$select name from public.apikeys$$, array['m_write'], 'write member: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'write member: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'write member: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'write member: delete apikeys deletes its own key only');
select is(pg_temp.affected($$update public.org_users set user_right = 'admin' where user_id = auth.uid()$$), 0::bigint,
  'write member: cannot promote itself');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as('m_read');
select results_eq($$select name from public.orgs$$, array['Matrix org'], 'read member: select orgs sees its org only');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'read member: insert orgs is denied');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'read member: update orgs changes nothing');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'read member: delete orgs deletes nothing');
select results_eq($$select app_id from public.apps$$, array['com.matrix.app'], 'read member: select apps sees its org''s app only');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$,
  '42501', 'new row violates row-level security policy for table "apps"', 'read member: insert apps is denied');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 0::bigint,
  'read member: update apps changes nothing');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 0::bigint,
  'read member: delete apps deletes nothing');
select results_eq($$select i.name from public.org_users as m join ids as i on i.id = m.user_id order by 1$$,
  array['m_admin', 'm_invited', 'm_read', 'm_super', 'm_target', 'm_write'], 'read member: select org_users sees its org''s members');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'read member: insert org_users is denied');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'read member: update org_users changes nothing');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'read member: delete org_users removes nobody else');
select results_eq($$select name from public.apikeys$$, array['m_read'], 'read member: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'read member: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'read member: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'read member: delete apikeys deletes its own key only');
select is(pg_temp.affected($$delete from public.org_users where user_id = auth.uid()$$), 1::bigint,
  'read member: may leave the organization (delete its own membership)');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
-- An invitation grants nothing: only the invitation row itself is visible (and can be declined).
select tests.authenticate_as('m_invited');
select is_empty($$select * from public.orgs$$, 'invited member: select orgs sees nothing');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'invited member: insert orgs is denied');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'invited member: update orgs changes nothing');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'invited member: delete orgs deletes nothing');
select is_empty($$select * from public.apps$$, 'invited member: select apps sees nothing');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$,
  '42501', 'new row violates row-level security policy for table "apps"', 'invited member: insert apps is denied');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 0::bigint,
  'invited member: update apps changes nothing');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 0::bigint,
  'invited member: delete apps deletes nothing');
select results_eq($$select i.name from public.org_users as m join ids as i on i.id = m.user_id$$, array['m_invited'],
  'invited member: select org_users sees its own invitation only');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'invited member: insert org_users is denied');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'invited member: update org_users changes nothing');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'invited member: delete org_users removes nobody else');
select results_eq($$select name from public.apikeys$$, array['m_invited'], 'invited member: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'invited member: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'invited member: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'invited member: delete apikeys deletes its own key only');
select is(pg_temp.affected($$delete from public.org_users where user_id = auth.uid()$$), 1::bigint,
  'invited member: may decline (delete its own invitation)');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as('m_outsider');
select is_empty($$select * from public.orgs$$, 'outsider: select orgs sees nothing');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (auth.uid(), 'New', 'n@test.local')$$,
  '42501', 'new row violates row-level security policy for table "orgs"', 'outsider: insert orgs is denied');
select is(pg_temp.affected($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'outsider: update orgs changes nothing');
select is(pg_temp.affected($$delete from public.orgs where id = pg_temp.id('Matrix org')$$), 0::bigint,
  'outsider: delete orgs deletes nothing');
select is_empty($$select * from public.apps$$, 'outsider: select apps sees nothing');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$,
  '42501', 'new row violates row-level security policy for table "apps"', 'outsider: insert apps is denied');
select is(pg_temp.affected($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$), 0::bigint,
  'outsider: update apps changes nothing');
select is(pg_temp.affected($$delete from public.apps where app_id = 'com.matrix.app'$$), 0::bigint,
  'outsider: delete apps deletes nothing');
select is_empty($$select * from public.org_users$$, 'outsider: select org_users sees nothing');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$,
  '42501', 'new row violates row-level security policy for table "org_users"', 'outsider: insert org_users is denied');
select is(pg_temp.affected($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'outsider: update org_users changes nothing');
select is(pg_temp.affected($$delete from public.org_users where user_id = pg_temp.id('m_target')$$), 0::bigint,
  'outsider: delete org_users removes nobody');
select results_eq($$select name from public.apikeys$$, array['m_outsider'], 'outsider: select apikeys sees its own key only');
select is(pg_temp.affected($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), 'new hash', 'tally_new', 'read')$$),
  1::bigint, 'outsider: insert apikeys creates its own key');
select is(pg_temp.affected($$update public.apikeys set name = 'renamed'$$), 1::bigint, 'outsider: update apikeys changes its own key only');
select is(pg_temp.affected($$delete from public.apikeys$$), 1::bigint, 'outsider: delete apikeys deletes its own key only');
select tests.clear_authentication();

-- ---------------------------------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select throws_ok($$select * from public.orgs$$, '42501', 'permission denied for table orgs', 'anon: select orgs is denied');
select throws_ok($$insert into public.orgs (created_by, name, management_email) values (pg_temp.id('m_super'), 'New', 'n@test.local')$$,
  '42501', 'permission denied for table orgs', 'anon: insert orgs is denied');
select throws_ok($$update public.orgs set name = 'Renamed' where id = pg_temp.id('Matrix org')$$,
  '42501', 'permission denied for table orgs', 'anon: update orgs is denied');
select throws_ok($$delete from public.orgs where id = pg_temp.id('Matrix org')$$,
  '42501', 'permission denied for table orgs', 'anon: delete orgs is denied');
select throws_ok($$select * from public.apps$$, '42501', 'permission denied for table apps', 'anon: select apps is denied');
select throws_ok($$insert into public.apps (app_id, owner_org, name) values ('com.matrix.new', pg_temp.id('Matrix org'), 'New')$$,
  '42501', 'permission denied for table apps', 'anon: insert apps is denied');
select throws_ok($$update public.apps set name = 'Renamed' where app_id = 'com.matrix.app'$$,
  '42501', 'permission denied for table apps', 'anon: update apps is denied');
select throws_ok($$delete from public.apps where app_id = 'com.matrix.app'$$,
  '42501', 'permission denied for table apps', 'anon: delete apps is denied');
select throws_ok($$select * from public.org_users$$, '42501', 'permission denied for table org_users', 'anon: select org_users is denied');
select throws_ok($$insert into public.org_users (org_id, user_id, user_right) values (pg_temp.id('Matrix org'), pg_temp.id('m_newbie'), 'read')$$,
  '42501', 'permission denied for table org_users', 'anon: insert org_users is denied');
select throws_ok($$update public.org_users set user_right = 'upload' where user_id = pg_temp.id('m_target')$$,
  '42501', 'permission denied for table org_users', 'anon: update org_users is denied');
select throws_ok($$delete from public.org_users where user_id = pg_temp.id('m_target')$$,
  '42501', 'permission denied for table org_users', 'anon: delete org_users is denied');
select throws_ok($$select * from public.apikeys$$, '42501', 'permission denied for table apikeys', 'anon: select apikeys is denied');
select throws_ok($$insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (pg_temp.id('m_super'), 'new hash', 'tally_new', 'read')$$,
  '42501', 'permission denied for table apikeys', 'anon: insert apikeys is denied');
select throws_ok($$update public.apikeys set name = 'renamed'$$, '42501', 'permission denied for table apikeys',
  'anon: update apikeys is denied');
select throws_ok($$delete from public.apikeys$$, '42501', 'permission denied for table apikeys', 'anon: delete apikeys is denied');
select tests.clear_authentication();

-- The cells above are only comparable if each one started from the fixture: check that nothing was left behind.
select results_eq($$
  select i.name, m.user_right::text, o.name, (select count(*) from public.apps where owner_org = o.id)
  from public.org_users as m join ids as i on i.id = m.user_id join public.orgs as o on o.id = m.org_id
  order by 1
$$, $$values ('m_admin', 'admin', 'Matrix org', 1::bigint), ('m_invited', 'invite_read', 'Matrix org', 1),
  ('m_read', 'read', 'Matrix org', 1), ('m_stranger', 'super_admin', 'Other org', 1), ('m_super', 'super_admin', 'Matrix org', 1),
  ('m_target', 'read', 'Matrix org', 1), ('m_write', 'write', 'Matrix org', 1)$$,
  'the fixture is intact after the matrix');

select * from finish();
rollback;
