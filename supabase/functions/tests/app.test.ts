import assert from "node:assert/strict";
import { createKey, createOrgWithKey, invoke, test } from "../../../shared/testing.ts";

const uniqueAppId = (name: string) => `com.test.${name}${crypto.randomUUID().slice(0, 8)}`;

test("POST /app creates, GET lists and fetches, DELETE removes (admin)", async () => {
  const { orgId, key } = await createOrgWithKey("apps");
  const appId = uniqueAppId("crud");
  const created = await invoke("app", {
    method: "POST",
    credential: key,
    body: { owner_org: orgId, app_id: appId, name: "Crud" },
  });
  assert.equal(created.status, 200);
  assert.equal(created.data.app_id, appId);
  assert.equal(created.data.owner_org, orgId);
  assert.equal(created.data.name, "Crud");

  const one = await invoke(`app?app_id=${appId}`, { credential: key });
  assert.deepEqual(one.data, created.data);
  const list = await invoke("app", { credential: key });
  assert.deepEqual(list.data.map((a: { app_id: string }) => a.app_id), [appId]);

  const removed = await invoke("app", { method: "DELETE", credential: key, body: { app_id: appId } });
  assert.deepEqual(removed.data, { status: "ok" });
  const gone = await invoke(`app?app_id=${appId}`, { credential: key });
  assert.deepEqual(gone, {
    status: 404,
    data: { error: "App not found", status: "KO" },
    contentType: "application/json",
  });
});

test("GET /app pages in 50s", async () => {
  const { orgId, key } = await createOrgWithKey("apps-paging");
  const ids = Array.from({ length: 51 }, (_, i) => `com.paging.app${String(i).padStart(2, "0")}${orgId.slice(0, 8)}`);
  for (const appId of ids) {
    const created = await invoke("app", {
      method: "POST",
      credential: key,
      body: { owner_org: orgId, app_id: appId, name: appId },
    });
    assert.equal(created.status, 200);
  }
  const first = await invoke("app?page=0", { credential: key });
  const second = await invoke("app?page=1", { credential: key });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual([...first.data, ...second.data].map((a: { app_id: string }) => a.app_id), [...ids].sort());
  const negative = await invoke("app?page=-1", { credential: key });
  assert.equal(negative.status, 400);
  assert.match(negative.data.error, /page/);
});

