import assert from "node:assert/strict";
import { dayString, utcToday } from "../../../shared/days.ts";
import { adminDb, call, createKey, createOrgWithKey, test } from "../../../shared/testing.ts";
import { ApiError } from "../_shared/errors.ts";
import { fastifyErrors } from "../_shared/fastify-errors.ts";
import { createFunctionApp, endpoint } from "../_shared/function-app.ts";
import { z } from "@hono/zod-openapi";

const PUBLIC_FIELDS = ["CreatedAt", "Featured", "Id", "Latest", "UpdatedAt", "Versions"];

const routeOf = (id: string) => {
  const [publisher, ...name] = id.split(".");
  return `v2/packages/${publisher}/${name.join(".")}`;
};
const uniqueId = (prefix: string) => `${prefix}${crypto.randomUUID().slice(0, 8)}.App`;
const post = (key: string, body: Record<string, unknown>) =>
  call("v2/packages", { method: "POST", headers: { authorization: key }, body });

async function todaysViews(id: string): Promise<number> {
  const reply = await call(`v2/stats?packageId=${id}&after=${dayString(utcToday())}`, {
    headers: { "user-agent": crypto.randomUUID() },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.data));
  return reply.data.Stats.Data[0]?.Value ?? 0;
}

test("POST /v2/packages needs a write key of the owning organization; the document has public fields only", async () => {
  const { owner, orgId, key } = await createOrgWithKey("pkg-writer", "write");
  const id = uniqueId("Writer");
  for (const mode of ["read", "upload"]) {
    const weak = await createKey(owner.jwt, { org_id: orgId, mode });
    const refused = await post(weak, { Id: id, Name: "n", Publisher: "p" });
    assert.equal(refused.status, 403, mode);
    assert.deepEqual(Object.keys(refused.data).sort(), ["error", "message", "statusCode"]);
  }
  assert.equal((await post("", { Id: id, Name: "n", Publisher: "p" })).status, 401);

  const body = {
    Id: id,
    Name: "Writer App",
    Publisher: "Writer Inc.",
    Description: "d",
    Homepage: "https://w.example",
    License: "MIT",
    LicenseUrl: "https://w.example/l",
    Tags: ["a", "b"],
    Versions: ["2.0", "1.0"],
    Featured: true,
    IconUrl: "https://w.example/i.png",
  };
  const created = await post(key, body);
  assert.equal(created.status, 200, JSON.stringify(created.data));
  const document = created.data.Package;
  assert.deepEqual(Object.keys(document).sort(), [...PUBLIC_FIELDS, "IconUrl"].sort());
  assert.deepEqual(document.Latest, {
    Name: "Writer App",
    Publisher: "Writer Inc.",
    Tags: ["a", "b"],
    Description: "d",
    Homepage: "https://w.example",
    License: "MIT",
    LicenseUrl: "https://w.example/l",
  });
  assert.match(document.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(await todaysViews(id), 0, "posting counts no view");

  // An update keeps what it leaves out, may change the Id's letter case, and null removes an image.
  const updated = await post(key, { Id: id.toUpperCase(), Name: "Renamed", Publisher: "Writer Inc.", IconUrl: null });
  assert.equal(updated.data.Package.Id, id.toUpperCase());
  assert.deepEqual(updated.data.Package.Versions, ["2.0", "1.0"]);
  assert.equal(updated.data.Package.Latest.Name, "Renamed");
  assert.equal(updated.data.Package.IconUrl, undefined);
  assert.equal(updated.data.Package.CreatedAt, document.CreatedAt);

  const other = await createOrgWithKey("pkg-rival", "write");
  const taken = await post(other.key, { Id: id.toLowerCase(), Name: "x", Publisher: "y" });
  assert.equal(taken.status, 409);
  assert.equal((await call(routeOf(id), { method: "DELETE", headers: { authorization: other.key } })).status, 403);

  const invalid = await post(key, { Id: "nodot", Name: "", Publisher: "p", Extra: 1 });
  assert.equal(invalid.status, 400);
  assert.match(invalid.data.message, /^body\/Id must match pattern/);
  assert.match(invalid.data.message, /additional properties \(Extra\)/);
});

test("DELETE removes the package and its views; then both routes answer 404", async () => {
  const { key } = await createOrgWithKey("pkg-deleter", "write");
  const id = uniqueId("Deleted");
  await post(key, { Id: id, Name: "n", Publisher: "p" });
  assert.equal((await call(routeOf(id), { headers: { "user-agent": "deleter" } })).status, 200);
  const [{ id: internal }] = await adminDb`select id from public.packages where identifier = ${id}`;
  const deleted = await call(routeOf(id.toLowerCase()), { method: "DELETE", headers: { authorization: key } });
  assert.equal(deleted.status, 204);
  assert.equal((await call(routeOf(id))).status, 404);
  assert.equal((await call(`v2/stats?packageId=${id}`)).status, 404);
  const [{ count }] = await adminDb`
    select (select count(*) from public.package_daily_views where package_id = ${internal})
      + (select count(*) from private.package_view_clients where package_id = ${internal}) as count`;
  assert.equal(Number(count), 0);
  assert.equal((await call(routeOf(id), { method: "DELETE", headers: { authorization: key } })).status, 404);
});

test("one view per client, package and UTC day; the client is the last x-forwarded-for entry and the user agent", async () => {
  const { key } = await createOrgWithKey("pkg-dedup", "write");
  const id = uniqueId("Dedup");
  await post(key, { Id: id, Name: "n", Publisher: "p" });
  const view = (agent: string, forwarded?: string) =>
    call(routeOf(id), { headers: { "user-agent": agent, ...(forwarded ? { "x-forwarded-for": forwarded } : {}) } });

  const first = await view("agent-1");
  assert.equal(first.status, 200);
  assert.deepEqual(Object.keys(first.data.Package).sort(), PUBLIC_FIELDS);
  await view("agent-1");
  assert.equal(await todaysViews(id), 1, "the same client twice: one view");
  await view("agent-2");
  assert.equal(await todaysViews(id), 2, "two user agents: two views");
  // A client cannot pose as another by sending its own x-forwarded-for: only the last entry counts.
  await view("agent-3", "203.0.113.7, 198.51.100.1");
  await view("agent-3", "192.0.2.99, 198.51.100.1");
  assert.equal(await todaysViews(id), 3);
  await view("agent-3", "198.51.100.2");
  assert.equal(await todaysViews(id), 4);

  // Stored: 32-byte keyed hashes, never the address or the agent; past days' records are gone after a new view.
  const [{ id: internal }] = await adminDb`select id from public.packages where identifier = ${id}`;
  const rows = await adminDb`select day, client from private.package_view_clients where package_id = ${internal}`;
  assert.equal(rows.length, 4);
  for (const row of rows) {
    assert.equal(row.client.length, 32);
    assert.ok(!new TextDecoder().decode(row.client).includes("agent"));
  }
  await adminDb`insert into private.package_view_clients values (current_date - 1, ${internal}, '\\x01')`;
  await view("agent-4");
  const [{ past }] = await adminDb`select count(*) as past from private.package_view_clients where day < current_date`;
  assert.equal(Number(past), 0);
});

test("public routes: 60 per minute per client, RateLimit headers, then 429 with Retry-After and nothing counted", async () => {
  const { key } = await createOrgWithKey("pkg-limited", "write");
  const often = uniqueId("Often");
  const spared = uniqueId("Spared");
  await post(key, { Id: often, Name: "n", Publisher: "p" });
  await post(key, { Id: spared, Name: "n", Publisher: "p" });
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = { "user-agent": `limited-${crypto.randomUUID()}` };
    const first = await call(routeOf(often), { headers });
    assert.equal(first.headers.get("ratelimit-limit"), "60");
    assert.equal(first.headers.get("ratelimit-remaining"), "59");
    assert.equal(first.headers.get("ratelimit-policy"), "60;w=60");
    assert.match(first.headers.get("ratelimit-reset") ?? "", /^\d+$/);
    let admitted = 1;
    while ((await call(routeOf(often), { headers })).status === 200) admitted++;
    assert.ok(admitted >= 60 && admitted <= 65, `admitted ${admitted}`);
    const sparedBefore = await todaysViews(spared);
    const refused = await call(routeOf(spared), { headers });
    if (refused.status === 200) continue; // a token came back in between: start over with a fresh client
    assert.equal(refused.status, 429);
    assert.deepEqual(Object.keys(refused.data).sort(), ["error", "message", "statusCode"]);
    assert.equal(refused.data.error, "Too Many Requests");
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal(refused.headers.get("ratelimit-remaining"), "0");
    assert.equal(await todaysViews(spared), sparedBefore, "a refused request counts nothing");
    return;
  }
  assert.fail("never refused");
});

