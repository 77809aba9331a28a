import assert from "node:assert/strict";
import { createKey, createOrgWithKey, createUser, invoke, test } from "../../../shared/testing.ts";

test("PUT /organization creates an org whose creator is super_admin; GET lists and fetches it", async () => {
  const owner = await createUser("org-owner");
  const created = await invoke("organization", { method: "PUT", credential: owner.jwt, body: { name: "Acme" } });
  assert.equal(created.status, 200);
  assert.equal(created.data.status, "Organization created");
  assert.match(created.data.id, /^[0-9a-f-]{36}$/);

  const list = await invoke("organization", { credential: owner.jwt });
  assert.equal(list.status, 200);
  assert.deepEqual(list.data.map((org: { id: string }) => org.id), [created.data.id]);

  const one = await invoke(`organization?orgId=${created.data.id}`, { credential: owner.jwt });
  assert.equal(one.status, 200);
  assert.deepEqual(Object.keys(one.data).sort(), [
    "created_at",
    "created_by",
    "customer_id",
    "id",
    "logo",
    "management_email",
    "monthly_traffic_limit",
    "name",
    "updated_at",
  ]);
  assert.equal(one.data.name, "Acme");
  assert.equal(one.data.created_by, owner.id);
  assert.equal(one.data.management_email, owner.email);
  assert.match(one.data.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const members = await invoke(`organization/members?orgId=${created.data.id}`, { credential: owner.jwt });
  assert.equal(members.status, 200);
  assert.deepEqual(members.data, [{
    uid: owner.id,
    email: owner.email,
    image_url: "",
    role: "super_admin",
    app_id: null,
  }]);
});

test("POST /organization updates (admin and above); a read key gets 403, an outsider 404", async () => {
  const { owner, orgId, key } = await createOrgWithKey("org-update");
  const updated = await invoke("organization", {
    method: "POST",
    credential: key,
    body: { orgId, name: "Renamed", logo: "https://example.com/logo.png" },
  });
  assert.equal(updated.status, 200);
  assert.equal(updated.data.status, "Organization updated");
  assert.equal(updated.data.data.name, "Renamed");
  assert.equal(updated.data.data.logo, "https://example.com/logo.png");

  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  const refused = await invoke("organization", { method: "POST", credential: readKey, body: { orgId, name: "No" } });
  assert.deepEqual(refused, {
    status: 403,
    data: { error: "Updating an organization requires the admin role", status: "KO" },
    contentType: "application/json",
  });

  const other = await createOrgWithKey("org-update-other");
  const hidden = await invoke("organization", { method: "POST", credential: other.key, body: { orgId, name: "No" } });
  assert.equal(hidden.status, 404);
  assert.deepEqual(hidden.data, { error: "Organization not found", status: "KO" });

  const unchanged = await invoke(`organization?orgId=${orgId}`, { credential: key });
  assert.equal(unchanged.data.name, "Renamed");
});

test("members: invite by email, no access until accepted, accept, remove; the last super_admin stays", async () => {
  const { owner, orgId, key } = await createOrgWithKey("members");
  const invitee = await createUser("invitee");

  const invited = await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: invitee.email, role: "write" },
  });
  assert.deepEqual(invited.data, { status: "OK" });
  const pending = await invoke(`organization/members?orgId=${orgId}`, { credential: key });
  assert.deepEqual(
    pending.data.map((m: { email: string; role: string }) => [m.email, m.role]),
    [[owner.email, "super_admin"], [invitee.email, "invite_write"]],
  );

  const beforeAccept = await invoke(`organization?orgId=${orgId}`, { credential: invitee.jwt });
  assert.equal(beforeAccept.status, 404);
  assert.deepEqual(await invoke("organization", { credential: invitee.jwt }).then((r) => r.data), []);

  const again = await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: invitee.email, role: "read" },
  });
  assert.equal(again.status, 409);

  const accepted = await invoke("organization/members/accept", {
    method: "POST",
    credential: invitee.jwt,
    body: { orgId },
  });
  assert.deepEqual(accepted.data, { status: "OK" });
  const afterAccept = await invoke(`organization?orgId=${orgId}`, { credential: invitee.jwt });
  assert.equal(afterAccept.status, 200);

  // a write member is not admin: cannot remove anyone else
  const notAdmin = await invoke("organization/members", {
    method: "DELETE",
    credential: invitee.jwt,
    body: { orgId, email: owner.email },
  });
  assert.equal(notAdmin.status, 403);

  const lastSuperAdmin = await invoke(`organization/members?orgId=${orgId}&email=${encodeURIComponent(owner.email)}`, {
    method: "DELETE",
    credential: key,
  });
  assert.deepEqual(lastSuperAdmin, {
    status: 409,
    data: { error: "Cannot remove the last super_admin of an organization", status: "KO" },
    contentType: "application/json",
  });

  const removed = await invoke("organization/members", {
    method: "DELETE",
    credential: key,
    body: { orgId, email: invitee.email },
  });
  assert.deepEqual(removed.data, { status: "OK" });
  assert.equal((await invoke(`organization?orgId=${orgId}`, { credential: invitee.jwt })).status, 404);
});

