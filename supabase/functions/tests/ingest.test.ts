import assert from "node:assert/strict";
import { adminDb, createKey, createOrgWithApp, invoke, test } from "../../../shared/testing.ts";

async function orgWithApp(handle: string) {
  const org = await createOrgWithApp(handle);
  const appId = org.appId;
  const uploadKey = await createKey(org.owner.jwt, { org_id: org.orgId, mode: "upload" });
  return { ...org, appId, uploadKey };
}

const today = () => new Date().toISOString().slice(0, 10);

async function todayUsage(appId: string) {
  const [row] =
    await adminDb`select mau::int, bandwidth::int from private.app_daily_stats(array[${appId}]::text[], ${today()}::date, ${today()}::date)`;
  return row as { mau: number; bandwidth: number };
}

/** Days from `daysBack` days ago to 30 days ahead whose stored MAU differs from the definition (recompute_mau). */
async function mauMismatches(appId: string, daysBack: number) {
  const [{ mismatches }] = await adminDb`
    select count(*)::int as mismatches
    from private.app_daily_stats(array[${appId}]::text[], current_date - ${daysBack}::int, current_date + 30) as s
    join private.recompute_mau(${appId}, current_date - ${daysBack}::int, current_date + 30) as r using (day)
    where s.mau <> r.mau`;
  return mismatches as number;
}

async function rawEventCount(orgId: string) {
  const [{ count }] = await adminDb`select count(*)::int from public.usage_events where org_id = ${orgId}`;
  return count as number;
}

test("a batch retried three times counts once", async () => {
  const { appId, uploadKey, orgId } = await orgWithApp("retry");
  const events = [
    { type: "device.activity", id: "r-1", app_id: appId, device_id: "dev-1" },
    { type: "bundle.download", id: "r-2", app_id: appId, device_id: "dev-1", bytes: 1000 },
    { type: "api.request", id: "r-3", space_id: 1, requests: 2, bytes: 10 },
  ];
  const replies = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    replies.push(await invoke("ingest", { method: "POST", credential: uploadKey, body: { events } }));
  }
  assert.deepEqual(replies.map((r) => [r.status, r.data.accepted, r.data.duplicates]), [
    [200, 3, 0],
    [200, 0, 3],
    [200, 0, 3],
  ]);
  assert.deepEqual(await todayUsage(appId), { mau: 1, bandwidth: 1000 });
  assert.equal(await rawEventCount(orgId), 3);
  const [traffic] =
    await adminDb`select requests::int, bytes::int from public.space_traffic where org_id = ${orgId} and grain = 'day'`;
  assert.deepEqual({ ...traffic }, { requests: 2, bytes: 10 });
});

test("the same id twice in one batch is one event", async () => {
  const { appId, uploadKey } = await orgWithApp("dup-in-batch");
  const event = { type: "bundle.download", id: "same", app_id: appId, device_id: "d", bytes: 7 };
  const reply = await invoke("ingest", { method: "POST", credential: uploadKey, body: { events: [event, event] } });
  assert.deepEqual([reply.data.accepted, reply.data.duplicates], [1, 1]);
  assert.equal((await todayUsage(appId)).bandwidth, 7);
});

test("20 concurrent batches on the same app and day produce exact totals", async () => {
  const { appId, uploadKey } = await orgWithApp("concurrent");
  // Batches overlap on devices so that MAU coverage of one device is contended.
  const batches = Array.from({ length: 20 }, (_, batch) =>
    Array.from({ length: 50 }, (_, i) => [
      { type: "device.activity", app_id: appId, device_id: `dev-${(batch * 7 + i) % 120}` },
      { type: "bundle.download", app_id: appId, device_id: `dev-${i}`, bytes: batch + 1 },
    ]).flat());
  const replies = await Promise.all(
    batches.map((events) => invoke("ingest", { method: "POST", credential: uploadKey, body: { events } })),
  );
  assert.ok(replies.every((r) => r.status === 200), JSON.stringify(replies.find((r) => r.status !== 200)));
  const devices = new Set(batches.flat().filter((e) => e.type === "device.activity").map((e) => e.device_id));
  const bandwidth = batches.flat().reduce((sum, e) => sum + ((e as { bytes?: number }).bytes ?? 0), 0);
  assert.deepEqual(await todayUsage(appId), { mau: devices.size, bandwidth });
  assert.equal(await mauMismatches(appId, 1), 0);
});

