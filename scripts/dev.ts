/**
 * npm run dev: the API on the embedded default. Without SUPABASE_DB_URL it starts an embedded PGlite database
 * (kept in .tally/pgdata, reopened on the next start) behind a Postgres socket; with it, it uses that database.
 * Either way it applies the bootstrap, the migrations and the seed, serves every function, and gives the demo app
 * 90 days of usage (nothing new when it already has them): events through the API, bundles imported as of their day,
 * environment activity, and two packages with their views.
 */
import { PGlite } from "@electric-sql/pglite";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { uuid_ossp } from "@electric-sql/pglite/contrib/uuid_ossp";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { prepareDatabase, repoRoot } from "../shared/database.ts";
import { DEMO_API_KEY, DEMO_APP_ID, DEMO_ORG_ID } from "../shared/demo.ts";
import { seedDemoUsage } from "../shared/demo-usage.ts";
import { seedDemoActivity } from "../shared/demo-activity.ts";
import { seedDemoPackages } from "../shared/demo-packages.ts";
import { seedDemoTraffic } from "../shared/demo-traffic.ts";
import { DEFAULT_FUNCTIONS_PORT, functionNames, serveFunctions } from "../shared/functions-server.ts";

const EMBEDDED_DB_PORT = Number(Deno.env.get("TALLY_EMBEDDED_DB_PORT") ?? 54322);
const port = Number(Deno.env.get("PORT") ?? DEFAULT_FUNCTIONS_PORT);

async function startEmbeddedDatabase(): Promise<string> {
  const dataDir = `${repoRoot}.tally/pgdata`;
  await Deno.mkdir(dataDir, { recursive: true });
  console.log(`Starting the embedded PGlite database (${dataDir})...`);
  const db = await PGlite.create({ dataDir, extensions: { pgcrypto, uuid_ossp } });
  // PGlite has a single backend session; the socket server queues every connection's queries onto it.
  const server = new PGLiteSocketServer({ db, port: EMBEDDED_DB_PORT, host: "127.0.0.1", maxConnections: 100 });
  await server.start();
  return `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_DB_PORT}/postgres`;
}

let databaseUrl = Deno.env.get("SUPABASE_DB_URL");
if (!databaseUrl) {
  databaseUrl = await startEmbeddedDatabase();
  Deno.env.set("SUPABASE_DB_URL", databaseUrl);
  // One backend session: a pool of one keeps each request's transaction whole.
  Deno.env.set("TALLY_DB_POOL_SIZE", "1");
}
console.log("Applying bootstrap, migrations and seed...");
await prepareDatabase(databaseUrl, { seed: true });

await serveFunctions({ port });
const base = `http://127.0.0.1:${port}/functions/v1`;
const started = performance.now();
const seeded = await seedDemoUsage(base, databaseUrl);
const activityAccepted = await seedDemoActivity(base, seeded.to);
const packageViewsAccepted = await seedDemoPackages(base, seeded.to);
const trafficAccepted = await seedDemoTraffic(base, seeded.to);
const stats = `${base}/statistics/app/${DEMO_APP_ID}?from=${seeded.from}&to=${seeded.to}`;
const activity = `${base}/api/statistics/?stats_type=users&start=${seeded.from}&end=${seeded.to}&org_id=${DEMO_ORG_ID}`;
console.log(`
Demo usage of ${DEMO_APP_ID} (${seeded.from} to ${seeded.to}): ${seeded.accepted} new events, ${seeded.duplicates} already there, \
${seeded.bundlesRegistered} bundles imported, ${seeded.bundlesDeleted} retired, ${activityAccepted} new environment \
activity events, ${packageViewsAccepted} new days of demo package views, ${trafficAccepted} new days of demo space traffic \
(${((performance.now() - started) / 1000).toFixed(1)} s)

Tally is serving ${(await functionNames()).join(", ")} at ${base}/<function>
API reference: http://127.0.0.1:${port}/docs/

Local demo API key (public, local only): ${DEMO_API_KEY}
Try:
  curl -H 'authorization: ${DEMO_API_KEY}' '${base}/organization?orgId=${DEMO_ORG_ID}'
  curl -H 'authorization: ${DEMO_API_KEY}' '${stats}'
  curl -H 'authorization: ${DEMO_API_KEY}' '${stats}&graph=mau' -o mau.svg    # or graph=storage, bandwidth
  curl -H 'Authorization: Bearer ${DEMO_API_KEY}' '${activity}'    # or stats_type=developers, workspaces
  curl '${base}/v2/packages/Tally/Demo'    # public; counts one view per client and day
  curl '${base}/v2/stats?packageId=Tally.Demo&resolution=isoWeek'    # or day, month; after=, before=
  curl -H 'Authorization: ${DEMO_API_KEY}' '${base}/v1/orgs/me/statistics/all_traffic?group_by=day&start_date=${seeded.from}&org_id=${DEMO_ORG_ID}'    # or month, year; page=, per_page=
`);
