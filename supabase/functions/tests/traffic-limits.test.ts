import assert from "node:assert/strict";
import { subMonths } from "date-fns";
import { dayString, utcToday } from "../../../shared/days.ts";
import { call, createKey, createOrgWithKey, test } from "../../../shared/testing.ts";
import { getTraffic, TRAFFIC_PATH } from "./traffic-fixture.ts";

const thisMonth = new Date().toISOString().slice(0, 7);

const setLimit = (key: string, orgId: string, monthly_traffic_limit: unknown) =>
  call("organization", { method: "POST", headers: { authorization: key }, body: { orgId, monthly_traffic_limit } });

const ingest = (key: string, events: Record<string, unknown>[]) =>
  call("ingest", { method: "POST", headers: { authorization: key }, body: { events } });

test("POST /organization sets the monthly traffic limit (admin), null removes it; the traffic route reports it", async () => {
  const { owner, orgId, key } = await createOrgWithKey("traffic-limit", "all");
  const set = await setLimit(key, orgId, 10_000_000);
  assert.equal(set.status, 200, JSON.stringify(set.data));
  assert.equal(set.data.data.monthly_traffic_limit, 10_000_000);
  const limits = await getTraffic(key, "");
  assert.deepEqual(
    [limits.data.montly_traffic_limit, limits.data.monthly_traffic_limit, limits.data.yearly_traffic_limit],
    [10_000_000, 10_000_000, 120_000_000],
  );
  for (const invalid of [0, -5, 1.5, "many", Math.floor(Number.MAX_SAFE_INTEGER / 12) + 1]) {
    const refused = await setLimit(key, orgId, invalid);
    assert.equal(refused.status, 400, `${invalid}: ${JSON.stringify(refused.data)}`);
  }
  const readKey = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  assert.equal((await setLimit(readKey, orgId, 5)).status, 403);
  const cleared = await setLimit(key, orgId, null);
  assert.equal(cleared.data.data.monthly_traffic_limit, null);
  const unlimited = await getTraffic(key, "");
  assert.deepEqual([unlimited.data.montly_traffic_limit, unlimited.data.yearly_traffic_limit], [null, null]);
  const untouched = await call("organization", {
    method: "POST",
    headers: { authorization: key },
    body: { orgId, name: "renamed" },
  });
  assert.equal(untouched.data.data.monthly_traffic_limit, null);
});

test("alerts: 10 concurrent batches cross 80% and 100% of the limit; each threshold is recorded once", async () => {
  const { orgId, key } = await createOrgWithKey("traffic-alerts", "all");
  assert.equal((await setLimit(key, orgId, 10_000)).status, 200);
  // Each batch moves 1,000 bytes this month over three spaces; the 8th and the 10th cross.
  const batch = (n: number) =>
    [400, 300, 300].map((bytes, i) => ({
      type: "api.request",
      space_id: 100 + i,
      requests: 1,
      bytes,
      id: `b${n}-${i}`,
    }));
  const replies = await Promise.all(Array.from({ length: 10 }, (_, n) => ingest(key, batch(n))));
  assert.deepEqual(replies.map(({ status }) => status), Array(10).fill(200));
  // More traffic this month, and much more last month, crosses nothing new.
  const lastMonth = `${dayString(subMonths(utcToday(), 1)).slice(0, 7)}-01T12:00:00Z`;
  assert.equal(
    (await ingest(key, [{ type: "api.request", space_id: 100, bytes: 50_000, timestamp: lastMonth }])).status,
    200,
  );
  assert.equal((await ingest(key, [{ type: "api.request", space_id: 100, bytes: 5_000 }])).status, 200);

  const alerts = await call("v1/orgs/me/traffic_alerts", { headers: { authorization: key } });
  assert.equal(alerts.status, 200, JSON.stringify(alerts.data));
  assert.deepEqual(
    alerts.data.map(({ crossed_at: _, ...alert }: { crossed_at: string }) => alert),
    [
      { month: thisMonth, threshold: 80, bytes: 8_000, limit: 10_000 },
      { month: thisMonth, threshold: 100, bytes: 10_000, limit: 10_000 },
    ],
  );
  for (const { crossed_at } of alerts.data) assert.ok(Date.now() - Date.parse(crossed_at) < 600_000);
  const traffic = await getTraffic(key, "");
  assert.equal(traffic.data.traffic_used_this_year, thisMonth.endsWith("-01") ? 15_000 : 65_000);
});

test("invalid parameters: 422 with a message naming the parameter", async () => {
  const { key } = await createOrgWithKey("traffic-422", "read");
  const expectations: [string, RegExp][] = [
    ["start_date=2026-13-01", /^start_date must be a date in YYYY-MM-DD format$/],
    ["start_date=2025-02-29", /^start_date must be a date in YYYY-MM-DD format$/],
    ["end_date=yesterday", /^end_date must be a date in YYYY-MM-DD format$/],
    ["end_date=2026-1-5", /^end_date must be a date in YYYY-MM-DD format$/],
    ["group_by=week", /^group_by must be one of day, month, year$/],
    ["start_date=2026-03-02&end_date=2026-03-01", /^start_date must not be after end_date$/],
    ["start_date=2025-01-01&end_date=2026-01-02&group_by=day", /^start_date and end_date may span at most 366 days/],
    ["start_date=2016-01-01&end_date=2026-01-01", /^start_date and end_date may span at most 10 years$/],
    ["page=0", /^page must be an integer from 1 to 1000000$/],
    ["page=two", /^page must be an integer from 1 to 1000000$/],
    ["per_page=1001", /^per_page must be an integer from 1 to 1000$/],
    ["per_page=2.5", /^per_page must be an integer from 1 to 1000$/],
    ["org_id=acme", /^org_id must be a UUID$/],
  ];
  for (const [query, message] of expectations) {
    const reply = await getTraffic(key, query);
    assert.equal(reply.status, 422, query);
    assert.deepEqual(Object.keys(reply.data), ["error"], query);
    assert.match(reply.data.error, message, query);
  }
  // The widest ranges allowed: 366 days by day, 10 years otherwise.
  assert.equal((await getTraffic(key, "start_date=2024-01-01&end_date=2024-12-31&group_by=day")).status, 200);
  assert.equal((await getTraffic(key, "start_date=2016-01-01&end_date=2025-12-31&group_by=year")).status, 200);
});

test("missing or wrong credentials: 401 {error: Unauthorized}, with or without Bearer, and x-api-key works", async () => {
  const { key } = await createOrgWithKey("traffic-401", "read");
  const refused: Record<string, string>[] = [{}, { authorization: "tally_wrong" }, {
    authorization: "Bearer tally_wrong",
  }];
  for (const headers of refused) {
    const reply = await call(TRAFFIC_PATH, { headers });
    assert.deepEqual([reply.status, reply.data], [401, { error: "Unauthorized" }], JSON.stringify(headers));
  }
  const accepted: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { "x-api-key": key }];
  for (const headers of accepted) {
    assert.equal((await call(TRAFFIC_PATH, { headers })).status, 200, JSON.stringify(headers));
  }
});