test("20 concurrent batches of the same returning devices produce exact totals", async () => {
  const { appId, uploadKey } = await orgWithApp("returning");
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  const activity = (device: number, days: number) => ({
    type: "device.activity",
    app_id: appId,
    device_id: `known-${device}`,
    timestamp: daysAgo(days),
  });
  const devices = Array.from({ length: 100 }, (_, device) => device);
  // Known before: active 40 and 12 days ago.
  for (const days of [40, 12]) {
    const reply = await invoke("ingest", {
      method: "POST",
      credential: uploadKey,
      body: { events: devices.map((device) => activity(device, days)) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
  }
  // Each batch: every device today (after its last day), and some on a day between or before their stored ones.
  const batches = Array.from(
    { length: 20 },
    (_, batch) =>
      devices.flatMap((device) => [activity(device, 0), activity(device, [1, 11, 29, 41, 70][(device + batch) % 5])]),
  );
  const replies = await Promise.all(
    batches.map((events) => invoke("ingest", { method: "POST", credential: uploadKey, body: { events } })),
  );
  assert.ok(replies.every((r) => r.status === 200), JSON.stringify(replies.find((r) => r.status !== 200)));
  const [{ mismatches, days }] = await adminDb`
    with raw as (
      select distinct payload ->> 'device_id' as device_id, (occurred_at at time zone 'UTC')::date as day
      from public.usage_events where subject = ${appId}
    )
    select
      (select count(*)::int
        from private.app_daily_stats(array[${appId}]::text[], current_date - 75, current_date + 30) as s
        where s.mau <> (select count(distinct device_id) from raw where raw.day between s.day - 29 and s.day))
        as mismatches,
      (select count(*)::int from (
        select device_id, day from raw
        except select device_id, day from private.device_active_days where app_id = ${appId}
      ) as missing) as days`;
  assert.equal(mismatches, 0);
  assert.equal(days, 0);
});

type DeviceEvent = { type: string; app_id: string; device_id: string; timestamp: string };

/**
 * Sends five batches while another batch, run in a transaction held open, has written the same devices: each reads
 * the rows as they were, then waits for their locks until the held batch commits.
 */
async function sendWhileHeld(uploadKey: string, held: DeviceEvent[], sent: DeviceEvent[]) {
  let pending: Promise<Awaited<ReturnType<typeof invoke>>[]> | undefined;
  await adminDb.begin(async (tx) => {
    const [{ claims }] = await tx`select private.apikey_claims(${uploadKey}) as claims`;
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${
      JSON.stringify(claims)
    }, true)`;
    await tx`select edge_api.ingest_events(${tx.json(held)})`;
    pending = Promise.all(
      Array.from(
        { length: 5 },
        () => invoke("ingest", { method: "POST", credential: uploadKey, body: { events: sent } }),
      ),
    );
    let waiting = 0;
    for (let tries = 0; tries < 100 && waiting < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      [{ waiting }] = await adminDb`
        select count(*)::int as waiting from pg_stat_activity
        where wait_event_type = 'Lock' and query like '%edge_api.ingest_events%'`;
    }
    // Otherwise the batches ran after the held one and this would test nothing.
    assert.equal(waiting, 5, "the five batches never waited for the held rows");
  });
  const replies = await pending!;
  assert.ok(replies.every((r) => r.status === 200), JSON.stringify(replies.find((r) => r.status !== 200)));
}

test("batches that read their devices while another batch wrote them read them again once locked", async () => {
  const { appId, uploadKey } = await orgWithApp("stale-read");
  const activity = (device: string, daysAgo: number) => ({
    type: "device.activity",
    app_id: appId,
    device_id: device,
    timestamp: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
  });
  const devices = Array.from({ length: 50 }, (_, device) => `known-${device}`);
  const known = await invoke("ingest", {
    method: "POST",
    credential: uploadKey,
    body: { events: devices.map((device) => activity(device, 12)) },
  });
  assert.equal(known.status, 200, JSON.stringify(known.data));
  // Known devices: the held batch stores today, which the five batches send too.
  await sendWhileHeld(
    uploadKey,
    devices.map((device) => activity(device, 0)),
    devices.map((device) => activity(device, 0)),
  );
  // A device new to the registry: the held batch adds it today, the five batches a day earlier.
  await sendWhileHeld(uploadKey, [activity("racer", 0)], [activity("racer", 1)]);
  // Each day counts once: the five batches found today stored once they had the rows, and the racer's row there.
  assert.equal((await todayUsage(appId)).mau, devices.length + 1);
  const [{ days }] = await adminDb`
    select array_agg(current_date - day order by day)::int[] as days from private.device_active_days
    where app_id = ${appId} and device_id = 'racer'`;
  assert.deepEqual(days, [1, 0]);
  assert.equal(await mauMismatches(appId, 15), 0);
});

test("a batch with one bad event writes nothing and lists the problem by index", async () => {
  const { appId, uploadKey, orgId } = await orgWithApp("bad-event");
  const reply = await invoke("ingest", {
    method: "POST",
    credential: uploadKey,
    body: {
      events: [
        { type: "device.activity", app_id: appId, device_id: "ok" },
        { type: "bundle.download", app_id: appId, device_id: "x", bytes: -5 },
        { type: "teleport", app_id: appId },
      ],
    },
  });
  assert.equal(reply.status, 400);
  assert.equal(reply.data.error, "Invalid events");
  assert.equal(reply.data.status, "KO");
  assert.deepEqual(reply.data.errors.map((e: { index: number }) => e.index), [1, 2]);
  assert.match(reply.data.errors[0].error, /^bytes: /);
  assert.equal(await rawEventCount(orgId), 0);
  assert.deepEqual(await todayUsage(appId), { mau: 0, bandwidth: 0 });
});

test("limits: count, size and timestamps give 400/413 with a clear message", async () => {
  const { appId, uploadKey } = await orgWithApp("limits");
  const tooMany = Array.from({ length: 1001 }, () => ({ type: "api.request", space_id: 1 }));
  const count = await invoke("ingest", { method: "POST", credential: uploadKey, body: { events: tooMany } });
  assert.equal(count.status, 400);
  assert.equal(count.data.error, "Invalid events: at most 1000 events per batch");

  const empty = await invoke("ingest", { method: "POST", credential: uploadKey, body: { events: [] } });
  assert.equal(empty.status, 400);
  assert.equal(empty.data.error, "Invalid events: at least one event is required");

  const big = Array.from(
    { length: 900 },
    () => ({ type: "api.request", space_id: 1, id: "i".repeat(1200) }),
  );
  const size = await invoke("ingest", { method: "POST", credential: uploadKey, body: { events: big } });
  assert.equal(size.status, 413);
  assert.equal(size.data.error, "Request body exceeds 1048576 bytes");

  const future = new Date(Date.now() + 10 * 60_000).toISOString();
  const old = new Date(Date.now() - 401 * 86_400_000).toISOString();
  const times = await invoke("ingest", {
    method: "POST",
    credential: uploadKey,
    body: {
      events: [
        { type: "device.activity", app_id: appId, device_id: "a", timestamp: future },
        { type: "device.activity", app_id: appId, device_id: "a", timestamp: old },
        { type: "device.activity", app_id: appId, device_id: "a", timestamp: "yesterday" },
      ],
    },
  });
  assert.equal(times.status, 400);
  assert.deepEqual(times.data.errors.slice(0, 2), [
    { index: 0, error: "timestamp is more than 5 minutes in the future" },
    { index: 1, error: "timestamp is older than 400 days" },
  ]);
  assert.match(times.data.errors[2].error, /^timestamp: /);
});

test("a key of org A cannot ingest into org B's app; a read key cannot ingest", async () => {
  const a = await orgWithApp("ingest-a");
  const b = await orgWithApp("ingest-b");
  const intoB = await invoke("ingest", {
    method: "POST",
    credential: a.uploadKey,
    body: { events: [{ type: "device.activity", app_id: b.appId, device_id: "intruder" }] },
  });
  assert.equal(intoB.status, 404);
  assert.deepEqual(intoB.data.errors, [{ index: 0, error: `App ${b.appId} not found` }]);
  assert.equal(await rawEventCount(b.orgId), 0);

  const readKey = await createKey(a.owner.jwt, { org_id: a.orgId, mode: "read" });
  const readOnly = await invoke("ingest", {
    method: "POST",
    credential: readKey,
    body: { events: [{ type: "device.activity", app_id: a.appId, device_id: "d" }] },
  });
  assert.equal(readOnly.status, 403);
  assert.equal(await rawEventCount(a.orgId), 0);
});

test("space and workspace events need an org: the key's single org, or org_id", async () => {
  const { owner, orgId } = await orgWithApp("org-scope");
  const unlimited = await createKey(owner.jwt, { mode: "upload" });
  const event = {
    type: "workspace.activity",
    workspace_id: "w1",
    user_id: "u1",
    kind: "developer",
    org_domain: "acme.com",
  };
  const ambiguous = await invoke("ingest", { method: "POST", credential: unlimited, body: { events: [event] } });
  assert.equal(ambiguous.status, 400);
  assert.equal(ambiguous.data.errors[0].error, "org_id is required: the key reaches more than one organization");

  const reserved = await invoke("ingest", {
    method: "POST",
    credential: unlimited,
    body: { org_id: orgId, events: [event, { ...event, workspace_id: "day" }] },
  });
  assert.equal(reserved.status, 400, "a period's name is no workspace id");
  assert.deepEqual(reserved.data.errors.map((e: { index: number }) => e.index), [1]);

  const scoped = await invoke("ingest", {
    method: "POST",
    credential: unlimited,
    body: { org_id: orgId, events: [event, { ...event, workspace_id: "w2" }] },
  });
  assert.equal(scoped.status, 200);
  const counts = await adminDb`
    select 'org' as scope, org_domain, actives from public.environment_daily_actives
    where org_id = ${orgId} and audience = 'developers'
    union all
    select workspace_id, org_domain, actives from public.workspace_monthly_actives where org_id = ${orgId}
    order by 1, 2`;
  assert.deepEqual(counts.map((r) => [r.scope, r.org_domain, r.actives]), [
    ["org", "", 1],
    ["org", "acme.com", 1],
    ["w1", "", 1],
    ["w1", "acme.com", 1],
    ["w2", "", 1],
    ["w2", "acme.com", 1],
  ]);
});

test("api.request: space ids are positive integers (numbers or digits); an event needs requests or bytes", async () => {
  const { uploadKey } = await orgWithApp("space-ids");
  const events = [
    { type: "api.request", space_id: 42 },
    { type: "api.request", space_id: "42", bytes: 5 },
    { type: "api.request", space_id: 9007199254740991, requests: 0, bytes: 0 },
    { type: "api.request", space_id: "space-1" },
    { type: "api.request", space_id: 0 },
    { type: "api.request", space_id: "042" },
    { type: "api.request", space_id: 9007199254740992 },
    { type: "api.request", space_id: 4.5 },
    { type: "api.request", space_id: 7, requests: 0 },
  ];
  const refused = await invoke("ingest", { method: "POST", credential: uploadKey, body: { events } });
  assert.equal(refused.status, 400);
  const idProblem = "space_id: must be a positive integer of at most 2^53 - 1 (a number or its digits)";
  assert.deepEqual(refused.data.errors, [
    ...[3, 4, 5, 6, 7].map((index) => ({ index, error: idProblem })),
    { index: 8, error: "requests: must be at least 1 when the event measures no bytes" },
  ]);
  const accepted = await invoke("ingest", {
    method: "POST",
    credential: uploadKey,
    body: { events: events.slice(0, 3) },
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.data));
});
