/**
 * npm run bench: the statistics and ingest paths at volume, as ratios to baselines measured in the same run.
 * 1. A throwaway database on the local PostgreSQL (or BENCH_DATABASE_URL's server) with the migrations and the
 *    deterministic workload of bench/generate.sql (10 million device events, 100 apps, 1 million devices).
 * 2. The functions served by `scripts/dev.ts` in a child process, called over HTTP.
 * 3. p50/p99 of a 90-day /statistics/app (the 500k-device app) and /statistics/org (50 apps) against a trivial
 *    authenticated endpoint; HTTP ingest throughput (batches of 1000, one and four in flight) against a plain
 *    multi-row INSERT of the same events into an indexed table from the same client, at the same concurrency, in
 *    alternating rounds of 20 batches: the ratio reported is the median of the rounds' ratios.
 * Prints a table and writes bench/results/latest.json. BENCH_KEEP=1 keeps the database; BENCH_REUSE=1 then measures
 * again on the kept database without regenerating it (after migrations were added, not edited).
 */
import postgres from "postgres";
import { prepareDatabase, repoRoot, withDatabase } from "../shared/database.ts";

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
    env: { SUPABASE_DB_URL: databaseUrl, PORT: String(PORT) },
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

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function latency(path: string) {
  const call = async () => {
    const start = performance.now();
    const reply = await fetch(`${base}/${path}`, { headers: { authorization: BENCH_KEY } });
    await reply.arrayBuffer();
    if (!reply.ok) throw new Error(`${path}: ${reply.status}`);
    return performance.now() - start;
  };
  for (let i = 0; i < 20; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) samples.push(await call());
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

// New devices of each measurement (a kept database may be measured again).
const runId = Date.now().toString(36);
type Batch = { type: string; app_id: string; device_id: string; timestamp: string }[];

function ingestBatches(tag: string, count = INGEST_BATCHES): Batch[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, batch) =>
    Array.from({ length: 1000 }, (_, i) => ({
      type: "device.activity",
      app_id: `com.bench.app${String(1 + ((batch * 1000 + i) % 49)).padStart(2, "0")}`,
      device_id: `fresh-${runId}-${tag}-${batch}-${i}`,
      timestamp: new Date(now - ((batch * 1000 + i) % 3_600_000)).toISOString(),
    })));
}

/** Events per second of sending every batch, `inFlight` at a time. */
async function eventsPerSecond(batches: Batch[], inFlight: number, send: (batch: Batch) => Promise<void>) {
  const queue = [...batches];
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch);
  }));
  return (batches.length * 1000) / ((performance.now() - start) / 1000);
}

function ingestRate(batches: Batch[], inFlight: number) {
  return eventsPerSecond(batches, inFlight, async (events) => {
    const reply = await fetch(`${base}/ingest`, {
      method: "POST",
      headers: { authorization: BENCH_KEY, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    await reply.arrayBuffer();
    if (!reply.ok) throw new Error(`ingest: ${reply.status}`);
  });
}

async function plainInsertRate(batches: Batch[], inFlight: number) {
  const sql = postgres(databaseUrl, { max: inFlight, onnotice: () => {} });
  await sql`create table if not exists bench_plain_events (app_id text, device_id text, occurred_at timestamptz)`;
  await sql`create index if not exists bench_plain_events_idx on bench_plain_events (app_id, occurred_at)`;
  const rate = await eventsPerSecond(batches, inFlight, async (events) => {
    const rows = events.map((e) => ({ app_id: e.app_id, device_id: e.device_id, occurred_at: e.timestamp }));
    await sql`insert into bench_plain_events ${sql(rows)}`;
  });
  await sql.end();
  return rate;
}

if (Deno.env.get("BENCH_REUSE")) await prepareDatabase(databaseUrl, { seed: false });
else await createWorkload();
const server = await startServer();
try {
  const today = new Date();
  const to = today.toISOString().slice(0, 10);
  const from = new Date(today.getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
  const trivial = await latency("app?app_id=com.bench.big");
  const app = await latency(`statistics/app/com.bench.big?from=${from}&to=${to}`);
  const org = await latency(`statistics/org/00000000-0000-4000-8000-0000000000a1?from=${from}&to=${to}`);
  const ingestModes = [];
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const inFlight of [1, 4]) {
    // Both paths run a few batches first, so each pooled connection has planned its statements.
    const warmUp = ingestBatches(`w${inFlight}`, INGEST_WARM_UP_BATCHES);
    await plainInsertRate(warmUp, inFlight);
    await ingestRate(warmUp, inFlight);
    // Rounds alternate which path goes first, and each round's ratio compares two measurements taken seconds
    // apart: the machine's speed drifts between runs and even within one.
    const rounds = [];
    for (let round = 0; round < INGEST_ROUNDS; round++) {
      const batches = ingestBatches(`f${inFlight}r${round}`);
      let plain = 0, http = 0;
      if (round % 2 === 0) {
        plain = await plainInsertRate(batches, inFlight);
        http = await ingestRate(batches, inFlight);
      } else {
        http = await ingestRate(batches, inFlight);
        plain = await plainInsertRate(batches, inFlight);
      }
      rounds.push({ plain, http, ratio: http / plain });
    }
    ingestModes.push({
      batches_in_flight: inFlight,
      http: Math.round(median(rounds.map((r) => r.http))),
      plain: Math.round(median(rounds.map((r) => r.plain))),
      ratio: Number(median(rounds.map((r) => r.ratio)).toFixed(2)),
      round_ratios: rounds.map((r) => Number(r.ratio.toFixed(2))),
    });
  }

  const ratio = (value: number, baseline: number) => Number((value / baseline).toFixed(2));
  const results = {
    measured_at: new Date().toISOString(),
    workload: { device_events: 10_000_000, apps: 100, devices: 1_000_000, big_app_devices: 500_000, days: 90 },
    requests_per_endpoint: REQUESTS,
    latency_ms: {
      trivial: trivial,
      statistics_app_90d: app,
      statistics_org_50_apps_90d: org,
    },
    latency_ratio_to_trivial: {
      statistics_app_90d: { p50: ratio(app.p50, trivial.p50), p99: ratio(app.p99, trivial.p99) },
      statistics_org_50_apps_90d: { p50: ratio(org.p50, trivial.p50), p99: ratio(org.p99, trivial.p99) },
    },
    ingest_events_per_second: ingestModes.map((mode) => ({
      batches_in_flight: mode.batches_in_flight,
      http_batches_of_1000: mode.http,
      plain_multi_row_insert: mode.plain,
      ratio: mode.ratio,
      rounds: INGEST_ROUNDS,
      round_ratios: mode.round_ratios,
    })),
    goals: { statistics_ratio_below: 5, ingest_ratio_at_least: 0.33 },
  };
  const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const latencyRow = (name: string, measured: { p50: number; p99: number }) =>
    row([
      name,
      measured.p50.toFixed(2),
      measured.p99.toFixed(2),
      ratio(measured.p50, trivial.p50),
      ratio(measured.p99, trivial.p99),
    ]);
  console.log([
    "",
    row(["measure", "p50 ms", "p99 ms", "p50 / trivial", "p99 / trivial"]),
    row(["---", "---", "---", "---", "---"]),
    latencyRow("trivial (GET /app?app_id=...)", trivial),
    latencyRow("/statistics/app 90 days, 500k devices", app),
    latencyRow("/statistics/org 90 days, 50 apps", org),
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
      row(["", mode.batches_in_flight, mode.http, mode.plain, mode.ratio, mode.round_ratios.join(" ")])
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
