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

/** A month row as SQL sends it by day: its first day's distance from the first group, and sums by day of month. */
function monthOfDays(group: number, days: Record<number, [number, number, number]>) {
  const daily: [number[], number[], number[]] = [[], [], []];
  for (let day = 1; day <= 31; day++) {
    daily.forEach((sums, kind) => sums.push(days[day]?.[kind] ?? 0));
  }
  return [group, daily] as [number, typeof daily];
}

Deno.test("by day, months are spread over the range's days, labelled across the end of year 99, zero-filled", () => {
  // December 0099 starts 29 days before the first day; 31 December has traffic, so has 1 January (out of range).
  const months = [monthOfDays(-29, { 31: [3, 10, 1] }), monthOfDays(2, { 1: [2, 0, 0], 2: [9, 9, 9] })];
  const body = trafficBody(compact(months), "day", "0099-12-30", "0100-01-01");
  assert.deepEqual(body.cumulated_traffic.traffic, [
    { date: "0099-12-30", api_requests: 0, total_bytes: null },
    { date: "0099-12-31", api_requests: 3, total_bytes: 10 },
    { date: "0100-01-01", api_requests: 2, total_bytes: null },
  ]);
  assert.equal(body.cumulated_traffic.total_requests_per_time_period, 5);
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
