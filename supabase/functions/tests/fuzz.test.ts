/**
 * Fuzzing every route of every function from its OpenAPI document (shared/fuzz/): a valid request, mutated and sent
 * with one of the credentials a client might send. Every answer is a documented 2xx or a 4xx in the surface's error
 * shape, never a 5xx, and a refused request changes nothing: the data of both fixture organizations is compared
 * before and after it. `npm test` runs FUZZ_RUNS requests (2,000) from FUZZ_SEED (fixed); `npm run fuzz` runs more
 * from a random seed, which fast-check prints with the failing request.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { errorBodyOf } from "../../../shared/fuzz/error-shapes.ts";
import { applyMutation, type Credential, credential, mutation } from "../../../shared/fuzz/mutations.ts";
import { type DraftRequest, type Operation, operations, urlOf, validRequest } from "../../../shared/fuzz/operations.ts";
import {
  adminDb,
  createKey,
  createOrgWithApp,
  createOrgWithKey,
  functionsUrl,
  invoke,
  signJwt,
  test,
} from "../../../shared/testing.ts";

const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261124);
const runs = Number(Deno.env.get("FUZZ_RUNS") ?? 2000);
// Package ids are unique across organizations: one of its own per run.
const PACKAGE = { publisher: "FuzzPublisher", name: `FuzzPackage${crypto.randomUUID().slice(0, 8)}` };

async function fixtures() {
  const tenant = await createOrgWithApp("fuzz");
  const other = await createOrgWithKey("fuzz-other");
  const keyOf = (mode: string, extra: Record<string, unknown> = {}) =>
    createKey(tenant.owner.jwt, { org_id: tenant.orgId, mode, ...extra });
  // Several keys of mode all, taken in turn, so that the per-key rate limits rarely refuse the fuzz.
  const pool = [tenant.key, ...await Promise.all(Array.from({ length: 7 }, () => keyOf("all")))];
  const expired = await keyOf("read");
  await adminDb`update public.apikeys set expires_at = now() - interval '1 second'
    where key_hash = private.secret_hash(${expired})`;
  const deleted = await keyOf("read");
  await adminDb`delete from public.apikeys where key_hash = private.secret_hash(${deleted})`;
  const [{ id: spareKeyId }] = await adminDb`select id from public.apikeys
    where key_hash = private.secret_hash(${await keyOf("read")})`;
  const packageId = `${PACKAGE.publisher}.${PACKAGE.name}`;
  await putPackage(tenant.key, tenant.orgId);
  const credentials: Record<Exclude<Credential, "valid" | "valid as Bearer" | "valid in x-api-key">, string> = {
    "read-only key": await keyOf("read"),
    "another tenant's key": other.key,
    "expired key": expired,
    "deleted key": deleted,
    malformed: "not-a-key",
    oversized: "k".repeat(5_000),
    "user token": tenant.owner.jwt,
    "forged token": `${(await signJwt({ role: "authenticated", sub: tenant.owner.id })).slice(0, -4)}AAAA`,
    none: "",
  };
  const values: Record<string, unknown> = {
    app_id: tenant.appId,
    owner_org: tenant.orgId,
    org_id: tenant.orgId,
    orgId: tenant.orgId,
    id: spareKeyId,
    channel: "production",
    device_id: "fuzz-device",
    version: "1.0.0",
    workspace_id: "fuzz-workspace",
    packageId,
    Id: packageId,
    publisher: PACKAGE.publisher,
    name: PACKAGE.name,
    Name: PACKAGE.name,
    Publisher: PACKAGE.publisher,
  };
  return { tenant, orgs: [tenant.orgId, other.orgId], pool, credentials, values };
}

/** Everything a request could write in the two organizations, as one text. */
async function snapshot(orgs: string[]): Promise<string> {
  const [{ state }] = await adminDb`
    select json_agg(x order by x.id)::text as state from (
      select o.id, md5(to_jsonb(o)::text) as org,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.app_id), '')) from public.apps r
          where r.owner_org = o.id) as apps,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.id), '')) from public.channels r
          join public.apps a using (app_id) where a.owner_org = o.id) as channels,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.id), '')) from public.app_versions r
          where r.owner_org = o.id) as bundles,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.app_id, r.device_id), ''))
          from public.devices r join public.apps a using (app_id) where a.owner_org = o.id) as devices,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.id), '')) from public.org_users r
          where r.org_id = o.id) as members,
        (select md5(coalesce(string_agg(r.id || ':' || r.mode || ':' || coalesce(r.expires_at::text, ''), ','
          order by r.id), '')) from public.apikeys r join public.org_users m on m.user_id = r.user_id
          where m.org_id = o.id) as keys,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.id), '')) from public.packages r
          where r.org_id = o.id) as packages,
        (select coalesce(sum(v.views), 0) from public.package_daily_views v join public.packages p on p.id = v.package_id
          where p.org_id = o.id) as views,
        (select count(*) from public.usage_events r where r.org_id = o.id) as events,
        (select concat_ws('/', sum(r.mau_delta), sum(r.bandwidth), sum(r.storage_delta)) from public.org_daily_usage r
          where r.org_id = o.id) as usage,
        (select concat_ws('/', count(*), sum(r.requests), sum(r.bytes)) from public.space_traffic r
          where r.org_id = o.id) as traffic,
        (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by r.workspace_id), '')) from public.workspaces r
          where r.org_id = o.id) as workspaces,
        (select count(*) from public.environment_users r where r.org_id = o.id) as environment_users
      from public.orgs as o where o.id = any (${orgs}::uuid[])
    ) as x`;
  const [{ organizations }] = await adminDb`select count(*)::int as organizations from public.orgs`;
  return `${organizations} ${state}`;
}

