import assert from "node:assert/strict";
import { addDays, subDays } from "date-fns";
import { dayString, utcToday } from "../../../shared/days.ts";
import { yAxisLabels } from "../../../shared/svg-chart.ts";
import { createOrgWithApp, invoke, test } from "../../../shared/testing.ts";
import { type Metric, renderChart, type StatsRow } from "../statistics/chart.ts";

/** Ten days rising to `max` of one metric. */
function risingTo(metric: Metric, max: number): StatsRow[] {
  return Array.from({ length: 10 }, (_, day) => ({
    date: `2026-03-${String(day + 1).padStart(2, "0")}`,
    mau: 0,
    storage: 0,
    bandwidth: 0,
    [metric]: Math.round((max * day) / 9),
  }));
}

const chartOf = (metric: Metric, rows: StatsRow[]) =>
  renderChart(rows, metric, "com.chart.app", rows[0]?.date ?? "2026-03-01", rows.at(-1)?.date ?? "2026-03-01");

Deno.test("a count axis ticks at distinct whole numbers, up to the maximum and no further than one step", () => {
  for (const max of [1, 2, 3, 7, 1234]) {
    const labels = yAxisLabels(chartOf("mau", risingTo("mau", max)));
    const values = labels.map((label) => Number(label.replaceAll(",", "")));
    assert.ok(labels.length >= 2, `max ${max}: ${labels}`);
    assert.equal(new Set(labels).size, labels.length, `max ${max}: ${labels}`);
    assert.ok(values.every(Number.isInteger), `max ${max}: ${labels}`);
    assert.equal(values[0], 0);
    assert.ok(values.at(-1)! >= max && values.at(-2)! < max, `max ${max} is within the top step: ${labels}`);
  }
});

Deno.test("a byte axis has distinct labels in round units, for small and large maxima", () => {
  const roundLabel = /^(0|[1-9]\d*(\.\d+)?) (B|KB|MB|GB|TB|PB)$/;
  for (const metric of ["storage", "bandwidth"] as const) {
    for (const max of [1, 3, 999, 1001, 123_456, 1_000_003, 48_000_000, 5_300_000_000, 7e13]) {
      const labels = yAxisLabels(chartOf(metric, risingTo(metric, max)));
      assert.ok(labels.length >= 2, `${metric} max ${max}: ${labels}`);
      assert.equal(new Set(labels).size, labels.length, `${metric} max ${max}: ${labels}`);
      assert.ok(labels.every((label) => roundLabel.test(label)), `${metric} max ${max}: ${labels}`);
      assert.ok(labels.every((label) => !/\.\d{3,}/.test(label)), `round values: ${labels}`);
    }
  }
});

Deno.test("an empty range and a one-day range render without errors", () => {
  const empty = chartOf("mau", []);
  assert.deepEqual(yAxisLabels(empty), ["0", "1"]);
  assert.match(empty, /No data in this range/);
  const oneDay = chartOf("storage", [{ date: "2026-03-01", mau: 1, storage: 5_000_000, bandwidth: 0 }]);
  assert.deepEqual(yAxisLabels(oneDay), ["0 B", "1 MB", "2 MB", "3 MB", "4 MB", "5 MB"]);
  assert.doesNotMatch(oneDay, /NaN|undefined|Infinity/);
  assert.match(oneDay, /<circle class="point" cx="420.0" cy="56.0" r="4"/, "the one day's value is marked");
  const zeros = chartOf("bandwidth", risingTo("bandwidth", 0));
  assert.deepEqual(yAxisLabels(zeros), ["0 B", "1 B"]);
});

test("graphs over HTTP: one active device ticks 0 and 1, a few bytes tick in whole bytes, empty and one-day ranges", async () => {
  const { appId, key } = await createOrgWithApp("graph-axes");
  const today = dayString(utcToday());
  const monthAgo = dayString(subDays(utcToday(), 29));
  const ingested = await invoke("ingest", {
    method: "POST",
    credential: key,
    body: {
      events: [
        { type: "device.activity", app_id: appId, device_id: "only-one" },
        { type: "bundle.download", app_id: appId, device_id: "only-one", bytes: 3 },
      ],
    },
  });
  assert.equal(ingested.status, 200);
  const graph = async (query: string) => {
    const reply = await invoke(`statistics/app/${appId}?${query}`, { credential: key });
    assert.equal(reply.status, 200, query);
    assert.match(reply.contentType ?? "", /^image\/svg\+xml/);
    assert.doesNotMatch(reply.data, /NaN|undefined|Infinity/, query);
    return reply.data as string;
  };
  assert.deepEqual(yAxisLabels(await graph(`from=${monthAgo}&to=${today}&graph=mau`)), ["0", "1"]);
  assert.deepEqual(yAxisLabels(await graph(`from=${monthAgo}&to=${today}&graph=bandwidth`)), [
    "0 B",
    "1 B",
    "2 B",
    "3 B",
  ]);
  assert.deepEqual(yAxisLabels(await graph(`from=${today}&to=${today}&graph=mau`)), ["0", "1"]);
  const future = dayString(addDays(utcToday(), 3));
  const empty = await graph(`from=${future}&to=${future}&graph=storage`);
  assert.match(empty, /No data in this range/);
  assert.deepEqual(yAxisLabels(empty), ["0 B", "1 B"]);
});
