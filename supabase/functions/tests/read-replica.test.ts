/**
 * npm test serves the functions with SUPABASE_READ_DB_URL set to a role whose transactions are read-only, as a
 * read replica is. Every statistics endpoint answers through it, and everything else (these tests' own setup of
 * keys, apps, packages and events included) writes through the primary.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { dayString, utcToday } from "../../../shared/days.ts";
import { call, createOrgWithApp, test } from "../../../shared/testing.ts";

const readUrl = Deno.env.get("SUPABASE_READ_DB_URL");

test("the read URL's transactions are read-only", async () => {
  assert.ok(readUrl, "npm test sets SUPABASE_READ_DB_URL");
  const reader = postgres(readUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ default_transaction_read_only }] = await reader`show default_transaction_read_only`;
    assert.equal(default_transaction_read_only, "on");
    await assert.rejects(reader`create temporary table written (n int)`, /read-only transaction/);
  } finally {
    await reader.end();
  }
});

test("every statistics endpoint answers through the read replica", async () => {
  assert.ok(readUrl, "npm test sets SUPABASE_READ_DB_URL");
  const { orgId, appId, key } = await createOrgWithApp("replica");
  const packageId = `Replica${crypto.randomUUID().slice(0, 8)}.App`;
  const writes = [
    await call("v2/packages", {
      method: "POST",
      headers: { authorization: key },
      body: { Id: packageId, Name: "Replica", Publisher: "Replica" },
    }),
    await call("ingest", {
      method: "POST",
      headers: { authorization: key },
      body: {
        org_id: orgId,
        events: [
          { type: "device.activity", app_id: appId, device_id: "replica-device" },
          { type: "api.request", space_id: 7, requests: 3, bytes: 300 },
          { type: "workspace.activity", workspace_id: "ws-replica", user_id: "u1", kind: "user" },
        ],
      },
    }),
  ];
  for (const written of writes) assert.equal(written.status, 200, JSON.stringify(written.data));

  const today = dayString(utcToday());
  const reads = {
    [`statistics/app/${appId}?from=${today}&to=${today}`]: (data: unknown) => (data as { mau: number }[])[0].mau === 1,
    [`statistics/org/${orgId}?from=${today}&to=${today}`]: (data: unknown) => (data as { mau: number }[])[0].mau === 1,
    [`statistics/user?from=${today}&to=${today}`]: (data: unknown) => Array.isArray(data),
    ...Object.fromEntries(["users", "developers", "workspaces"].map((type) => [
      `api/statistics/?stats_type=${type}&start=${today}&end=${today}&org_id=${orgId}`,
      (data: unknown) => typeof data === "object" && data !== null,
    ])),
    [`v2/stats?packageId=${packageId}&after=${today}`]: (data: unknown) =>
      (data as { Stats: { Id: string } }).Stats.Id === packageId,
    [`v1/orgs/me/statistics/all_traffic?org_id=${orgId}&group_by=day&start_date=${today}&end_date=${today}`]: (
      data: unknown,
    ) =>
      (data as { cumulated_traffic: { total_requests_per_time_period: number } }).cumulated_traffic
        .total_requests_per_time_period === 3,
    [`v1/orgs/me/traffic_alerts?org_id=${orgId}`]: (data: unknown) => Array.isArray(data),
  };
  for (const [path, expected] of Object.entries(reads)) {
    const reply = await call(path, { headers: { authorization: key } });
    assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.data)}`);
    assert.ok(expected(reply.data), `${path}: ${JSON.stringify(reply.data)}`);
  }

  // The reads went through the read URL's pool: its connections are the read-only role's.
  const reader = new URL(readUrl);
  const primary = postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 1, onnotice: () => {} });
  try {
    const [{ connections }] = await primary`
      select count(*)::int as connections from pg_stat_activity
      where usename = ${decodeURIComponent(reader.username)} and application_name = 'tally-functions-read'`;
    assert.ok(connections > 0, "no connection of the read-only role");
  } finally {
    await primary.end();
  }
});
