import assert from "node:assert/strict";
import { createKey, createOrgWithApp, createOrgWithKey, invoke, test } from "../../../shared/testing.ts";

const DEVICE_KEYS = [
  "created_at",
  "updated_at",
  "device_id",
  "custom_id",
  "version",
  "app_id",
  "platform",
  "plugin_version",
  "os_version",
  "version_build",
  "is_prod",
  "is_emulator",
  "channel",
].sort();

/** An org, an app with bundles 1.0.0 and 2.0.0 and a channel "beta". */
async function orgWithApp(handle: string) {
  const org = await createOrgWithApp(handle);
  const appId = org.appId;
  const bundles: Record<string, number> = {};
  for (const version of ["1.0.0", "2.0.0"]) {
    const bundle = await invoke("bundle", {
      method: "POST",
      credential: org.key,
      body: { app_id: appId, version, size: 1 },
    });
    assert.equal(bundle.status, 200);
    bundles[version] = bundle.data.id;
  }
  const channel = await invoke("channel", {
    method: "POST",
    credential: org.key,
    body: { app_id: appId, channel: "beta" },
  });
  assert.equal(channel.status, 200);
  return { ...org, appId, bundles };
}

async function link(key: string, body: Record<string, unknown>) {
  return await invoke("device", { method: "POST", credential: key, body });
}

