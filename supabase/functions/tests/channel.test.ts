import assert from "node:assert/strict";
import { createKey, createOrgWithApp, createOrgWithKey, invoke, test } from "../../../shared/testing.ts";

const CHANNEL_KEYS = [
  "id",
  "created_at",
  "name",
  "app_id",
  "version",
  "created_by",
  "updated_at",
  "public",
  "disableAutoUpdateUnderNative",
  "disableAutoUpdate",
  "allow_emulator",
  "allow_dev",
  "ios",
  "android",
  "allow_device_self_set",
].sort();

async function setChannel(key: string, body: Record<string, unknown>) {
  return await invoke("channel", { method: "POST", credential: key, body });
}

test("POST /channel creates with defaults, GET returns the documented Channel, DELETE removes", async () => {
  const { owner, appId, key } = await createOrgWithApp("chan-crud");
  assert.deepEqual((await setChannel(key, { app_id: appId, channel: "production" })).data, { status: "ok" });

  const one = await invoke(`channel?app_id=${appId}&channel=production`, { credential: key });
  assert.equal(one.status, 200);
  assert.deepEqual(Object.keys(one.data).sort(), CHANNEL_KEYS);
  const { id, created_at, updated_at, ...rest } = one.data;
  assert.equal(typeof id, "number");
  assert.match(created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(rest, {
    name: "production",
    app_id: appId,
    version: null,
    created_by: owner.id,
    public: false,
    disableAutoUpdateUnderNative: true,
    disableAutoUpdate: "major",
    allow_emulator: true,
    allow_dev: true,
    ios: true,
    android: true,
    allow_device_self_set: false,
  });

  const list = await invoke(`channel?app_id=${appId}`, { credential: key });
  assert.deepEqual(list.data, [one.data]);

  assert.deepEqual(
    (await invoke("channel", { method: "DELETE", credential: key, body: { app_id: appId, channel: "production" } }))
      .data,
    { status: "ok" },
  );
  assert.deepEqual(await invoke(`channel?app_id=${appId}&channel=production`, { credential: key }), {
    status: 404,
    data: { error: "Channel not found", status: "KO" },
    contentType: "application/json",
  });
  assert.deepEqual((await invoke(`channel?app_id=${appId}`, { credential: key })).data, []);
  const again = await invoke(`channel?app_id=${appId}&channel=production`, { method: "DELETE", credential: key });
  assert.equal(again.status, 404);
  assert.equal(again.data.error, "Channel not found");
});

test("POST /channel on an existing channel changes only the fields given; version is a bundle name", async () => {
  const { appId, key } = await createOrgWithApp("chan-update");
  const bundle = await invoke("bundle", {
    method: "POST",
    credential: key,
    body: { app_id: appId, version: "1.0.0", size: 10 },
  });
  assert.equal(bundle.status, 200);
  assert.equal(
    (await setChannel(key, {
      app_id: appId,
      channel: "beta",
      version: "1.0.0",
      disableAutoUpdate: "minor",
      ios: false,
      allow_device_self_set: true,
    })).status,
    200,
  );
  const before = (await invoke(`channel?app_id=${appId}&channel=beta`, { credential: key })).data;
  assert.deepEqual(before.version, { id: bundle.data.id, name: "1.0.0" });
  assert.equal(before.disableAutoUpdate, "minor");

  assert.equal(
    (await setChannel(key, { app_id: appId, channel: "beta", android: false, allow_dev: false })).status,
    200,
  );
  const after = (await invoke(`channel?app_id=${appId}&channel=beta`, { credential: key })).data;
  assert.deepEqual(
    { ...after, updated_at: null },
    { ...before, android: false, allow_dev: false, updated_at: null },
  );

  // The query string works as well as a JSON body, booleans included.
  const viaQuery = await invoke(
    `channel?app_id=${appId}&channel=beta&disableAutoUpdateUnderNative=false&disableAutoUpdate=none`,
    { method: "POST", credential: key },
  );
  assert.equal(viaQuery.status, 200);
  const changed = (await invoke(`channel?app_id=${appId}&channel=beta`, { credential: key })).data;
  assert.equal(changed.disableAutoUpdateUnderNative, false);
  assert.equal(changed.disableAutoUpdate, "none");
  assert.equal(changed.ios, false);

  const missing = await setChannel(key, { app_id: appId, channel: "beta", version: "9.9.9" });
  assert.deepEqual([missing.status, missing.data.error], [404, "Version not found"]);
  const missingNew = await setChannel(key, { app_id: appId, channel: "never", version: "9.9.9" });
  assert.equal(missingNew.status, 404);
  assert.equal((await invoke(`channel?app_id=${appId}&channel=never`, { credential: key })).status, 404);
});

test("one default channel per app: public = true makes the others non-public", async () => {
  const { appId, key } = await createOrgWithApp("chan-public");
  await setChannel(key, { app_id: appId, channel: "a", public: true });
  await setChannel(key, { app_id: appId, channel: "b" });
  await setChannel(key, { app_id: appId, channel: "c", public: true });
  const publicity = async () =>
    Object.fromEntries(
      (await invoke(`channel?app_id=${appId}`, { credential: key })).data.map((
        ch: { name: string; public: boolean },
      ) => [ch.name, ch.public]),
    );
  assert.deepEqual(await publicity(), { a: false, b: false, c: true });
  await setChannel(key, { app_id: appId, channel: "a", public: true });
  assert.deepEqual(await publicity(), { a: true, b: false, c: false });
  await setChannel(key, { app_id: appId, channel: "a", public: false });
  assert.deepEqual(await publicity(), { a: false, b: false, c: false });
});

test("GET /channel pages in 50s, ordered by id", async () => {
  const { appId, key } = await createOrgWithApp("chan-paging");
  const names = Array.from({ length: 51 }, (_, i) => `ch-${50 - i}`);
  for (const channel of names) assert.equal((await setChannel(key, { app_id: appId, channel })).status, 200);
  const first = await invoke(`channel?app_id=${appId}`, { credential: key });
  const second = await invoke(`channel?app_id=${appId}&page=1`, { credential: key });
  const third = await invoke(`channel?app_id=${appId}&page=2`, { credential: key });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual(third.data, []);
  const all = [...first.data, ...second.data];
  assert.deepEqual(all.map((ch: { name: string }) => ch.name), names);
  const ids = all.map((ch: { id: number }) => ch.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
});

test("invalid channel input is refused with 400 naming the field", async () => {
  const { appId, key } = await createOrgWithApp("chan-invalid");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ app_id: appId }, /channel/],
    [{ channel: "x" }, /app_id/],
    [{ app_id: "not an app", channel: "x" }, /app_id/],
    [{ app_id: appId, channel: "" }, /channel/],
    [{ app_id: appId, channel: "x", disableAutoUpdate: "always" }, /disableAutoUpdate/],
    [{ app_id: appId, channel: "x", public: "yes" }, /public/],
    [{ app_id: appId, channel: "x", ios: 1 }, /ios/],
    [{ app_id: appId, channel: "x", colour: "red" }, /Unknown field: colour/],
  ];
  for (const [body, message] of cases) {
    const reply = await setChannel(key, body);
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.data.status, "KO");
    assert.match(reply.data.error, message);
  }
  const badPage = await invoke(`channel?app_id=${appId}&page=-1`, { credential: key });
  assert.equal(badPage.status, 400);
  assert.match(badPage.data.error, /page/);
  assert.match(
    (await invoke("channel", { method: "DELETE", credential: key, body: { app_id: appId } })).data.error,
    /channel/,
  );
});

