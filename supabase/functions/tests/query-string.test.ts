import assert from "node:assert/strict";
import { functionNames } from "../../../shared/functions-server.ts";
import { createOrgWithApp, createUser, invoke, test } from "../../../shared/testing.ts";

/** What clients add on their own: a cache buster, an SDK flag, the original platform's noAccumulate. */
const CLIENT_EXTRAS = "_=1732350000000&sdk=capacitor&noAccumulate=true";

const withExtras = (path: string) => `${path}${path.includes("?") ? "&" : "?"}${CLIENT_EXTRAS}`;

interface Call {
  /** The route as its OpenAPI document names it, e.g. "DELETE /apikey/{id}". */
  route: string;
  path: string;
  body?: Record<string, unknown>;
  credential?: string;
  /** The success status when it is not 200. */
  status?: number;
}

/** Every documented route, called once in an order where each call succeeds (create before read and delete). */
async function successfulCallOfEveryRoute(): Promise<Call[]> {
  const { owner, orgId, appId, key } = await createOrgWithApp("extras");
  const invitee = await createUser("extras-invitee");
  const secondApp = `${appId}.second`;
  const thirdApp = `${appId}.third`;
  const createdKey = await invoke("apikey", { method: "POST", credential: owner.jwt, body: { mode: "read" } });
  const day = new Date().toISOString().slice(0, 10);
  const dates = `from=${day}&to=${day}`;
  const packageId = `Extras${crypto.randomUUID().slice(0, 8)}.Package`;
  return [
    { route: "GET /organization", path: `organization?orgId=${orgId}` },
    { route: "POST /organization", path: "organization", body: { orgId, name: "Renamed" } },
    { route: "PUT /organization", path: "organization", body: { name: "Another" }, credential: owner.jwt },
    {
      route: "POST /organization/members",
      path: "organization/members",
      body: { orgId, email: invitee.email, role: "read" },
    },
    { route: "GET /organization/members", path: `organization/members?orgId=${orgId}` },
    {
      route: "POST /organization/members/accept",
      path: "organization/members/accept",
      body: { orgId },
      credential: invitee.jwt,
    },
    { route: "DELETE /organization/members", path: "organization/members", body: { orgId, email: invitee.email } },
    { route: "GET /apikey", path: "apikey", credential: owner.jwt },
    { route: "POST /apikey", path: "apikey", body: { mode: "read" }, credential: owner.jwt },
    { route: "DELETE /apikey/{id}", path: `apikey/${createdKey.data.apikey.id}`, credential: owner.jwt },
    { route: "POST /app", path: "app", body: { owner_org: orgId, app_id: secondApp, name: "Second" } },
    { route: "POST /app", path: "app", body: { owner_org: orgId, app_id: thirdApp, name: "Third" } },
    { route: "GET /app", path: `app?app_id=${appId}` },
    { route: "GET /app/{app_id}", path: `app/${appId}` },
    { route: "DELETE /app", path: `app?app_id=${secondApp}` },
    { route: "DELETE /app/{app_id}", path: `app/${thirdApp}` },
    { route: "POST /bundle", path: "bundle", body: { app_id: appId, version: "1.0.0", size: 10 } },
    { route: "GET /bundle", path: `bundle?app_id=${appId}` },
    { route: "POST /channel", path: "channel", body: { app_id: appId, channel: "beta", public: true } },
    { route: "GET /channel", path: `channel?app_id=${appId}` },
    {
      route: "POST /ingest",
      path: "ingest",
      body: { events: [{ type: "device.activity", app_id: appId, device_id: "d1" }] },
    },
    { route: "POST /device", path: "device", body: { app_id: appId, device_id: "d1", channel: "beta" } },
    { route: "GET /device", path: `device?app_id=${appId}` },
    { route: "DELETE /device", path: `device?app_id=${appId}&device_id=d1` },
    { route: "DELETE /channel", path: `channel?app_id=${appId}&channel=beta` },
    { route: "DELETE /bundle", path: `bundle?app_id=${appId}&version=1.0.0` },
    { route: "GET /statistics/app/{app_id}", path: `statistics/app/${appId}?${dates}` },
    { route: "GET /statistics/org/{org_id}", path: `statistics/org/${orgId}?${dates}` },
    { route: "GET /statistics/user", path: `statistics/user?${dates}` },
    { route: "PUT /api/workspaces/{workspace_id}", path: "api/workspaces/w1", body: { name: "First" } },
    { route: "GET /api/statistics", path: `api/statistics/?stats_type=users&start=${day}&end=${day}` },
    { route: "POST /v2/packages", path: "v2/packages", body: { Id: packageId, Name: "Extras", Publisher: "Tally" } },
    { route: "GET /v2/packages/{publisher}/{name}", path: `v2/packages/${packageId.replace(".", "/")}` },
    { route: "GET /v2/stats", path: `v2/stats?packageId=${packageId}` },
    { route: "GET /v1/orgs/me/statistics/all_traffic", path: "v1/orgs/me/statistics/all_traffic?group_by=day" },
    { route: "GET /v1/orgs/me/traffic_alerts", path: "v1/orgs/me/traffic_alerts" },
    {
      route: "DELETE /v2/packages/{publisher}/{name}",
      path: `v2/packages/${packageId.replace(".", "/")}`,
      status: 204,
    },
  ].map((call) => ({ ...call, credential: call.credential ?? key }));
}

