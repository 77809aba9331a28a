/**
 * LOCAL ONLY demo usage for the demo app, so that a first `npm run dev` shows figures and graphs rather than zeros:
 * 90 days ending today (UTC) of devices installing, churning and coming back on a weekly rhythm, bundle releases,
 * and their downloads. Usage events go through the API (POST /ingest) with the demo key, as a client's would. The
 * bundles are records, not usage: they are imported as of their release day (and retired when the fifth release
 * after them comes out), as seed.sql writes the demo org, because POST /bundle registers a bundle as of now and
 * storage would have no history; the same storage trigger counts them either way.
 *
 * Everything is derived from absolute dates through a seeded PRNG, never from "today": a day's events are the same
 * whichever day the seeding runs, and their ids are too, so a second run adds nothing (ingest skips ids it has
 * accepted, bundles are imported once) and the next day's run adds only the new day.
 */
import { addDays, subDays } from "date-fns";
import postgres from "postgres";
import { dayString, utcDay } from "./days.ts";
import { DEMO_APP_ID, ingestAsDemo } from "./demo.ts";
import { randomFor } from "./random.ts";

export const DEMO_DAYS = 90;
const MAU_DAYS = 30;
/** The longest a device stays: devices installed this long before the window can still be active in it. */
const MAX_LIFETIME_DAYS = 150;
const RELEASE_EVERY_DAYS = 15;
/** Releases kept alive; older ones are deleted, so storage both steps up and drops. */
const LIVE_RELEASES = 5;
const INGEST_BATCH = 1000;

const epochDay = (day: string) => Math.round(utcDay(day).getTime() / 86_400_000);

export interface DemoRelease {
  version: string;
  day: string;
  size: number;
  /** The day the fifth release after it came out, when it is deleted; null while it is live. */
  retired: string | null;
}

export type DemoEvent = Record<string, unknown> & { id: string; type: string; timestamp: string };

/** One release every 15 days (by absolute date), of 2 to 9 MB; five stay live. */
function releasesBetween(first: string, last: string): DemoRelease[] {
  const releases: DemoRelease[] = [];
  for (let date = utcDay(first); dayString(date) <= last; date = addDays(date, 1)) {
    const day = dayString(date);
    if (epochDay(day) % RELEASE_EVERY_DAYS !== 0) continue;
    const size = 2_000_000 + Math.floor(randomFor(`release ${day}`)() * 7_000_000);
    const version = `${date.getUTCFullYear()}.${date.getUTCMonth() + 1}.${date.getUTCDate()}`;
    releases.push({ version, day, size, retired: null });
  }
  releases.forEach((release, i) => release.retired = releases[i + LIVE_RELEASES]?.day ?? null);
  return releases;
}

/** New installs of a day: a slow wave of growth and decline, fewer at weekends. */
function installsOn(day: string): number {
  const wave = 3 + 1.5 * Math.sin(epochDay(day) / 20);
  const weekend = [0, 6].includes(utcDay(day).getUTCDay()) ? 0.6 : 1;
  return Math.round(wave * weekend * (0.7 + 0.6 * randomFor(`installs ${day}`)()));
}

/** A third try the app and leave within a week, a third stay a month or two, a third stay long. */
function lifetimeDays(random: () => number): number {
  const kind = random();
  if (kind < 0.33) return 1 + Math.floor(random() * 7);
  if (kind < 0.66) return 14 + Math.floor(random() * 46);
  return 60 + Math.floor(random() * (MAX_LIFETIME_DAYS - 60));
}

/**
 * The demo usage of the 90 days ending `today`: events (activity and downloads) and the releases of the window.
 * `now` only clamps today's timestamps, which ingest refuses in the future.
 */
