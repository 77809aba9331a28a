import assert from "node:assert/strict";
import { adminDb, createKey, createOrgWithApp, createOrgWithKey, invoke, test } from "../../../shared/testing.ts";

const BUNDLE_KEYS = [
  "app_id",
  "bucket_id",
  "checksum",
  "created_at",
  "deleted",
  "external_url",
  "id",
  "minUpdateVersion",
  "name",
  "native_packages",
  "owner_org",
  "r2_path",
  "session_key",
  "storage_provider",
  "updated_at",
  "user_id",
  "size",
].sort();

async function createBundle(key: string, body: Record<string, unknown>) {
  return await invoke("bundle", { method: "POST", credential: key, body });
}

async function todayStorage(appId: string): Promise<number> {
  const [row] = await adminDb`select storage::int from private.app_daily_stats(array[${appId}]::text[],
    (now() at time zone 'UTC')::date, (now() at time zone 'UTC')::date)`;
  return row.storage;
}

test("POST /bundle returns the documented Bundle; GET lists it", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("bundle-shape");
  const created = await createBundle(key, {
    app_id: appId,
    version: "1.2.3",
    size: 1234,
    checksum: "abc123",
    external_url: "https://cdn.example.com/1.2.3.zip",
    min_update_version: "1.0.0",
    native_packages: [{ name: "@capacitor/app", version: "6.0.0" }],
  });
  assert.equal(created.status, 200);
  assert.deepEqual(Object.keys(created.data).sort(), BUNDLE_KEYS);
  const { id, created_at, updated_at, ...rest } = created.data;
  assert.equal(typeof id, "number");
  assert.match(created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(rest, {
    app_id: appId,
    bucket_id: null,
    checksum: "abc123",
    deleted: false,
    external_url: "https://cdn.example.com/1.2.3.zip",
    minUpdateVersion: "1.0.0",
    name: "1.2.3",
    native_packages: [{ name: "@capacitor/app", version: "6.0.0" }],
    owner_org: orgId,
    r2_path: null,
    session_key: null,
    storage_provider: "external",
    user_id: owner.id,
    size: 1234,
  });

  const minimal = await createBundle(key, { app_id: appId, version: "1.2.4", size: 0 });
  assert.equal(minimal.status, 200);
  assert.deepEqual(
    [minimal.data.checksum, minimal.data.external_url, minimal.data.minUpdateVersion, minimal.data.native_packages],
    [null, null, null, null],
  );

  const list = await invoke(`bundle?app_id=${appId}`, { credential: key });
  assert.equal(list.status, 200);
  assert.deepEqual(list.data, [minimal.data, created.data]);
  assert.equal(await todayStorage(appId), 1234);
});

test("DELETE /bundle keeps history; a deleted version may be registered again; 409 while live", async () => {
  const { appId, key } = await createOrgWithApp("bundle-history");
  const first = await createBundle(key, { app_id: appId, version: "1.0.0", size: 100 });
  assert.equal(first.status, 200);
  const clash = await createBundle(key, { app_id: appId, version: "1.0.0", size: 5 });
  assert.deepEqual([clash.status, clash.data.error], [409, "Bundle 1.0.0 already exists"]);

  const removed = await invoke("bundle", {
    method: "DELETE",
    credential: key,
    body: { app_id: appId, version: "1.0.0" },
  });
  assert.deepEqual(removed.data, { status: "ok" });
  const listed = (await invoke(`bundle?app_id=${appId}`, { credential: key })).data;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].id, first.data.id);
  assert.equal(listed[0].deleted, true);
  assert.equal(await todayStorage(appId), 0);

  const gone = await invoke(`bundle?app_id=${appId}&version=1.0.0`, { method: "DELETE", credential: key });
  assert.deepEqual([gone.status, gone.data.error], [404, "Bundle not found"]);

  const reused = await createBundle(key, { app_id: appId, version: "1.0.0", size: 30 });
  assert.equal(reused.status, 200);
  assert.notEqual(reused.data.id, first.data.id);
  const both = (await invoke(`bundle?app_id=${appId}`, { credential: key })).data;
  assert.deepEqual(both.map((b: { id: number; deleted: boolean }) => [b.id, b.deleted]), [
    [reused.data.id, false],
    [first.data.id, true],
  ]);
  assert.equal(await todayStorage(appId), 30);
});

test("DELETE /bundle without version deletes every live bundle; channels stop serving them", async () => {
  const { appId, key } = await createOrgWithApp("bundle-all");
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    assert.equal((await createBundle(key, { app_id: appId, version, size: 10 })).status, 200);
  }
  await invoke("channel", {
    method: "POST",
    credential: key,
    body: { app_id: appId, channel: "prod", version: "2.0.0" },
  });
  assert.equal((await invoke(`channel?app_id=${appId}&channel=prod`, { credential: key })).data.version.name, "2.0.0");
  assert.equal(await todayStorage(appId), 30);

  assert.deepEqual((await invoke(`bundle?app_id=${appId}`, { method: "DELETE", credential: key })).data, {
    status: "ok",
  });
  const listed = (await invoke(`bundle?app_id=${appId}`, { credential: key })).data;
  assert.deepEqual(listed.map((b: { name: string; deleted: boolean }) => [b.name, b.deleted]), [
    ["2.0.0", true],
    ["1.1.0", true],
    ["1.0.0", true],
  ]);
  assert.equal(await todayStorage(appId), 0);
  assert.equal((await invoke(`channel?app_id=${appId}&channel=prod`, { credential: key })).data.version, null);
  // Nothing left: still ok.
  assert.equal((await invoke("bundle", { method: "DELETE", credential: key, body: { app_id: appId } })).status, 200);
});

