import assert from "node:assert/strict";
import { addDays, subDays } from "date-fns";
import { dayString, utcDay } from "../../../shared/days.ts";
import { call, createKey, createOrgWithKey, test } from "../../../shared/testing.ts";
import type { Group } from "./traffic-oracle.ts";
import { firstDay, getTraffic, lastDay, today, trafficFixture, yearStart } from "./traffic-fixture.ts";

const fixture = trafficFixture("traffic-oracle");
const shift = (day: string, days: number) => dayString(addDays(utcDay(day), days));
const previousYear = String(Number(today.slice(0, 4)) - 1);

/** Ranges that cut groups at both ends, cross the month and the year change, and hold a whole year. */
const cases: { group: Group; start: string; end: string }[] = [
  { group: "day", start: shift(yearStart, -20), end: lastDay },
  { group: "day", start: shift(firstDay, -3), end: shift(firstDay, 12) },
  { group: "month", start: shift(firstDay, 5), end: lastDay },
  { group: "month", start: `${previousYear}-11-01`, end: `${previousYear}-12-31` },
  { group: "year", start: shift(firstDay, 3), end: today },
  { group: "year", start: `${previousYear}-01-01`, end: today },
  { group: "year", start: `${previousYear}-12-15`, end: `${previousYear}-12-15` },
];

for (const { group, start, end } of cases) {
  test(`group_by=${group} from ${start} to ${end}: the whole response equals the oracle's`, async () => {
    const { key, oracle } = await fixture;
    const reply = await getTraffic(key, `start_date=${start}&end_date=${end}&group_by=${group}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
    const expected = oracle.statistics(start, end, group, 1, 100, today);
    assert.deepStrictEqual(reply.data, expected.body);
    assert.equal(reply.headers.get("total"), String(expected.total));
    assert.equal(reply.headers.get("per-page"), "100");
  });
}

test("the ranking: most bytes, then more requests, then the lower id; the rest is other_spaces", async () => {
  const { key } = await createOrgWithKey("traffic-ties", "all");
  const at = `${today}T00:00:00Z`;
  const request = (space_id: number, requests: number, bytes?: number) => ({
    type: "api.request",
    space_id,
    requests,
    ...(bytes === undefined ? {} : { bytes }),
    timestamp: at,
  });
  const events = [
    ...[1, 2, 3].map((space) => request(space, 1, 1000)),
    request(10, 2, 500), // as many bytes as 8 and 9, more requests
    request(9, 1, 500),
    request(8, 1, 500), // ties with 9 exactly: the lower id ranks first
    request(7, 50), // many requests, bytes unknown
  ];
  const ingested = await call("ingest", { method: "POST", headers: { authorization: key }, body: { events } });
  assert.equal(ingested.status, 200, JSON.stringify(ingested.data));
  const reply = await getTraffic(key, `start_date=${today}&end_date=${today}&group_by=day`);
  const day = (requests: number, total_bytes: number | null) => [{ date: today, api_requests: requests, total_bytes }];
  assert.deepStrictEqual(reply.data.traffic_top_spaces, {
    1: day(1, 1000),
    2: day(1, 1000),
    3: day(1, 1000),
    10: day(2, 500),
    8: day(1, 500),
    other_spaces: day(51, 500),
  });
  assert.deepStrictEqual(reply.data.traffic.find((row: { space_id: number }) => row.space_id === 7), {
    date: today,
    api_requests: 50,
    total_bytes: null,
    space_id: 7,
  });
});

test("paging: page and per_page walk the raw series in order; Total counts its rows", async () => {
  const { key, oracle } = await fixture;
  for (const group of ["day", "month"] as const) {
    const start = shift(firstDay, 9);
    const expected = oracle.statistics(start, lastDay, group, 1, 1000, today);
    const perPage = group === "day" ? 60 : 7;
    const pages = [];
    for (let page = 1;; page++) {
      const query = `start_date=${start}&end_date=${lastDay}&group_by=${group}&per_page=${perPage}&page=${page}`;
      const reply = await getTraffic(key, query);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get("total"), String(expected.total));
      assert.equal(reply.headers.get("per-page"), String(perPage));
      if (!reply.data.traffic.length) break;
      assert.ok(reply.data.traffic.length <= perPage);
      pages.push(...reply.data.traffic);
    }
    assert.deepStrictEqual(pages, expected.body.traffic, group);
  }
});

test("defaults: end_date today, start_date 1 January of its year, group_by month, 100 rows a page", async () => {
  const { key, oracle } = await fixture;
  const reply = await getTraffic(key, "");
  assert.equal(reply.status, 200);
  assert.deepStrictEqual(reply.data, oracle.statistics(yearStart, today, "month", 1, 100, today).body);
  const onlyEnd = await getTraffic(key, `end_date=${previousYear}-12-31`);
  assert.deepStrictEqual(
    onlyEnd.data,
    oracle.statistics(`${previousYear}-01-01`, `${previousYear}-12-31`, "month", 1, 100, today).body,
  );
});

test("'me' is the organization the key is limited to; a key of several needs org_id", async () => {
  const { owner, orgId, oracle } = await fixture;
  const unlimited = await createKey(owner.jwt, { mode: "read" });
  const refused = await call(`v1/orgs/me/statistics/all_traffic`, { headers: { authorization: unlimited } });
  assert.equal(refused.status, 422);
  assert.deepEqual(refused.data, { error: "org_id is required: the key reaches more than one organization" });
  const named = await getTraffic(unlimited, `org_id=${orgId}&start_date=${firstDay}&end_date=${lastDay}`);
  assert.equal(named.status, 200);
  assert.deepStrictEqual(named.data, oracle.statistics(firstDay, lastDay, "month", 1, 100, today).body);
  const outsider = await getTraffic(unlimited, `org_id=${crypto.randomUUID()}`);
  assert.deepEqual([outsider.status, outsider.data], [404, { error: "Organization not found" }]);
});

test("an organization without traffic: zero-filled groups, no top spaces, empty raw series", async () => {
  const { owner } = await fixture;
  const empty = await call("organization", {
    method: "PUT",
    headers: { authorization: `Bearer ${owner.jwt}` },
    body: { name: "empty" },
  });
  const key = await createKey(owner.jwt, { mode: "read", org_id: empty.data.id });
  const start = dayString(subDays(utcDay(today), 2));
  const reply = await getTraffic(key, `start_date=${start}&end_date=${today}&group_by=day`);
  assert.equal(reply.status, 200);
  assert.deepStrictEqual(reply.data.traffic_top_spaces, {});
  assert.deepStrictEqual(reply.data.traffic, []);
  assert.deepStrictEqual(
    reply.data.cumulated_traffic.traffic,
    [0, 1, 2].map((i) => ({ date: shift(start, i), api_requests: 0, total_bytes: null })),
  );
  assert.equal(reply.headers.get("total"), "0");
});
