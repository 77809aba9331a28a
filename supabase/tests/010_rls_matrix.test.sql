-- RLS matrix of the tenancy tables: every table x (super_admin, admin, write, read, invited, outsider, anon) x
-- (select, insert, update, delete), plus the role-rank rules of org_users. A cell is the number of rows the
-- statement sees or changes, or 'denied' (SQLSTATE 42501: no privilege, or a row refused by a policy's WITH CHECK).
-- Selects are unfiltered, so a row of the other organization showing through would change the count.
begin;
select plan(123);

select tests.create_user(handle)
from unnest(array['t_super', 't_admin', 't_write', 't_read', 't_invited', 't_outsider', 't_target', 't_newbie', 't_stranger'])
  as handle;
select tests.create_org('t_super', 'Matrix org') as org \gset
select tests.add_member(:'org', 't_admin', 'admin');
select tests.add_member(:'org', 't_write', 'write');
select tests.add_member(:'org', 't_read', 'read');
select tests.add_member(:'org', 't_invited', 'invite_read');
select tests.add_member(:'org', 't_target', 'read');
-- 'Other org' exists only so that a leak across organizations shows in every count.
select tests.create_org('t_stranger', 'Other org') as other_org \gset
insert into public.apps (app_id, owner_org, name) values ('com.matrix.app', :'org', 'Matrix app'),
  ('com.other.app', :'other_org', 'Other app');
insert into public.apikeys (user_id, key_hash, key_prefix, mode)
select id, md5(email), 'tally_matrix', 'read' from auth.users where email like 't\_%@test.local';

select tests.user_id('t_read') as read_id, tests.user_id('t_newbie') as newbie_id, tests.user_id('t_target') as target_id,
  tests.user_id('t_super') as super_id \gset

-- The statement of each (table, operation); :org, :newbie and :target are substituted below.
create temporary table cases (tbl text, op text, statement text) on commit drop;
insert into cases values
  ('orgs', 'select', 'select * from public.orgs'),
  ('orgs', 'insert', 'insert into public.orgs (created_by, name, management_email) values (auth.uid(), ''x'', ''x@x.io'')'),
  ('orgs', 'update', 'update public.orgs set name = name where id = :org'),
  ('orgs', 'delete', 'delete from public.orgs where id = :org'),
  ('apps', 'select', 'select * from public.apps'),
  ('apps', 'insert', 'insert into public.apps (app_id, owner_org, name) values (''com.matrix.new'', :org, ''n'')'),
  ('apps', 'update', 'update public.apps set name = name where app_id = ''com.matrix.app'''),
  ('apps', 'delete', 'delete from public.apps where app_id = ''com.matrix.app'''),
  ('org_users', 'select', 'select * from public.org_users'),
  ('org_users', 'insert', 'insert into public.org_users (org_id, user_id, user_right) values (:org, :newbie, ''read'')'),
  ('org_users', 'update', 'update public.org_users set user_right = ''upload'' where user_id = :target'),
  ('org_users', 'delete', 'delete from public.org_users where user_id = :target'),
  ('apikeys', 'select', 'select * from public.apikeys'),
  ('apikeys', 'insert', 'insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (auth.uid(), md5(random()::text), ''x'', ''read'')'),
  ('apikeys', 'update', 'update public.apikeys set name = ''renamed'''),
  ('apikeys', 'delete', 'delete from public.apikeys');
update cases set statement = replace(replace(replace(statement, ':org', quote_literal(:'org')),
  ':newbie', quote_literal(tests.user_id('t_newbie'))), ':target', quote_literal(tests.user_id('t_target')));

create temporary table expected (actor text, handle text, tbl text, cells text[]) on commit drop;
insert into expected values
  ('super_admin', 't_super', 'orgs', '{1,denied,1,1}'), ('super_admin', 't_super', 'apps', '{1,1,1,1}'),
  ('super_admin', 't_super', 'org_users', '{6,1,1,1}'), ('super_admin', 't_super', 'apikeys', '{1,1,1,1}'),
  ('admin', 't_admin', 'orgs', '{1,denied,1,0}'), ('admin', 't_admin', 'apps', '{1,1,1,1}'),
  ('admin', 't_admin', 'org_users', '{6,1,1,1}'), ('admin', 't_admin', 'apikeys', '{1,1,1,1}'),
  ('write member', 't_write', 'orgs', '{1,denied,0,0}'), ('write member', 't_write', 'apps', '{1,1,1,0}'),
  ('write member', 't_write', 'org_users', '{6,denied,0,0}'), ('write member', 't_write', 'apikeys', '{1,1,1,1}'),
  ('read member', 't_read', 'orgs', '{1,denied,0,0}'), ('read member', 't_read', 'apps', '{1,denied,0,0}'),
  ('read member', 't_read', 'org_users', '{6,denied,0,0}'), ('read member', 't_read', 'apikeys', '{1,1,1,1}'),
  ('invited member', 't_invited', 'orgs', '{0,denied,0,0}'), ('invited member', 't_invited', 'apps', '{0,denied,0,0}'),
  ('invited member', 't_invited', 'org_users', '{1,denied,0,0}'), ('invited member', 't_invited', 'apikeys', '{1,1,1,1}'),
  ('outsider', 't_outsider', 'orgs', '{0,denied,0,0}'), ('outsider', 't_outsider', 'apps', '{0,denied,0,0}'),
  ('outsider', 't_outsider', 'org_users', '{0,denied,0,0}'), ('outsider', 't_outsider', 'apikeys', '{1,1,1,1}'),
  ('anon', null, 'orgs', '{denied,denied,denied,denied}'), ('anon', null, 'apps', '{denied,denied,denied,denied}'),
  ('anon', null, 'org_users', '{denied,denied,denied,denied}'), ('anon', null, 'apikeys', '{denied,denied,denied,denied}');
grant select on cases, expected to anon, authenticated;

-- Rows a statement returns or changes, undone afterwards (a subtransaction rolled back by a private SQLSTATE), so
-- that every cell starts from the same fixture. A refusal propagates as its own error.
create function pg_temp.rows_touched(statement text) returns bigint language plpgsql as $$
declare
  touched bigint;
begin
  begin
    if statement like 'select%' then
      execute format('select count(*) from (%s) as visible', statement) into touched;
    else
      execute statement;
      get diagnostics touched = row_count;
    end if;
    raise exception 'undo' using errcode = 'TUNDO';
  exception when sqlstate 'TUNDO' then
    return touched;
  end;
end
$$;
create function pg_temp.matrix(p_actor text) returns setof text language sql as $$
  select case when e.cells[o.n] = 'denied'
    then throws_ok(c.statement, '42501', null, format('%s: %s %s is denied', p_actor, c.op, c.tbl))
    else is(pg_temp.rows_touched(c.statement), e.cells[o.n]::bigint,
      format('%s: %s %s touches %s row(s)', p_actor, c.op, c.tbl, e.cells[o.n]))
  end
  from expected as e
  join unnest(array['select', 'insert', 'update', 'delete']) with ordinality as o (op, n) on true
  join cases as c on c.tbl = e.tbl and c.op = o.op
  where e.actor = p_actor
  order by e.tbl, o.n
$$;
grant execute on all functions in schema pg_temp to anon, authenticated;

select tests.authenticate_as('t_super');
select * from pg_temp.matrix('super_admin');
select tests.clear_authentication();
select tests.authenticate_as('t_admin');
select * from pg_temp.matrix('admin');
select tests.clear_authentication();
select tests.authenticate_as('t_write');
select * from pg_temp.matrix('write member');
select tests.clear_authentication();
select tests.authenticate_as('t_read');
select * from pg_temp.matrix('read member');
select tests.clear_authentication();
select tests.authenticate_as('t_invited');
select * from pg_temp.matrix('invited member');
select tests.clear_authentication();
select tests.authenticate_as('t_outsider');
select * from pg_temp.matrix('outsider');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select * from pg_temp.matrix('anon');
select tests.clear_authentication();

-- Role ranks: nobody grants, changes or removes a role above their own; members leave and invitees decline alone.
select tests.authenticate_as('t_super');
select throws_ok(format('insert into public.apikeys (user_id, key_hash, key_prefix, mode) values (%L, ''h'', ''x'', ''read'')',
  :'read_id'), '42501', null, 'super_admin: cannot create a key for another user');
select tests.clear_authentication();
select tests.authenticate_as('t_admin');
select is(pg_temp.rows_touched(format('insert into public.org_users (org_id, user_id, user_right) values (%L, %L, ''admin'')',
  :'org', :'newbie_id')), 1::bigint, 'admin: may grant its own role');
select throws_ok(format('insert into public.org_users (org_id, user_id, user_right) values (%L, %L, ''super_admin'')',
  :'org', :'newbie_id'), '42501', null, 'admin: cannot grant super_admin');
select throws_ok(format('insert into public.org_users (org_id, user_id, user_right) values (%L, %L, ''invite_super_admin'')',
  :'org', :'newbie_id'), '42501', null, 'admin: cannot invite as super_admin either');
select throws_ok(format('update public.org_users set user_right = ''super_admin'' where user_id = %L', :'target_id'),
  '42501', null, 'admin: cannot promote a member to super_admin');
select is(pg_temp.rows_touched(format('update public.org_users set user_right = ''read'' where user_id = %L', :'super_id')),
  0::bigint, 'admin: cannot change a super_admin''s row');
select is(pg_temp.rows_touched(format('delete from public.org_users where user_id = %L', :'super_id')), 0::bigint,
  'admin: cannot remove a super_admin');
select tests.clear_authentication();
select tests.authenticate_as('t_write');
select is(pg_temp.rows_touched('update public.org_users set user_right = ''admin'' where user_id = auth.uid()'), 0::bigint,
  'write member: cannot promote itself');
select tests.clear_authentication();
select tests.authenticate_as('t_read');
select is(pg_temp.rows_touched('delete from public.org_users where user_id = auth.uid()'), 1::bigint,
  'read member: may leave the organization');
select tests.clear_authentication();
select tests.authenticate_as('t_invited');
select is(pg_temp.rows_touched('delete from public.org_users where user_id = auth.uid()'), 1::bigint,
  'invited member: may decline the invitation');
select tests.clear_authentication();

-- Every cell is undone: the fixture is intact after the matrix.
select results_eq($$
  select u.email::text, m.user_right::text, o.name, (select count(*) from public.apps where owner_org = o.id)
  from public.org_users as m join auth.users as u on u.id = m.user_id join public.orgs as o on o.id = m.org_id
  where u.email like 't\_%@test.local'
  order by 1
$$, $$values ('t_admin@test.local', 'admin', 'Matrix org', 1::bigint), ('t_invited@test.local', 'invite_read', 'Matrix org', 1),
  ('t_read@test.local', 'read', 'Matrix org', 1), ('t_stranger@test.local', 'super_admin', 'Other org', 1),
  ('t_super@test.local', 'super_admin', 'Matrix org', 1), ('t_target@test.local', 'read', 'Matrix org', 1),
  ('t_write@test.local', 'write', 'Matrix org', 1)$$,
  'the fixture is intact after the matrix');

select * from finish();
rollback;
