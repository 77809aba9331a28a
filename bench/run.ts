/**
 * npm run bench: the statistics and ingest paths at volume, as ratios to baselines measured in the same run.
 * 1. A throwaway database on the local PostgreSQL (or BENCH_DATABASE_URL's server) with the migrations and the
 *    deterministic workload of bench/generate.sql (10 million device events, 100 apps, 1 million devices; 5 million
 *    workspace.activity events of 50,000 users in 200 workspaces).
 * 2. The functions served by `scripts/dev.ts` in a child process, called over HTTP.
 * 3. p50/p99 of a 90-day /statistics/app (the 500k-device app) and /statistics/org (50 apps), and of a 366-day
 *    /api/statistics/ of each stats_type (with and without org_domain) over 5 million workspace.activity events,
 *    of the package routes (bench/packages.ts: 10,000 packages, 3 years of daily views) and of the traffic route
 *    (bench/traffic.ts: 1,000 spaces, 2 years of daily traffic), each against a trivial authenticated endpoint
 *    called between its requests (bench/latency.ts), and of a 401 for each kind of wrong key (bench/auth.ts); HTTP
 *    ingest throughput (bench/ingest.ts: batches of 1000 device.activity and workspace.activity events, one and four
 *    in flight) against a plain multi-row INSERT of the same events into an indexed table from the same client, at
 *    the same concurrency, in alternating rounds of 20 batches: the ratio reported is the median of the rounds'.
 * Device ingest is measured for new devices and for returning ones (bench/devices.ts: 90% known at random, a first
 * pass and the same batches again), and the activity history's bytes per device-day are printed.
 * Prints a table and writes bench/results/latest.json. BENCH_KEEP=1 keeps the database; BENCH_REUSE=1 then measures
 * again on the kept database without regenerating it (after migrations were added, not edited).
 */
import postgres from "postgres";
import { prepareDatabase, repoRoot, withDatabase } from "../shared/database.ts";
import { measurePackages, preparePackages } from "./packages.ts";
import { type Latency, latencyAgainst, ratio, ratios } from "./latency.ts";
import { activityHistorySize, newDeviceBatches, returningDeviceBatches } from "./devices.ts";
import { measureTraffic, prepareTraffic } from "./traffic.ts";
import { activityBatches, ENVIRONMENT_ORG, ingestBench } from "./ingest.ts";
import { measureWrongKeys, prepareWrongKeys } from "./auth.ts";

