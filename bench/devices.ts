/**
 * Device ingest in the benchmark: batches of 1000 device.activity events of devices never seen, or of returning
 * devices (90% chosen at random across bench/generate.sql's whole registry of all apps, 10% new), and the activity
 * history's size per device-day, read from the stored rows.
 */
import postgres from "postgres";
import { randomFor } from "../shared/random.ts";

export type Batch = { events: Record<string, unknown>[]; org_id?: string };

const BIG_APP_DEVICES = 500_000;
const OTHER_APP_DEVICES = 5_051;
const OTHER_APPS = 99;
const REGISTRY = BIG_APP_DEVICES + OTHER_APPS * OTHER_APP_DEVICES;
const appId = (n: number) => n === 0 ? "com.bench.big" : `com.bench.app${String(n).padStart(2, "0")}`;

/** The n-th device of bench/generate.sql's registry, in app order. */
function knownDevice(n: number): { app_id: string; device_id: string } {
  if (n < BIG_APP_DEVICES) return { app_id: appId(0), device_id: `dev-0-${n + 1}` };
  const app = 1 + Math.floor((n - BIG_APP_DEVICES) / OTHER_APP_DEVICES);
  return { app_id: appId(app), device_id: `dev-${app}-${1 + ((n - BIG_APP_DEVICES) % OTHER_APP_DEVICES)}` };
}

/** Batches of devices never seen, spread over 49 apps of the first organization. */
export function newDeviceBatches(run: string, tag: string, count: number): Batch[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, batch) => ({
    events: Array.from({ length: 1000 }, (_, i) => ({
      type: "device.activity",
      app_id: appId(1 + ((batch * 1000 + i) % 49)),
      device_id: `fresh-${run}-${tag}-${batch}-${i}`,
      timestamp: new Date(now - ((batch * 1000 + i) % 3_600_000)).toISOString(),
    })),
  }));
}

/** Batches of which 90% are devices of the registry, at random over all apps, and 10% devices never seen. */
export function returningDeviceBatches(run: string, tag: string, count: number): Batch[] {
  const now = Date.now();
  const random = randomFor(`${run}-${tag}`);
  return Array.from({ length: count }, (_, batch) => ({
    events: Array.from({ length: 1000 }, (_, i) => {
      const device = i % 10 === 9
        ? { app_id: appId(1 + ((batch * 1000 + i) % 49)), device_id: `fresh-${run}-${tag}-${batch}-${i}` }
        : knownDevice(Math.floor(random() * REGISTRY));
      return {
        type: "device.activity",
        ...device,
        timestamp: new Date(now - ((batch * 1000 + i) % 3_600_000)).toISOString(),
      };
    }),
  }));
}

/** Bytes of activity history per device-day (the bits and the first day on the registry rows), and the registry's size. */
export async function activityHistorySize(databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [size] = await sql`
    select sum(pg_column_size(active_days) + pg_column_size(first_active_day))::bigint as bytes,
      sum(bit_count(active_days))::bigint as device_days,
      pg_total_relation_size('public.devices') as registry_bytes
    from public.devices`;
  await sql.end();
  const bytes = Number(size.bytes), deviceDays = Number(size.device_days);
  return {
    bytes,
    device_days: deviceDays,
    bytes_per_device_day: Number((bytes / deviceDays).toFixed(2)),
    // From the catalog: the whole registry (its rows, index and TOAST), which holds the history.
    registry_bytes: Number(size.registry_bytes),
  };
}