test("GET /bundle pages in 50s, newest first", async () => {
  const { appId, key } = await createOrgWithApp("bundle-paging");
  const ids: number[] = [];
  for (let i = 0; i < 51; i++) {
    const created = await createBundle(key, { app_id: appId, version: `0.0.${i}`, size: i });
    assert.equal(created.status, 200);
    ids.push(created.data.id);
  }
  const first = await invoke(`bundle?app_id=${appId}&page=0`, { credential: key });
  const second = await invoke(`bundle?app_id=${appId}&page=1`, { credential: key });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual([...first.data, ...second.data].map((b: { id: number }) => b.id), ids.reverse());
  assert.deepEqual((await invoke(`bundle?app_id=${appId}&page=2`, { credential: key })).data, []);
});

test("invalid bundle input is refused with 400 naming the field", async () => {
  const { appId, key } = await createOrgWithApp("bundle-invalid");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ app_id: appId, size: 1 }, /version/],
    [{ app_id: appId, version: "1.0.0" }, /size/],
    [{ app_id: appId, version: "1.0.0", size: -1 }, /size/],
    [{ app_id: appId, version: "1.0.0", size: 1.5 }, /size/],
    [{ app_id: appId, version: "1.0.0", size: "big" }, /size/],
    [{ app_id: appId, version: "1.0.0", size: 1, external_url: "not a url" }, /external_url/],
    [{ app_id: appId, version: "1.0.0", size: 1, native_packages: "x" }, /native_packages/],
    [{ app_id: appId, version: "", size: 1 }, /version/],
    [{ version: "1.0.0", size: 1 }, /app_id/],
    [{ app_id: appId, version: "1.0.0", size: 1, bucket_id: "b" }, /Unknown field: bucket_id/],
  ];
  for (const [body, message] of cases) {
    const reply = await createBundle(key, body);
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.data.status, "KO");
    assert.match(reply.data.error, message);
  }
  assert.deepEqual((await invoke(`bundle?app_id=${appId}`, { credential: key })).data, []);
  const noApp = await invoke("bundle", { credential: key });
  assert.equal(noApp.status, 400);
  assert.match(noApp.data.error, /app_id/);
});

test("bundle rights: read key reads only, upload key registers but cannot delete", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("bundle-rights");
  await createBundle(key, { app_id: appId, version: "1.0.0", size: 1 });
  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  assert.equal((await invoke(`bundle?app_id=${appId}`, { credential: readKey })).data.length, 1);
  const refused = await createBundle(readKey, { app_id: appId, version: "2.0.0", size: 1 });
  assert.deepEqual([refused.status, refused.data.error], [403, "Registering a bundle requires the upload role"]);
  const noDelete = await invoke("bundle", { method: "DELETE", credential: readKey, body: { app_id: appId } });
  assert.deepEqual([noDelete.status, noDelete.data.error], [403, "Deleting bundles requires the write role"]);

  const uploadKey = await createKey(owner.jwt, { org_id: orgId, mode: "upload" });
  assert.equal((await createBundle(uploadKey, { app_id: appId, version: "2.0.0", size: 1 })).status, 200);
  const uploadDelete = await invoke("bundle", {
    method: "DELETE",
    credential: uploadKey,
    body: { app_id: appId, version: "2.0.0" },
  });
  assert.equal(uploadDelete.status, 403);
  const live = (await invoke(`bundle?app_id=${appId}`, { credential: key })).data;
  assert.deepEqual(live.map((b: { deleted: boolean }) => b.deleted), [false, false]);
});

test("a key of another organization gets 404 on bundles", async () => {
  const a = await createOrgWithApp("bundle-iso-a");
  const b = await createOrgWithKey("bundle-iso-b");
  await createBundle(a.key, { app_id: a.appId, version: "1.0.0", size: 7 });
  for (
    const reply of [
      await invoke(`bundle?app_id=${a.appId}`, { credential: b.key }),
      await createBundle(b.key, { app_id: a.appId, version: "6.6.6", size: 1 }),
      await invoke("bundle", { method: "DELETE", credential: b.key, body: { app_id: a.appId } }),
      await invoke("bundle", { method: "DELETE", credential: b.key, body: { app_id: a.appId, version: "1.0.0" } }),
    ]
  ) {
    assert.deepEqual([reply.status, reply.data.error], [404, "App not found"]);
  }
  const untouched = (await invoke(`bundle?app_id=${a.appId}`, { credential: a.key })).data;
  assert.deepEqual(untouched.map((x: { name: string; deleted: boolean }) => [x.name, x.deleted]), [["1.0.0", false]]);
});

test("GET /bundle/openapi.json documents GET, POST and DELETE /bundle", async () => {
  const reply = await invoke("bundle/openapi.json");
  assert.equal(reply.status, 200);
  assert.deepEqual(Object.keys(reply.data.paths), ["/bundle"]);
  assert.deepEqual(Object.keys(reply.data.paths["/bundle"]).sort(), ["delete", "get", "post"]);
});
