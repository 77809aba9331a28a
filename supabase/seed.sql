-- LOCAL ONLY demo data (npm run dev). The demo key's secret is public: never seed this into a hosted project.
-- Idempotent: a second start adds nothing.
insert into auth.users (id, email, raw_user_meta_data, email_confirmed_at)
values
  ('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'demo@tally.local', '{"name": "Demo User"}', now()),
  ('1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', 'invitee@tally.local', '{"name": "Invitee"}', now())
on conflict (id) do nothing;

insert into public.orgs (id, created_by, name, management_email)
values ('7c6b2a10-4d3e-4f5a-9b8c-1d2e3f4a5b6c', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'Demo Org', 'demo@tally.local')
on conflict (id) do nothing;

insert into public.org_users (org_id, user_id, user_right)
values ('7c6b2a10-4d3e-4f5a-9b8c-1d2e3f4a5b6c', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'super_admin')
on conflict (org_id, user_id) do nothing;

insert into public.apps (app_id, owner_org, name)
values ('com.demo.app', '7c6b2a10-4d3e-4f5a-9b8c-1d2e3f4a5b6c', 'Demo App')
on conflict (app_id) do nothing;

insert into public.apikeys (user_id, key_hash, key_prefix, name, mode)
values (
  '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  private.secret_hash('tally_local-demo-key-NOT-SECRET-do-not-deploy'),
  'tally_local-',
  'Local demo key',
  'all'
)
on conflict (key_hash) do nothing;