test("members: unknown user and unknown email give 404; a bad role or email gives 400 naming the field", async () => {
  const { orgId, key } = await createOrgWithKey("members-errors");
  const unknownUser = await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: "nobody-here@test.local", role: "read" },
  });
  assert.deepEqual(unknownUser.data, { error: "User not found", status: "KO" });
  assert.equal(unknownUser.status, 404);

  const badRole = await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: "x@test.local", role: "owner" },
  });
  assert.equal(badRole.status, 400);
  assert.match(badRole.data.error, /role/);

  const badEmail = await invoke(`organization/members?orgId=${orgId}&email=not-an-email`, {
    method: "DELETE",
    credential: key,
  });
  assert.equal(badEmail.status, 400);
  assert.match(badEmail.data.error, /email/);
});

test("members: an invitee declines with DELETE; leaving needs a key of mode write or above", async () => {
  const { owner, orgId, key } = await createOrgWithKey("decline");
  const invitee = await createUser("decliner");
  await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: invitee.email, role: "read" },
  });
  const declined = await invoke("organization/members", {
    method: "DELETE",
    credential: invitee.jwt,
    body: { orgId, email: invitee.email },
  });
  assert.deepEqual(declined.data, { status: "OK" });
  const accept = await invoke("organization/members/accept", {
    method: "POST",
    credential: invitee.jwt,
    body: { orgId },
  });
  assert.equal(accept.status, 404, "the invitation is gone");

  const member = await createUser("leaver");
  await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: member.email, role: "read" },
  });
  await invoke("organization/members/accept", { method: "POST", credential: member.jwt, body: { orgId } });
  const readKey = await createKey(member.jwt, { org_id: orgId, mode: "read" });
  const refused = await invoke("organization/members", {
    method: "DELETE",
    credential: readKey,
    body: { orgId, email: member.email },
  });
  assert.deepEqual(refused.data, { error: "Leaving an organization needs a key of mode write or above", status: "KO" });
  const members = await invoke(`organization/members?orgId=${orgId}`, { credential: key });
  assert.deepEqual(members.data.map((m: { email: string }) => m.email), [owner.email, member.email]);
});

test("GET /organization pages in 50s, oldest first, like every other list", async () => {
  const user = await createUser("orgs-paging");
  const created: string[] = [];
  for (let i = 0; i < 51; i++) {
    const reply = await invoke<{ id: string }>("organization", {
      method: "PUT",
      credential: user.jwt,
      body: { name: `Paging org ${i}` },
    });
    assert.equal(reply.status, 200);
    created.push(reply.data.id);
  }
  const first = await invoke("organization", { credential: user.jwt });
  const second = await invoke("organization?page=1", { credential: user.jwt });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual([...first.data, ...second.data].map((org: { id: string }) => org.id), created);
  assert.deepEqual((await invoke("organization?page=2", { credential: user.jwt })).data, []);
  const negative = await invoke("organization?page=-1", { credential: user.jwt });
  assert.equal(negative.status, 400);
  assert.match(negative.data.error, /page/);
});