export function demoUsage(today: string, now = new Date(), appId = DEMO_APP_ID) {
  const windowStart = dayString(subDays(utcDay(today), DEMO_DAYS - 1));
  // The MAU of the window's first day counts the 29 days before it: their activity is sent too.
  const activitySince = dayString(subDays(utcDay(windowStart), MAU_DAYS - 1));
  const firstInstall = dayString(subDays(utcDay(activitySince), MAX_LIFETIME_DAYS));
  const releases = releasesBetween(dayString(subDays(utcDay(firstInstall), RELEASE_EVERY_DAYS)), today);
  const events: DemoEvent[] = [];
  const stamp = (day: string, random: () => number) => {
    const at = new Date(utcDay(day).getTime() + Math.floor(random() * 86_400) * 1000);
    return (at > now ? now : at).toISOString();
  };
  for (let date = utcDay(firstInstall); dayString(date) <= today; date = addDays(date, 1)) {
    const installDay = dayString(date);
    for (let n = 0; n < installsOn(installDay); n++) {
      const deviceId = `demo-${installDay}-${n}`;
      const random = randomFor(deviceId);
      const lifetime = lifetimeDays(random);
      const platform = random() < 0.55 ? "android" : "ios";
      const keen = 0.2 + random() * 0.4;
      let running: DemoRelease | undefined;
      for (let offset = 0; offset < lifetime; offset++) {
        const day = dayString(addDays(date, offset));
        if (day > today) break;
        const weekend = [0, 6].includes(utcDay(day).getUTCDay());
        const daily = randomFor(`${deviceId} ${day}`);
        if (offset > 0 && daily() > keen * (weekend ? 0.6 : 1)) continue;
        const latest = releases.findLast((release) => release.day <= day);
        const downloads = latest !== undefined && latest !== running;
        running = latest;
        if (day < activitySince) continue;
        const common = { app_id: appId, device_id: deviceId, version_name: running?.version };
        const timestamp = stamp(day, daily);
        events.push({
          type: "device.activity",
          id: `demo:activity:${day}:${deviceId}`,
          timestamp,
          ...common,
          platform,
          is_prod: true,
        });
        if (downloads && day >= windowStart) {
          events.push({
            type: "bundle.download",
            id: `demo:download:${day}:${deviceId}`,
            timestamp,
            ...common,
            bytes: latest.size,
          });
        }
      }
    }
  }
  events.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
  return { events, releases, windowStart };
}

export interface DemoSeedResult {
  /** The 90 days seeded, as statistics' `from` and `to`. */
  from: string;
  to: string;
  events: number;
  accepted: number;
  duplicates: number;
  bundlesRegistered: number;
  bundlesDeleted: number;
}

/**
 * Imports the releases as bundles of the app, each as of its day, and deletes the retired ones as of the day they
 * were retired; the storage trigger turns both into storage history. Releases already imported are left alone.
 */
async function importReleases(databaseUrl: string, appId: string, releases: DemoRelease[]) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = sql.json(releases.map((release) => ({
      name: release.version,
      size: release.size,
      created_at: `${release.day}T00:00:00Z`,
      deleted_at: release.retired ? `${release.retired}T00:00:00Z` : null,
    })));
    return await sql.begin(async (tx) => {
      const added = await tx`
        insert into public.app_versions (app_id, owner_org, name, size, created_at)
        select a.app_id, a.owner_org, r.name, r.size, r.created_at
        from public.apps as a, jsonb_to_recordset(${rows}) as r (name text, size bigint, created_at timestamptz)
        where a.app_id = ${appId}
          and not exists (select 1 from public.app_versions as v where v.app_id = a.app_id and v.name = r.name)
        order by r.created_at
        returning name`;
      const retired = await tx`
        update public.app_versions as v set deleted = true, deleted_at = r.deleted_at
        from jsonb_to_recordset(${rows}) as r (name text, deleted_at timestamptz)
        where v.app_id = ${appId} and v.name = r.name and not v.deleted and r.deleted_at is not null
        returning v.name`;
      return { registered: added.length, deleted: retired.length };
    });
  } finally {
    await sql.end();
  }
}

/**
 * Sends the demo usage to the functions at `functionsUrl` (…/functions/v1) with the demo key, and imports the
 * releases into the database at `databaseUrl`.
 */
export async function seedDemoUsage(
  functionsUrl: string,
  databaseUrl: string,
  options: { today?: string; now?: Date; apiKey?: string; appId?: string } = {},
): Promise<DemoSeedResult> {
  const now = options.now ?? new Date();
  const appId = options.appId ?? DEMO_APP_ID;
  const today = options.today ?? dayString(now);
  const { events, releases, windowStart } = demoUsage(today, now, appId);
  const bundles = await importReleases(databaseUrl, appId, releases);
  const { accepted, duplicates } = await ingestAsDemo(functionsUrl, events, {
    apiKey: options.apiKey,
    batchSize: INGEST_BATCH,
  });
  return {
    from: windowStart,
    to: today,
    events: events.length,
    accepted,
    duplicates,
    bundlesRegistered: bundles.registered,
    bundlesDeleted: bundles.deleted,
  };
}