test("POST /device links a new device; GET returns the documented Device; DELETE unlinks", async () => {
  const { appId, key, bundles } = await orgWithApp("dev-crud");
  assert.deepEqual((await link(key, { app_id: appId, device_id: "phone-1", version_id: "1.0.0" })).data, {
    status: "ok",
  });
  const one = await invoke(`device?app_id=${appId}&device_id=phone-1`, { credential: key });
  assert.equal(one.status, 200);
  assert.deepEqual(Object.keys(one.data).sort(), DEVICE_KEYS);
  const { created_at, updated_at, ...rest } = one.data;
  assert.match(created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(rest, {
    device_id: "phone-1",
    custom_id: "",
    version: { id: bundles["1.0.0"], name: "1.0.0" },
    app_id: appId,
    platform: null,
    plugin_version: "",
    os_version: null,
    version_build: "",
    is_prod: true,
    is_emulator: false,
    channel: null,
  });

  // Linking a channel keeps the bundle override; linking a bundle replaces it.
  assert.equal((await link(key, { app_id: appId, device_id: "phone-1", channel: "beta" })).status, 200);
  let current = (await invoke(`device?app_id=${appId}&device_id=phone-1`, { credential: key })).data;
  assert.deepEqual([current.version, current.channel], [{ id: bundles["1.0.0"], name: "1.0.0" }, "beta"]);
  assert.equal((await link(key, { app_id: appId, device_id: "phone-1", version_id: "2.0.0" })).status, 200);
  current = (await invoke(`device?app_id=${appId}&device_id=phone-1`, { credential: key })).data;
  assert.deepEqual([current.version, current.channel], [{ id: bundles["2.0.0"], name: "2.0.0" }, "beta"]);

  const list = await invoke(`device?app_id=${appId}`, { credential: key });
  assert.deepEqual(list.data, [current]);

  assert.deepEqual(
    (await invoke("device", { method: "DELETE", credential: key, body: { app_id: appId, device_id: "phone-1" } })).data,
    { status: "ok" },
  );
  // The device stays, without overrides.
  const unlinked = await invoke(`device?app_id=${appId}&device_id=phone-1`, { credential: key });
  assert.equal(unlinked.status, 200);
  assert.deepEqual([unlinked.data.version, unlinked.data.channel], [null, null]);
  assert.equal(unlinked.data.created_at, created_at);
});

test("GET /device reports what ingest recorded; version falls back to the reported live bundle", async () => {
  const { appId, key, bundles } = await orgWithApp("dev-ingest");
  const ingested = await invoke("ingest", {
    method: "POST",
    credential: key,
    body: {
      events: [{
        type: "device.activity",
        app_id: appId,
        device_id: "tablet",
        platform: "android",
        version_name: "2.0.0",
        plugin_version: "6.1.0",
        os_version: "14",
        version_build: "2.0",
        custom_id: "user-42",
        is_prod: false,
        is_emulator: true,
      }, { type: "device.activity", app_id: appId, device_id: "old", version_name: "0.0.1" }],
    },
  });
  assert.equal(ingested.status, 200);
  const tablet = (await invoke(`device?app_id=${appId}&device_id=tablet`, { credential: key })).data;
  const { created_at: _c, updated_at: _u, ...rest } = tablet;
  assert.deepEqual(rest, {
    device_id: "tablet",
    custom_id: "user-42",
    version: { id: bundles["2.0.0"], name: "2.0.0" },
    app_id: appId,
    platform: "android",
    plugin_version: "6.1.0",
    os_version: "14",
    version_build: "2.0",
    is_prod: false,
    is_emulator: true,
    channel: null,
  });
  // A reported version with no live bundle has no version object.
  assert.equal((await invoke(`device?app_id=${appId}&device_id=old`, { credential: key })).data.version, null);

  // An override wins over the reported version; unlinking returns to it.
  await link(key, { app_id: appId, device_id: "tablet", version_id: "1.0.0" });
  assert.equal(
    (await invoke(`device?app_id=${appId}&device_id=tablet`, { credential: key })).data.version.name,
    "1.0.0",
  );
  await invoke(`device?app_id=${appId}&device_id=tablet`, { method: "DELETE", credential: key });
  assert.equal(
    (await invoke(`device?app_id=${appId}&device_id=tablet`, { credential: key })).data.version.name,
    "2.0.0",
  );
});

test("GET /device pages in 50s, ordered by device_id", async () => {
  const { appId, key } = await orgWithApp("dev-paging");
  const ids = Array.from({ length: 51 }, (_, i) => `device-${String(50 - i).padStart(2, "0")}`);
  for (const device_id of ids) {
    assert.equal((await link(key, { app_id: appId, device_id, channel: "beta" })).status, 200);
  }
  const first = await invoke(`device?app_id=${appId}`, { credential: key });
  const second = await invoke(`device?app_id=${appId}&page=1`, { credential: key });
  assert.equal(first.data.length, 50);
  assert.equal(second.data.length, 1);
  assert.deepEqual([...first.data, ...second.data].map((d: { device_id: string }) => d.device_id), [...ids].sort());
  assert.deepEqual((await invoke(`device?app_id=${appId}&page=2`, { credential: key })).data, []);
});

test("device errors: 400 naming the field, 404 for unknown device, version or channel", async () => {
  const { appId, key } = await orgWithApp("dev-errors");
  const neither = await link(key, { app_id: appId, device_id: "x" });
  assert.deepEqual([neither.status, neither.data.error], [400, "version_id or channel is required"]);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ app_id: appId, channel: "beta" }, /device_id/],
    [{ app_id: appId, device_id: "", channel: "beta" }, /device_id/],
    [{ app_id: appId, device_id: "x".repeat(129), channel: "beta" }, /device_id/],
    [{ device_id: "x", channel: "beta" }, /app_id/],
    [{ app_id: appId, device_id: "x", version_id: 3 }, /version_id/],
    [{ app_id: appId, device_id: "x", channel: "beta", platform: "ios" }, /Unknown field: platform/],
  ];
  for (const [body, message] of cases) {
    const reply = await link(key, body);
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.data.status, "KO");
    assert.match(reply.data.error, message);
  }

  const noVersion = await link(key, { app_id: appId, device_id: "x", version_id: "9.9.9" });
  assert.deepEqual([noVersion.status, noVersion.data.error], [404, "Version not found"]);
  const noChannel = await link(key, { app_id: appId, device_id: "x", channel: "alpha" });
  assert.deepEqual([noChannel.status, noChannel.data.error], [404, "Channel not found"]);
  // Nothing was recorded by the refused links.
  assert.deepEqual((await invoke(`device?app_id=${appId}`, { credential: key })).data, []);
  assert.deepEqual(await invoke(`device?app_id=${appId}&device_id=x`, { credential: key }), {
    status: 404,
    data: { error: "Device not found", status: "KO" },
    contentType: "application/json",
  });
  const unlinkMissing = await invoke("device", {
    method: "DELETE",
    credential: key,
    body: { app_id: appId, device_id: "x" },
  });
  assert.deepEqual([unlinkMissing.status, unlinkMissing.data.error], [404, "Device not found"]);

  // A deleted channel or bundle stops being an override.
  await link(key, { app_id: appId, device_id: "y", version_id: "1.0.0", channel: "beta" });
  await invoke("channel", { method: "DELETE", credential: key, body: { app_id: appId, channel: "beta" } });
  await invoke("bundle", { method: "DELETE", credential: key, body: { app_id: appId, version: "1.0.0" } });
  const y = (await invoke(`device?app_id=${appId}&device_id=y`, { credential: key })).data;
  assert.deepEqual([y.version, y.channel], [null, null]);
  const deletedVersion = await link(key, { app_id: appId, device_id: "y", version_id: "1.0.0" });
  assert.deepEqual([deletedVersion.status, deletedVersion.data.error], [404, "Version not found"]);
});