test("app ids are global (409); a read key cannot create (403); writes need admin to delete", async () => {
  const a = await createOrgWithKey("apps-a");
  const b = await createOrgWithKey("apps-b");
  const appId = uniqueAppId("global");
  assert.equal(
    (await invoke("app", { method: "POST", credential: a.key, body: { owner_org: a.orgId, app_id: appId, name: "A" } }))
      .status,
    200,
  );
  const clash = await invoke("app", {
    method: "POST",
    credential: b.key,
    body: { owner_org: b.orgId, app_id: appId, name: "B" },
  });
  assert.equal(clash.status, 409);

  const readKey = await createKey(a.owner.jwt, { org_id: a.orgId, mode: "read" });
  const refused = await invoke("app", {
    method: "POST",
    credential: readKey,
    body: { owner_org: a.orgId, app_id: uniqueAppId("r"), name: "R" },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.data.error, "Creating an app requires the write role");

  const writeKey = await createKey(a.owner.jwt, { org_id: a.orgId, mode: "write" });
  const noDelete = await invoke("app", { method: "DELETE", credential: writeKey, body: { app_id: appId } });
  assert.equal(noDelete.status, 403);
  assert.equal((await invoke(`app?app_id=${appId}`, { credential: writeKey })).status, 200);
});

test("a key of org A can neither see nor change org B", async () => {
  const a = await createOrgWithKey("isolation-a");
  const b = await createOrgWithKey("isolation-b");
  const appB = uniqueAppId("b");
  await invoke("app", { method: "POST", credential: b.key, body: { owner_org: b.orgId, app_id: appB, name: "B" } });

  assert.deepEqual((await invoke("organization", { credential: a.key })).data.map((o: { id: string }) => o.id), [
    a.orgId,
  ]);
  assert.equal((await invoke(`organization?orgId=${b.orgId}`, { credential: a.key })).status, 404);
  assert.equal((await invoke(`organization/members?orgId=${b.orgId}`, { credential: a.key })).status, 404);
  assert.deepEqual((await invoke("app", { credential: a.key })).data, []);
  assert.equal((await invoke(`app?app_id=${appB}`, { credential: a.key })).status, 404);
  assert.equal((await invoke("app", { method: "DELETE", credential: a.key, body: { app_id: appB } })).status, 404);
  const intoB = await invoke("app", {
    method: "POST",
    credential: a.key,
    body: { owner_org: b.orgId, app_id: uniqueAppId("x"), name: "X" },
  });
  assert.equal(intoB.status, 404);
  assert.equal((await invoke(`app?app_id=${appB}`, { credential: b.key })).status, 200);
});

test("a key limited to one app sees only that app", async () => {
  const { owner, orgId, key } = await createOrgWithKey("app-limit");
  const [first, second] = [uniqueAppId("one"), uniqueAppId("two")];
  for (const appId of [first, second]) {
    await invoke("app", { method: "POST", credential: key, body: { owner_org: orgId, app_id: appId, name: appId } });
  }
  const limited = await createKey(owner.jwt, { org_id: orgId, mode: "all", limited_to_apps: [first] });
  assert.deepEqual((await invoke("app", { credential: limited })).data.map((a: { app_id: string }) => a.app_id), [
    first,
  ]);
  assert.equal((await invoke(`app?app_id=${second}`, { credential: limited })).status, 404);
  const orgWide = await invoke("organization", { method: "POST", credential: limited, body: { orgId, name: "Nope" } });
  assert.equal(orgWide.status, 403);
});

test("/app/:app_id answers as ?app_id= does: GET the app, 404 and 400 alike, DELETE it; both are documented", async () => {
  const { orgId, key, owner } = await createOrgWithKey("app-path");
  const appId = uniqueAppId("path");
  await invoke("app", { method: "POST", credential: key, body: { owner_org: orgId, app_id: appId, name: "Path" } });
  for (
    const [byPath, byQuery] of [[`app/${appId}`, `app?app_id=${appId}`], [
      "app/com.nowhere.app",
      "app?app_id=com.nowhere.app",
    ], ["app/not-an-id", "app?app_id=not-an-id"]]
  ) {
    const [path, query] = [await invoke(byPath, { credential: key }), await invoke(byQuery, { credential: key })];
    assert.deepEqual(path, query, byPath);
  }
  assert.equal((await invoke(`app/${appId}`, { credential: key })).data.app_id, appId);
  assert.equal((await invoke("app/com.nowhere.app", { credential: key })).status, 404);

  const writeKey = await createKey(owner.jwt, { org_id: orgId, mode: "write" });
  const refused = await invoke(`app/${appId}`, { method: "DELETE", credential: writeKey });
  assert.deepEqual(refused, await invoke(`app?app_id=${appId}`, { method: "DELETE", credential: writeKey }));
  assert.equal(refused.status, 403);
  const removed = await invoke(`app/${appId}`, { method: "DELETE", credential: key });
  assert.deepEqual(removed.data, { status: "ok" });
  assert.equal((await invoke(`app/${appId}`, { credential: key })).status, 404);
  assert.deepEqual(
    await invoke(`app/${appId}`, { method: "DELETE", credential: key }),
    await invoke(`app?app_id=${appId}`, { method: "DELETE", credential: key }),
  );

  const document = await invoke("app/openapi.json");
  assert.deepEqual(Object.keys(document.data.paths["/app/{app_id}"]).sort(), ["delete", "get"]);
  assert.deepEqual(Object.keys(document.data.paths["/app"]).sort(), ["delete", "get", "post"]);
  assert.equal(document.data.paths["/app/{app_id}"].get.parameters[0].in, "path");
});