const BENCH_KEY = "tally_bench-key-local-only-0000000000000000";
const PORT = Number(Deno.env.get("BENCH_PORT") ?? 54399);
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 300);
const INGEST_BATCHES = Number(Deno.env.get("BENCH_INGEST_BATCHES") ?? 20);
const INGEST_ROUNDS = Number(Deno.env.get("BENCH_INGEST_ROUNDS") ?? 7);
const INGEST_WARM_UP_BATCHES = 8;
const adminUrl = Deno.env.get("BENCH_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
const databaseName = "tally_bench";
const databaseUrl = withDatabase(adminUrl, databaseName);
const base = `http://127.0.0.1:${PORT}/functions/v1`;

const seconds = (start: number) => ((performance.now() - start) / 1000).toFixed(1);

async function createWorkload() {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
  await admin.unsafe(`create database ${databaseName}`);
  await admin.end();
  let start = performance.now();
  await prepareDatabase(databaseUrl, { seed: false });
  console.log(`migrations applied in ${seconds(start)} s; generating the workload (a few minutes)...`);
  start = performance.now();
  const url = new URL(databaseUrl);
  const psql = await new Deno.Command("psql", {
    args: [
      "-X",
      "-q",
      "-h",
      url.hostname,
      "-p",
      url.port || "5432",
      "-U",
      decodeURIComponent(url.username) || "postgres",
      "-d",
      databaseName,
      "-v",
      `bench_key=${BENCH_KEY}`,
      "-f",
      `${repoRoot}bench/generate.sql`,
    ],
    stdout: "null",
  }).output();
  if (!psql.success) throw new Error("bench/generate.sql failed");
  console.log(`workload generated in ${seconds(start)} s`);
}

async function startServer(): Promise<Deno.ChildProcess> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${repoRoot}scripts/dev.ts`],
    // The limiter still runs (and is measured); its limits are raised so that the bench's own calls pass.
    env: {
      SUPABASE_DB_URL: databaseUrl,
      PORT: String(PORT),
      TALLY_RATE_LIMIT_KEY: "1000000/1s",
      TALLY_RATE_LIMIT_PUBLIC: "1000000/1s",
      TALLY_RATE_LIMIT_AUTH_FAILURES: "1000000/1s",
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      const reply = await fetch(`${base}/app/openapi.json`);
      await reply.body?.cancel();
      if (reply.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("the functions server did not start");
}

// Every latency is measured interleaved with the trivial authenticated endpoint (bench/latency.ts).
const latency = latencyAgainst(base, BENCH_KEY, "app?app_id=com.bench.big", REQUESTS);

// New devices of each measurement (a kept database may be measured again).
const runId = Date.now().toString(36);
const { ingestRate, measureIngest } = ingestBench({
  base,
  databaseUrl,
  key: BENCH_KEY,
  batches: INGEST_BATCHES,
  rounds: INGEST_ROUNDS,
  warmUpBatches: INGEST_WARM_UP_BATCHES,
});

if (Deno.env.get("BENCH_REUSE")) await prepareDatabase(databaseUrl, { seed: false });
else await createWorkload();
await preparePackages(databaseUrl);
await prepareTraffic(databaseUrl);
await prepareWrongKeys(databaseUrl);
const server = await startServer();
try {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const to = day(0);
  const from = day(90);
  const trivial = await latency("app?app_id=com.bench.big");
  const app = await latency(`statistics/app/com.bench.big?from=${from}&to=${to}`);
  const org = await latency(`statistics/org/00000000-0000-4000-8000-0000000000a1?from=${from}&to=${to}`);
  const activity: Record<string, Latency> = {};
  for (const statsType of ["users", "developers", "workspaces"]) {
    for (const domain of ["", "acme.com"]) {
      const query = `stats_type=${statsType}&start=${day(365)}&end=${to}&org_id=${ENVIRONMENT_ORG}` +
        (domain ? `&org_domain=${domain}` : "");
      activity[`${statsType}${domain ? " org_domain" : ""}`] = await latency(`api/statistics/?${query}`);
    }
  }
  const packages = await measurePackages(latency);
  const traffic = await measureTraffic(latency);
  const wrongKeys = await measureWrongKeys(latency);
  const ingestModes = [
    ...await measureIngest("device.activity, new devices", (tag, count) => newDeviceBatches(runId, tag, count)),
    ...await measureIngest(
      "device.activity, returning (90% known), first pass",
      (tag, count) => returningDeviceBatches(runId, tag, count),
    ),
    // The same batches sent once before: every device and day is already stored.
    ...await measureIngest("device.activity, returning (90% known), second pass", async (tag, count) => {
      const batches = returningDeviceBatches(runId, `again-${tag}`, count);
      await ingestRate(batches, 4);
      return batches;
    }),
    ...await measureIngest("workspace.activity, returning users", activityBatches),
  ];

  const history = await activityHistorySize(databaseUrl);

  const results = {
    measured_at: new Date().toISOString(),
    workload: {
      device_events: 10_000_000,
      apps: 100,
      devices: 1_000_000,
      big_app_devices: 500_000,
      days: 90,
      workspace_activity_events: 5_000_000,
      environment_users: 50_000,
      workspaces: 200,
      activity_days: 400,
    },
    requests_per_endpoint: REQUESTS,
    latency_ms: {
      trivial: trivial,
      statistics_app_90d: app,
      statistics_org_50_apps_90d: org,
      ...Object.fromEntries(
        Object.entries(activity).map(([name, measured]) => [`api_statistics_366d ${name}`, measured]),
      ),
      ...packages,
      ...traffic,
      ...wrongKeys,
    },
    latency_ratio_to_trivial: {
      statistics_app_90d: ratios(app),
      statistics_org_50_apps_90d: ratios(org),
      ...Object.fromEntries(
        Object.entries(activity).map(([name, measured]) => [`api_statistics_366d ${name}`, ratios(measured)]),
      ),
      ...Object.fromEntries(Object.entries(packages).map(([name, measured]) => [name, ratios(measured)])),
      ...Object.fromEntries(Object.entries(traffic).map(([name, measured]) => [name, ratios(measured)])),
      ...Object.fromEntries(Object.entries(wrongKeys).map(([name, measured]) => [name, ratios(measured)])),
    },
    counted_package_route_ratio_to_trivial_public_route: ratio(
      ratios(packages["v2_packages counted (new client each call)"]).p50,
      ratios(packages["trivial public route (unknown package)"]).p50,
    ),
    ingest_events_per_second: ingestModes.map((mode) => ({
      events: mode.events,
      batches_in_flight: mode.batches_in_flight,
      http_batches_of_1000: mode.http,
      plain_multi_row_insert: mode.plain,
      ratio: mode.ratio,
      rounds: INGEST_ROUNDS,
      round_ratios: mode.round_ratios,
    })),
    device_activity_history: history,
    goals: {
      statistics_ratio_below: 5,
      api_statistics_ratio_below: 3,
      package_routes_ratio_below: 2,
      traffic_ratio_below: 3,
      ingest_ratio_at_least: 0.33,
      ingest_new_devices_ratio_at_least: 0.4,
      activity_history_bytes_per_device_day_at_most: 24,
    },
  };
  const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const latencyRow = (name: string, measured: Latency) =>
    row([
      name,
      measured.p50.toFixed(2),
      measured.p99.toFixed(2),
      measured.baseline.p50.toFixed(2),
      ratios(measured).p50,
      ratios(measured).p99,
    ]);
  console.log([
    "",
    row(["measure", "p50 ms", "p99 ms", "trivial p50 ms (interleaved)", "p50 / trivial", "p99 / trivial"]),
    row(["---", "---", "---", "---", "---", "---"]),
    latencyRow("trivial (GET /app?app_id=...)", trivial),
    latencyRow("/statistics/app 90 days, 500k devices", app),
    latencyRow("/statistics/org 90 days, 50 apps", org),
    ...Object.entries(activity).map(([name, measured]) => latencyRow(`/api/statistics/ 366 days, ${name}`, measured)),
    ...Object.entries(packages).map(([name, measured]) => latencyRow(name, measured)),
    ...Object.entries(traffic).map(([name, measured]) => latencyRow(name, measured)),
    ...Object.entries(wrongKeys).map(([name, measured]) => latencyRow(name, measured)),
    "",
    `counted package route p50 / trivial public route p50: ${results.counted_package_route_ratio_to_trivial_public_route}`,
    `device activity history: ${history.bytes_per_device_day} bytes per device-day (${history.bytes} bytes, ` +
    `${history.device_days} device-days); the registry (pg_total_relation_size) ${history.registry_bytes} bytes`,
    "",
    row([
      "ingest, batches of 1000",
      "in flight",
      "HTTP /ingest events/s",
      "plain INSERT events/s",
      "median ratio (goal >= 0.33)",
      "ratio per round",
    ]),
    row(["---", "---", "---", "---", "---", "---"]),
    ...ingestModes.map((mode) =>
      row([mode.events, mode.batches_in_flight, mode.http, mode.plain, mode.ratio, mode.round_ratios.join(" ")])
    ),
    "",
  ].join("\n"));
  await Deno.mkdir(`${repoRoot}bench/results`, { recursive: true });
  await Deno.writeTextFile(`${repoRoot}bench/results/latest.json`, JSON.stringify(results, null, 2) + "\n");
  console.log("written to bench/results/latest.json");
} finally {
  server.kill();
  await server.status;
  if (!Deno.env.get("BENCH_KEEP") && !Deno.env.get("BENCH_REUSE")) {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
  }
}