test("a read key reads devices but cannot link or unlink (403)", async () => {
  const { owner, orgId, appId, key } = await orgWithApp("dev-read");
  await link(key, { app_id: appId, device_id: "d1", channel: "beta" });
  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  assert.equal((await invoke(`device?app_id=${appId}`, { credential: readKey })).data.length, 1);
  const refused = await link(readKey, { app_id: appId, device_id: "d1", version_id: "1.0.0" });
  assert.deepEqual([refused.status, refused.data.error], [403, "Linking devices requires the write role"]);
  const refusedNew = await link(readKey, { app_id: appId, device_id: "d2", channel: "beta" });
  assert.equal(refusedNew.status, 403);
  const noUnlink = await invoke("device", {
    method: "DELETE",
    credential: readKey,
    body: { app_id: appId, device_id: "d1" },
  });
  assert.deepEqual([noUnlink.status, noUnlink.data.error], [403, "Unlinking devices requires the write role"]);
  const after = (await invoke(`device?app_id=${appId}`, { credential: key })).data;
  assert.deepEqual(after.map((d: { device_id: string; channel: string }) => [d.device_id, d.channel]), [[
    "d1",
    "beta",
  ]]);
});

test("a key of another organization gets 404 on devices", async () => {
  const a = await orgWithApp("dev-iso-a");
  const b = await createOrgWithKey("dev-iso-b");
  await link(a.key, { app_id: a.appId, device_id: "d1", channel: "beta" });
  for (
    const reply of [
      await invoke(`device?app_id=${a.appId}`, { credential: b.key }),
      await invoke(`device?app_id=${a.appId}&device_id=d1`, { credential: b.key }),
      await link(b.key, { app_id: a.appId, device_id: "d1", version_id: "1.0.0" }),
      await invoke("device", { method: "DELETE", credential: b.key, body: { app_id: a.appId, device_id: "d1" } }),
    ]
  ) {
    assert.deepEqual([reply.status, reply.data.error], [404, "App not found"]);
  }
  const kept = (await invoke(`device?app_id=${a.appId}&device_id=d1`, { credential: a.key })).data;
  assert.deepEqual([kept.version, kept.channel], [null, "beta"]);
});

test("GET /device/openapi.json documents GET, POST and DELETE /device", async () => {
  const reply = await invoke("device/openapi.json");
  assert.equal(reply.status, 200);
  assert.deepEqual(Object.keys(reply.data.paths), ["/device"]);
  assert.deepEqual(Object.keys(reply.data.paths["/device"]).sort(), ["delete", "get", "post"]);
});