test("key routes carry RateLimit headers of 100 per second per key", async () => {
  const { key } = await createOrgWithKey("pkg-key-limit", "read");
  const reply = await call("organization", { headers: { authorization: key } });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.get("ratelimit-limit"), "100");
  assert.equal(reply.headers.get("ratelimit-remaining"), "99");
  assert.equal(reply.headers.get("ratelimit-policy"), "100;w=1");
});

test("a key over its limit gets a 429 in the surface's shape, and the handler never runs", async () => {
  const { key } = await createOrgWithKey("pkg-key-429", "read");
  let handled = 0;
  const app = createFunctionApp("limited", {
    errorShape: fastifyErrors,
    rateLimits: { key: { limit: 3, windowSeconds: 60 } },
  });
  endpoint(app, {
    method: "get",
    path: "/",
    summary: "counts its calls",
    input: z.object({}),
    output: z.object({ handled: z.number() }),
    handler: () => {
      handled++;
      if (handled > 3) throw new ApiError(500, "ran over the limit");
      return Promise.resolve({ handled });
    },
  });
  const statuses = [];
  let last: Response | undefined;
  for (let i = 0; i < 5; i++) {
    last = await app.request("/limited", { headers: { authorization: key } });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  assert.equal(handled, 3);
  assert.match(last!.headers.get("retry-after") ?? "", /^(19|20)$/);
  assert.deepEqual(await last!.json(), {
    statusCode: 429,
    error: "Too Many Requests",
    message: `Rate limit exceeded, retry in ${last!.headers.get("retry-after")} seconds`,
  });
});

test("package.view events: upload keys of the package's organization only, unknown packages refused whole", async () => {
  const { owner, orgId, key } = await createOrgWithKey("pkg-import", "write");
  const id = uniqueId("Imported");
  await post(key, { Id: id, Name: "n", Publisher: "p" });
  const event = { type: "package.view", package_id: id, views: 7 };
  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  assert.equal(
    (await call("ingest", { method: "POST", headers: { authorization: readKey }, body: { events: [event] } })).status,
    403,
  );
  const stranger = await createOrgWithKey("pkg-import-stranger", "upload");
  const foreign = await call("ingest", {
    method: "POST",
    headers: { authorization: stranger.key },
    body: { events: [event] },
  });
  assert.equal(foreign.status, 403);
  assert.deepEqual(foreign.data.errors, [{
    index: 0,
    error: "Ingesting needs a key of mode upload or above on the package's organization",
  }]);
  const unknown = await call("ingest", {
    method: "POST",
    headers: { authorization: key },
    body: { events: [event, { ...event, package_id: "Nobody.Nothing" }] },
  });
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.data.errors, [{ index: 1, error: "Package Nobody.Nothing not found" }]);
  const invalid = await call("ingest", {
    method: "POST",
    headers: { authorization: key },
    body: { events: [{ ...event, views: 0 }] },
  });
  assert.equal(invalid.status, 400);
  assert.equal(await todaysViews(id), 0, "refused batches write nothing");
  const accepted = await call("ingest", {
    method: "POST",
    headers: { authorization: key },
    body: { events: [event, { ...event, views: undefined }] },
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.data));
  assert.equal(await todaysViews(id), 8);
});