async function documentedRoutes(): Promise<string[]> {
  const routes: string[] = [];
  for (const name of await functionNames()) {
    const document = await invoke(`${name}/openapi.json`);
    for (const [path, methods] of Object.entries(document.data.paths as Record<string, object>)) {
      for (const method of Object.keys(methods)) routes.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return routes.sort();
}

test("query parameters no route declares are ignored, on every documented route", async () => {
  const calls = await successfulCallOfEveryRoute();
  assert.deepEqual([...new Set(calls.map((call) => call.route))].sort(), await documentedRoutes());
  for (const call of calls) {
    const method = call.route.split(" ")[0] as "GET" | "POST" | "PUT" | "DELETE";
    const reply = await invoke(withExtras(call.path), { method, credential: call.credential, body: call.body });
    assert.equal(reply.status, call.status ?? 200, `${call.route}: ${JSON.stringify(reply.data)}`);
    if (method === "GET") {
      const plain = await invoke(call.path, { credential: call.credential });
      assert.deepEqual(reply.data, plain.data, `${call.route} answers as without the extras`);
    }
  }
});

test("unknown JSON body fields stay a 400 that names them, with or without extras in the query", async () => {
  const { appId, key } = await createOrgWithApp("extras-body");
  const reply = await invoke(withExtras("channel"), {
    method: "POST",
    credential: key,
    body: { app_id: appId, channel: "beta", noAccumulate: true },
  });
  assert.deepEqual({ status: reply.status, data: reply.data }, {
    status: 400,
    data: { error: "Unknown field: noAccumulate", status: "KO" },
  });
});

test("in a JSON body a number or boolean written as text is a 400 naming the field", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("typed-body");
  const cases: [string, Record<string, unknown>, string][] = [
    ["bundle", { app_id: appId, version: "1.0.0", size: "12" }, "size"],
    ["channel", { app_id: appId, channel: "beta", public: "true" }, "public"],
    ["channel", { app_id: appId, channel: "beta", allow_dev: "false" }, "allow_dev"],
    ["apikey", { mode: "read", limited_to_orgs: orgId }, "limited_to_orgs"],
  ];
  for (const [path, body, field] of cases) {
    const credential = path === "apikey" ? owner.jwt : key;
    const reply = await invoke(path, { method: "POST", credential, body });
    assert.equal(reply.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.data)}`);
    assert.match(reply.data.error, new RegExp(`^Invalid ${field}: .*expected (number|boolean|array)`));
    assert.equal(reply.data.status, "KO");
  }
  const stored = await invoke(`bundle?app_id=${appId}`, { credential: key });
  assert.deepEqual(stored.data, [], "nothing was registered");
});

test("query-string and path values are read as the declared numbers, booleans and lists", async () => {
  const { owner, orgId, appId, key } = await createOrgWithApp("typed-query");
  const created = await invoke(`channel?app_id=${appId}&channel=beta&public=true&allow_dev=false`, {
    method: "POST",
    credential: key,
  });
  assert.equal(created.status, 200, JSON.stringify(created.data));
  const channel = await invoke(`channel?app_id=${appId}&channel=beta`, { credential: key });
  assert.deepEqual([channel.data.public, channel.data.allow_dev], [true, false]);
  assert.deepEqual((await invoke(`channel?app_id=${appId}&page=1`, { credential: key })).data, []);

  const bundle = await invoke(`bundle?app_id=${appId}&version=2.0.0&size=12`, { method: "POST", credential: key });
  assert.equal(bundle.data.size, 12);

  const limitedKey = await invoke(`apikey?mode=read&limited_to_orgs=${orgId}&limited_to_apps=${appId}`, {
    method: "POST",
    credential: owner.jwt,
  });
  assert.deepEqual([limitedKey.data.apikey.limited_to_orgs, limitedKey.data.apikey.limited_to_apps], [[orgId], [
    appId,
  ]]);
  const deleted = await invoke(`apikey/${limitedKey.data.apikey.id}`, { method: "DELETE", credential: owner.jwt });
  assert.deepEqual(deleted.data, { success: true });

  for (
    const [path, field] of [
      [`channel?app_id=${appId}&page=two`, "page"],
      [`channel?app_id=${appId}&channel=x&public=yes`, "public"],
      [`statistics/org/${orgId}?from=2024-01-01&to=2024-01-02&breakdown=1`, "breakdown"],
      ["apikey/first", "id"],
    ]
  ) {
    const method = path.startsWith("apikey") ? "DELETE" : path.includes("public=") ? "POST" : "GET";
    const reply = await invoke(path, { method, credential: path.startsWith("apikey") ? owner.jwt : key });
    assert.equal(reply.status, 400, path);
    assert.match(reply.data.error, new RegExp(`^Invalid ${field}: `), path);
  }
});

test("the OpenAPI documents declare query numbers and booleans with their real types", async () => {
  const parameterType = async (name: string, path: string, method: string, parameter: string) => {
    const document = await invoke(`${name}/openapi.json`);
    const found = document.data.paths[path][method].parameters.find((p: { name: string }) => p.name === parameter);
    return found.schema.type;
  };
  assert.equal(await parameterType("channel", "/channel", "get", "page"), "integer");
  assert.equal(await parameterType("statistics", "/statistics/org/{org_id}", "get", "breakdown"), "boolean");
  assert.equal(await parameterType("apikey", "/apikey/{id}", "delete", "id"), "integer");
  const body =
    (await invoke("channel/openapi.json")).data.paths["/channel"].post.requestBody.content["application/json"];
  assert.equal(body.schema.properties.public.type, "boolean");
});