type Fixtures = Awaited<ReturnType<typeof fixtures>>;

function withCredential(draft: DraftRequest, operation: Operation, chosen: Credential, f: Fixtures, n: number) {
  const valid = f.pool[n % f.pool.length];
  const headers: Record<string, string> = {
    // An address of its own per request: failed authentications are limited per address.
    "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  };
  if (operation.access === "key" || chosen !== "valid") {
    if (chosen === "valid") headers.authorization = valid;
    else if (chosen === "valid as Bearer") headers.authorization = `Bearer ${valid}`;
    else if (chosen === "valid in x-api-key") headers["x-api-key"] = valid;
    else if (f.credentials[chosen]) headers.authorization = f.credentials[chosen];
  }
  return { ...draft, headers: { ...headers, ...draft.headers } };
}

async function send(draft: DraftRequest): Promise<{ status: number; text: string; contentType: string } | undefined> {
  const hasBody = draft.body !== undefined && !["GET", "HEAD"].includes(draft.method);
  let response: Response;
  try {
    // A lone surrogate cannot be percent-encoded: such a URL is never sent.
    let url: string;
    try {
      url = urlOf(functionsUrl, draft);
    } catch (error) {
      if (error instanceof URIError) return undefined;
      throw error;
    }
    response = await fetch(url, {
      method: draft.method,
      headers: {
        ...(hasBody ? { "content-type": "application/json" } : {}),
        ...draft.headers,
      },
      body: hasBody ? ("raw" in draft.body! ? draft.body.raw : JSON.stringify(draft.body!.json)) : undefined,
    });
  } catch (error) {
    // The client refused to send it (a header it cannot encode): nothing reached the server.
    if (error instanceof TypeError && !/connection|refused|reset/i.test(error.message)) return undefined;
    throw error;
  }
  return {
    status: response.status,
    text: await response.text(),
    contentType: response.headers.get("content-type") ?? "",
  };
}

/** The package the fuzz reads, created (again) over HTTP. */
async function putPackage(key: string, orgId: string) {
  const reply = await invoke("v2/packages", {
    method: "POST",
    credential: key,
    body: {
      Id: `${PACKAGE.publisher}.${PACKAGE.name}`,
      Name: PACKAGE.name,
      Publisher: PACKAGE.publisher,
      org_id: orgId,
    },
  });
  if (reply.status !== 200) throw new Error(`package: ${reply.status} ${JSON.stringify(reply.data)}`);
}

/** Fixtures a successful request removed come back, so that later requests still reach the routes' depths. */
async function restore(f: Fixtures) {
  await adminDb`insert into public.apps (app_id, owner_org, name) values (${f.values.app_id as string},
    ${f.tenant.orgId}, 'fuzz') on conflict do nothing`;
  const [{ missing }] = await adminDb`select not exists (select 1 from public.packages
    where identifier = ${f.values.packageId as string}) as missing`;
  if (missing) await putPackage(f.tenant.key, f.tenant.orgId);
}

test(`fuzz: ${runs} mutated requests (seed ${seed}) get a documented 2xx or a 4xx in their surface's shape, and a refused one changes nothing`, async () => {
  const f = await fixtures();
  const routes = await operations(functionsUrl);
  assert.ok(routes.length >= 30, `only ${routes.length} routes found`);
  let sent = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.nat(routes.length - 1), mutation, credential, async (index, change, chosen) => {
      const operation = routes[index];
      // Creating an app needs an id no app has; every other route names the fixture's.
      const values = operation.method === "POST" && operation.path === "/app"
        ? { ...f.values, app_id: `com.fuzz.app${sent}x${seed}` }
        : f.values;
      const draft = withCredential(
        applyMutation(validRequest(operation, values), change),
        operation,
        chosen,
        f,
        ++sent,
      );
      const before = await snapshot(f.orgs);
      const reply = await send(draft);
      if (!reply) return;
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      const where = `${draft.method} ${urlOf("", draft).slice(0, 200)}`;
      assert.ok(reply.status < 500, `${where}: ${reply.status} ${reply.text.slice(0, 300)}`);
      if (reply.status < 300) {
        // A mutated method may reach another documented route of the same path (HEAD answers as GET).
        const method = draft.method === "HEAD" ? "GET" : draft.method;
        const reached = routes.find((route) => route.path === operation.path && route.method === method);
        assert.ok(reached?.statuses.includes(reply.status), `${where}: undocumented ${reply.status}`);
        if (draft.method === "DELETE") await restore(f);
        return;
      }
      // HEAD answers carry no body; every other refusal is the surface's JSON error.
      if (draft.method !== "HEAD") {
        assert.match(reply.contentType, /^application\/json/, `${where}: ${reply.status} as ${reply.contentType}`);
        const shape = (await errorBodyOf(operation.fn, reply.status)).safeParse(JSON.parse(reply.text));
        assert.ok(
          shape.success,
          `${where}: ${reply.status} ${reply.text.slice(0, 300)} is not ${operation.fn}'s shape`,
        );
      }
      assert.equal(await snapshot(f.orgs), before, `${where}: refused with ${reply.status}, but wrote`);
    }),
    { seed, numRuns: runs },
  );
  // The suite must reach past validation: some requests succeed, many are refused for many reasons.
  console.log(`fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.ok((statuses.get(200) ?? 0) > runs / 20, "too few requests succeeded to reach the routes' depths");
  assert.ok([400, 401, 404].every((status) => statuses.has(status)));
});
