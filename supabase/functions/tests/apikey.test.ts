import assert from "node:assert/strict";
import { adminDb, createKey, createOrgWithKey, createUser, invoke, test } from "../../../shared/testing.ts";

test("POST /apikey returns the secret once; GET shows only the display prefix; only a hash is stored", async () => {
  const { owner, orgId } = await createOrgWithKey("keys");
  const created = await invoke("apikey", {
    method: "POST",
    credential: owner.jwt,
    body: { org_id: orgId, mode: "read", name: "ci" },
  });
  assert.equal(created.status, 200);
  const apikey = created.data.apikey;
  assert.match(apikey.key, /^tally_[A-Za-z0-9_-]{43}$/);
  assert.equal(apikey.mode, "read");
  assert.equal(apikey.name, "ci");
  assert.equal(apikey.user_id, owner.id);
  assert.deepEqual(apikey.limited_to_orgs, [orgId]);
  assert.equal(typeof apikey.id, "number");

  const list = await invoke("apikey", { credential: owner.jwt });
  const listed = list.data.find((k: { id: number }) => k.id === apikey.id);
  assert.equal(listed.key, apikey.key.slice(0, 12));
  assert.ok(!JSON.stringify(list.data).includes(apikey.key));

  const stored = await adminDb`select to_jsonb(k)::text as row from public.apikeys k where id = ${apikey.id}`;
  assert.ok(!stored[0].row.includes(apikey.key.slice(12)), "the secret is not stored");

  const works = await invoke("organization", { credential: apikey.key });
  assert.equal(works.status, 200);
});

test("DELETE /apikey/:id stops the key at once; another user's key is 404", async () => {
  const { owner, orgId } = await createOrgWithKey("key-delete");
  const secret = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  const list = await invoke("apikey", { credential: owner.jwt });
  const id = list.data.find((k: { key: string; mode: string }) => secret.startsWith(k.key) && k.mode === "read").id;

  const stranger = await createUser("key-stranger");
  assert.equal((await invoke(`apikey/${id}`, { method: "DELETE", credential: stranger.jwt })).status, 404);

  assert.equal((await invoke("organization", { credential: secret })).status, 200);
  const deleted = await invoke(`apikey/${id}`, { method: "DELETE", credential: owner.jwt });
  assert.deepEqual(deleted.data, { success: true });
  const after = await invoke("organization", { credential: secret });
  assert.deepEqual(after.data, { error: "Invalid API key", status: "KO" });
  assert.equal(after.status, 401);
});

test("an expired key is refused with 401; expires_at in the past is a 400", async () => {
  const { owner, orgId } = await createOrgWithKey("key-expiry");
  const secret = await createKey(owner.jwt, {
    org_id: orgId,
    mode: "read",
    expires_at: new Date(Date.now() + 60_000).toISOString(),
  });
  assert.equal((await invoke("organization", { credential: secret })).status, 200);
  await adminDb`update public.apikeys set expires_at = now() - interval '1 second' where user_id = ${owner.id}
    and mode = 'read'`;
  const expired = await invoke("organization", { credential: secret });
  assert.equal(expired.status, 401);
  assert.equal(expired.data.error, "Invalid API key");

  const past = await invoke("apikey", {
    method: "POST",
    credential: owner.jwt,
    body: { org_id: orgId, mode: "read", expires_at: "2020-01-01T00:00:00Z" },
  });
  assert.equal(past.status, 400);
  assert.equal(past.data.error, "expires_at must be in the future");
});

test("key management needs mode all; a limited key cannot mint a wider key", async () => {
  const { owner, orgId } = await createOrgWithKey("key-manage");
  const writeKey = await createKey(owner.jwt, { org_id: orgId, mode: "write" });
  const refused = await invoke("apikey", { method: "POST", credential: writeKey, body: { mode: "read" } });
  assert.equal(refused.status, 403);
  assert.equal((await invoke("apikey", { credential: writeKey })).status, 403);

  const limitedAll = await createKey(owner.jwt, { org_id: orgId, mode: "all" });
  const wider = await invoke("apikey", { method: "POST", credential: limitedAll, body: { mode: "all" } });
  assert.equal(wider.status, 403);
  const within = await invoke("apikey", {
    method: "POST",
    credential: limitedAll,
    body: { mode: "read", org_id: orgId },
  });
  assert.equal(within.status, 200);
});

test("POST /apikey validates: bad mode, unknown org, unknown field", async () => {
  const { owner, orgId } = await createOrgWithKey("key-validate");
  const badMode = await invoke("apikey", {
    method: "POST",
    credential: owner.jwt,
    body: { org_id: orgId, mode: "root" },
  });
  assert.equal(badMode.status, 400);
  assert.match(badMode.data.error, /mode/);
  const foreign = await createOrgWithKey("key-validate-other");
  const unknownOrg = await invoke("apikey", {
    method: "POST",
    credential: owner.jwt,
    body: { org_id: foreign.orgId, mode: "read" },
  });
  assert.equal(unknownOrg.status, 404);
  const extra = await invoke("apikey", {
    method: "POST",
    credential: owner.jwt,
    body: { org_id: orgId, mode: "read", admin: true },
  });
  assert.deepEqual(extra.data, { error: "Unknown field: admin", status: "KO" });
});

test("GET /apikey pages in 50s, oldest first, like every other list", async () => {
  const user = await createUser("keys-paging");
  const created: number[] = [];
  for (let i = 0; i < 51; i++) {
    const reply = await invoke("apikey", {
      method: "POST",
      credential: user.jwt,
      body: { mode: "read", name: `k${i}` },
    });
    assert.equal(reply.status, 200);
    created.push(reply.data.apikey.id);
  }
  const first = await invoke("apikey?page=0", { credential: user.jwt });
  const second = await invoke("apikey?page=1", { credential: user.jwt });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual([...first.data, ...second.data].map((key: { id: number }) => key.id), created);
  const negative = await invoke("apikey?page=x", { credential: user.jwt });
  assert.equal(negative.status, 400);
  assert.match(negative.data.error, /page/);
});
