/**
 * trafficBody() on its own: the labels and zero-filling it derives from the range, where the server-backed oracle
 * tests cannot reach (years before 100, which JavaScript's Date.UTC reads as 19xx).
 */
import assert from "node:assert/strict";
import { type CompactTraffic, trafficBody } from "../v1/traffic-response.ts";

const compact = (organization: CompactTraffic["organization"]): CompactTraffic => ({
  monthly_traffic_limit: null,
  traffic_used_this_year: 0,
  requests_used_last_days: 0,
  organization,
  top_spaces: null,
  other_spaces: false,
  page: null,
  total: 0,
});

Deno.test("days across the end of year 99 are labelled 0099-12-31 and 0100-01-01, zero-filled", () => {
  const body = trafficBody(compact([[1, 3, 10, 1]]), "day", "0099-12-30", "0100-01-01");
  assert.deepEqual(body.cumulated_traffic.traffic, [
    { date: "0099-12-30", api_requests: 0, total_bytes: null },
    { date: "0099-12-31", api_requests: 3, total_bytes: 10 },
    { date: "0100-01-01", api_requests: 0, total_bytes: null },
  ]);
});

Deno.test("months and years are labelled by their first day cut to the grain; a group is its distance in days", () => {
  const months = trafficBody(compact([[31, 2, 0, 0]]), "month", "0050-01-15", "0050-03-01");
  assert.deepEqual(months.cumulated_traffic.traffic.map((entry) => [entry.date, entry.api_requests]), [
    ["0050-01", 0],
    ["0050-02", 2],
    ["0050-03", 0],
  ]);
  const years = trafficBody(compact([[366, 5, 7, 2]]), "year", "2024-06-01", "2026-01-01");
  assert.deepEqual(years.cumulated_traffic.traffic.map((entry) => [entry.date, entry.api_requests]), [
    ["2024", 0],
    ["2025", 5],
    ["2026", 0],
  ]);
});
