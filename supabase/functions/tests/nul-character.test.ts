import assert from "node:assert/strict";
import { createOrgWithApp, createUser, invoke, test } from "../../../shared/testing.ts";

// Postgres refuses U+0000 in text (SQLSTATE 22021) and in jsonb (22P05): such input must never reach it.
const NUL = "\u0000";
const withNul = (text: string) => `${text}${NUL}tail`;
const inQuery = encodeURIComponent(withNul("x"));

interface Case {
  route: string;
  path: string;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: Record<string, unknown>;
  credential?: "user";
  /** The field the answer must name. */
  field: string;
}

test("a NUL character in a stored or looked-up string is a 400 naming the field, on every route that takes text", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("nul");
  const cases: Case[] = [
    { route: "PUT /organization", path: "organization", method: "PUT", body: { name: withNul("Org") }, field: "name" },
    {
      route: "POST /organization",
      path: "organization",
      method: "POST",
      body: { orgId, name: withNul("O") },
      field: "name",
    },
    {
      route: "POST /organization/members",
      path: "organization/members",
      method: "POST",
      body: { orgId, email: withNul("a@b.co"), role: "read" },
      field: "email",
    },
    {
      route: "POST /apikey",
      path: "apikey",
      method: "POST",
      body: { mode: "read", name: withNul("k") },
      credential: "user",
      field: "name",
    },
    {
      route: "POST /app",
      path: "app",
      method: "POST",
      body: { owner_org: orgId, app_id: `${appId}.b`, name: withNul("A") },
      field: "name",
    },
    { route: "GET /app", path: `app?app_id=${encodeURIComponent(withNul(appId))}`, field: "app_id" },
    { route: "GET /app/{app_id} (a path value)", path: `app/${encodeURIComponent(withNul(appId))}`, field: "app_id" },
    {
      route: "POST /channel",
      path: "channel",
      method: "POST",
      body: { app_id: appId, channel: withNul("beta") },
      field: "channel",
    },
    { route: "GET /channel", path: `channel?app_id=${appId}&channel=${inQuery}`, field: "channel" },
    {
      route: "DELETE /channel",
      path: `channel?app_id=${appId}&channel=${inQuery}`,
      method: "DELETE",
      field: "channel",
    },
    {
      route: "POST /device",
      path: "device",
      method: "POST",
      body: { app_id: appId, device_id: withNul("d"), channel: "c" },
      field: "device_id",
    },
    { route: "GET /device", path: `device?app_id=${appId}&device_id=${inQuery}`, field: "device_id" },
    {
      route: "DELETE /device",
      path: "device",
      method: "DELETE",
      body: { app_id: appId, device_id: withNul("d") },
      field: "device_id",
    },
    {
      route: "POST /bundle",
      path: "bundle",
      method: "POST",
      body: { app_id: appId, version: withNul("1"), size: 1 },
      field: "version",
    },
    {
      route: "POST /bundle (inside native_packages)",
      path: "bundle",
      method: "POST",
      body: {
        app_id: appId,
        version: "1.0.0",
        size: 1,
        native_packages: [{ name: "a" }, { name: withNul("@capacitor/app") }],
      },
      field: "native_packages[1].name",
    },
    {
      route: "POST /bundle (a key inside native_packages)",
      path: "bundle",
      method: "POST",
      body: { app_id: appId, version: "1.0.0", size: 1, native_packages: [{ [withNul("name")]: "a" }] },
      field: "native_packages[0]",
    },
    { route: "DELETE /bundle", path: `bundle?app_id=${appId}&version=${inQuery}`, method: "DELETE", field: "version" },
  ];
  for (const { route, path, method, body, credential, field } of cases) {
    const reply = await invoke(path, { method: method ?? "GET", body, credential: credential ? owner.jwt : key });
    assert.deepEqual(
      { status: reply.status, data: reply.data },
      { status: 400, data: { error: `Invalid ${field}: must not contain a NUL character`, status: "KO" } },
      route,
    );
  }
  const untouched = await invoke(`channel?app_id=${appId}`, { credential: key });
  assert.deepEqual(untouched.data, [], "nothing was written");
});

test("POST /ingest lists a NUL character at any depth of an event by index, and writes nothing", async () => {
  const { appId, key } = await createOrgWithApp("nul-ingest");
  const events = Array.from({ length: 5 }, (_, i) => ({ type: "device.activity", app_id: appId, device_id: `d${i}` }));
  events[3].device_id = withNul("d3");
  const reply = await invoke("ingest", {
    method: "POST",
    credential: key,
    body: { events: [...events, { type: "api.request", space_id: "s", id: withNul("retry") }] },
  });
  assert.deepEqual({ status: reply.status, data: reply.data }, {
    status: 400,
    data: {
      error: "Invalid events",
      status: "KO",
      errors: [
        { index: 3, error: "device_id: must not contain a NUL character" },
        { index: 5, error: "id: must not contain a NUL character" },
      ],
    },
  });
  assert.deepEqual((await invoke(`device?app_id=${appId}`, { credential: key })).data, [], "nothing was written");

  const outsideEvents = await invoke("ingest", {
    method: "POST",
    credential: key,
    body: { org_id: withNul("x"), events: [events[0]] },
  });
  assert.deepEqual(outsideEvents.data, { error: "Invalid org_id: must not contain a NUL character", status: "KO" });
});

test("a NUL character in a query parameter no route declares is ignored with it", async () => {
  const { appId, key } = await createOrgWithApp("nul-ignored");
  const user = await createUser("nul-ignored-user");
  const reply = await invoke(`app/${appId}?_=${inQuery}`, { credential: key });
  assert.equal(reply.status, 200);
  assert.equal((await invoke(`organization?cache=${inQuery}`, { credential: user.jwt })).status, 200);
});