test("a read key reads channels but cannot write them (403)", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("chan-read");
  await setChannel(key, { app_id: appId, channel: "prod" });
  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  assert.equal((await invoke(`channel?app_id=${appId}&channel=prod`, { credential: readKey })).status, 200);
  const refused = await setChannel(readKey, { app_id: appId, channel: "prod", ios: false });
  assert.deepEqual([refused.status, refused.data.error], [403, "Changing channels requires the write role"]);
  const refusedNew = await setChannel(readKey, { app_id: appId, channel: "new" });
  assert.equal(refusedNew.status, 403);
  const noDelete = await invoke("channel", {
    method: "DELETE",
    credential: readKey,
    body: { app_id: appId, channel: "prod" },
  });
  assert.deepEqual([noDelete.status, noDelete.data.error], [403, "Deleting channels requires the write role"]);
  const uploadKey = await createKey(owner.jwt, { org_id: orgId, mode: "upload" });
  assert.equal((await setChannel(uploadKey, { app_id: appId, channel: "prod", ios: false })).status, 403);
  const writeKey = await createKey(owner.jwt, { org_id: orgId, mode: "write" });
  assert.equal((await setChannel(writeKey, { app_id: appId, channel: "prod", ios: false })).status, 200);
  assert.equal((await invoke(`channel?app_id=${appId}&channel=prod`, { credential: key })).data.ios, false);
});

test("a key of another organization gets 404 on channels", async () => {
  const a = await createOrgWithApp("chan-iso-a");
  const b = await createOrgWithKey("chan-iso-b");
  await setChannel(a.key, { app_id: a.appId, channel: "prod" });
  for (
    const reply of [
      await invoke(`channel?app_id=${a.appId}`, { credential: b.key }),
      await invoke(`channel?app_id=${a.appId}&channel=prod`, { credential: b.key }),
      await setChannel(b.key, { app_id: a.appId, channel: "prod", ios: false }),
      await setChannel(b.key, { app_id: a.appId, channel: "intruder" }),
      await invoke("channel", { method: "DELETE", credential: b.key, body: { app_id: a.appId, channel: "prod" } }),
    ]
  ) {
    assert.deepEqual([reply.status, reply.data.error], [404, "App not found"]);
  }
  const unchanged = await invoke(`channel?app_id=${a.appId}`, { credential: a.key });
  assert.deepEqual(unchanged.data.map((ch: { name: string; ios: boolean }) => [ch.name, ch.ios]), [["prod", true]]);
});

test("GET /channel/openapi.json documents GET, POST and DELETE /channel", async () => {
  const reply = await invoke("channel/openapi.json");
  assert.equal(reply.status, 200);
  assert.deepEqual(Object.keys(reply.data.paths), ["/channel"]);
  assert.deepEqual(Object.keys(reply.data.paths["/channel"]).sort(), ["delete", "get", "post"]);
});
