import assert from "node:assert/strict";
import { DEMO_API_KEY, DEMO_ORG_ID } from "../../../shared/demo.ts";
import { functionNames } from "../../../shared/functions-server.ts";
import { createOrgWithKey, createUser, invoke, signJwt, test } from "../../../shared/testing.ts";

test("the key is read from authorization (raw or Bearer), capgkey or x-api-key", async () => {
  const { orgId, key } = await createOrgWithKey("headers");
  for (
    const [header, credential] of [
      ["authorization", key],
      ["authorization", `Bearer ${key}`],
      ["capgkey", key],
      ["x-api-key", key],
    ] as const
  ) {
    const reply = await invoke("organization", { credential, header });
    assert.equal(reply.status, 200, `${header}: ${credential.slice(0, 13)}`);
    assert.deepEqual(reply.data.map((o: { id: string }) => o.id), [orgId]);
  }
});

test("missing, unknown and forged credentials are 401 Invalid API key", async () => {
  const user = await createUser("forger");
  const forged = await signJwt({ sub: user.id, role: "authenticated" }).then((jwt) => jwt.slice(0, -4) + "AAAA");
  for (const credential of [undefined, "tally_doesnotexist", forged]) {
    const reply = await invoke("app", { credential });
    assert.deepEqual(reply, {
      status: 401,
      data: { error: "Invalid API key", status: "KO" },
      contentType: "application/json",
    });
  }
});

test("a read key cannot write", async () => {
  const { orgId, key } = await createOrgWithKey("read-only", "read");
  assert.equal((await invoke("organization", { credential: key })).status, 200);
  const write = await invoke("app", {
    method: "POST",
    credential: key,
    body: { owner_org: orgId, app_id: "com.readonly.nope", name: "No" },
  });
  assert.equal(write.status, 403);
  const invite = await invoke("organization/members", {
    method: "POST",
    credential: key,
    body: { orgId, email: "x@test.local", role: "read" },
  });
  assert.equal(invite.status, 403);
});

test("bad input: malformed JSON, non-object body, wrong types, unknown fields, oversize body are 4xx", async () => {
  const { key } = await createOrgWithKey("bad-input");
  const malformed = await invoke("organization", {
    method: "PUT",
    credential: key,
    body: "{not json",
    headers: { "content-type": "application/json" },
  });
  assert.deepEqual(malformed.data, { error: "Invalid JSON body", status: "KO" });
  assert.equal(malformed.status, 400);

  const array = await invoke("organization", { method: "PUT", credential: key, body: [1, 2] });
  assert.equal(array.status, 400);
  assert.equal(array.data.error, "Request body must be a JSON object");

  const wrongType = await invoke("organization", { method: "PUT", credential: key, body: { name: 42 } });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.data.error, /^Invalid name: /);

  const badUuid = await invoke("organization?orgId=123", { credential: key });
  assert.equal(badUuid.status, 400);
  assert.match(badUuid.data.error, /orgId/);

  const huge = await invoke("organization", { method: "PUT", credential: key, body: { name: "x".repeat(100_000) } });
  assert.equal(huge.status, 413);
  assert.equal(huge.data.status, "KO");

  const unknownRoute = await invoke("organization/nope", { credential: key });
  assert.deepEqual(unknownRoute.data, { error: "Not found", status: "KO" });
});

test("a signed-in user's JWT is accepted with the user's full rights", async () => {
  const user = await createUser("jwt-user");
  const created = await invoke("organization", { method: "PUT", credential: user.jwt, body: { name: "JWT org" } });
  assert.equal(created.status, 200);
  const expired = await signJwt({ sub: user.id, role: "authenticated" }, "-1m");
  assert.equal((await invoke("organization", { credential: expired })).status, 401);
});

test("each function serves its OpenAPI document", async () => {
  for (const name of await functionNames()) {
    const reply = await invoke(`${name}/openapi.json`);
    assert.equal(reply.status, 200);
    assert.equal(reply.data.openapi, "3.1.0");
    assert.ok(Object.keys(reply.data.paths).every((path) => path.startsWith(`/${name}`)), name);
  }
});

test("the seeded demo key reaches the demo org", async () => {
  const reply = await invoke(`organization?orgId=${DEMO_ORG_ID}`, { credential: DEMO_API_KEY });
  assert.equal(reply.status, 200);
  assert.equal(reply.data.name, "Demo Org");
});

test("supabase/config.toml declares every function, with verify_jwt = false and the import map", async () => {
  const config = await Deno.readTextFile(new URL("../../config.toml", import.meta.url));
  for (const name of await functionNames()) {
    const block = new RegExp(`\\[functions\\.${name}\\]\\nverify_jwt = false\\nimport_map = "../import_map.json"`);
    assert.match(config, block, name);
  }
});
