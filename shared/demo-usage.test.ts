import assert from "node:assert/strict";
import { addDays, subDays } from "date-fns";
import type { StatsRow } from "../supabase/functions/statistics/chart.ts";
import { dayString } from "./days.ts";
import { DEMO_API_KEY, DEMO_APP_ID, DEMO_ORG_ID } from "./demo.ts";
import { seedDemoActivity } from "./demo-activity.ts";
import { demoPackageViews, seedDemoPackages } from "./demo-packages.ts";
import { type DemoRelease, demoUsage, seedDemoUsage } from "./demo-usage.ts";
import { invoke, test } from "./testing.ts";

const functionsUrl = `${Deno.env.get("SUPABASE_URL") ?? "http://127.0.0.1:54321"}/functions/v1`;
const databaseUrl = Deno.env.get("SUPABASE_DB_URL") ?? "";

/**
 * The figures the generated events and releases must give, computed apart from Tally: MAU over 30 days, storage of
 * the releases live at the end of each day, bytes downloaded per day.
 */
function expectedFigures(events: Record<string, unknown>[], releases: DemoRelease[], days: string[]) {
  const dayOf = (event: Record<string, unknown>) => (event.timestamp as string).slice(0, 10);
  return days.map((day) => {
    const monthStart = dayString(subDays(new Date(`${day}T00:00:00Z`), 29));
    const active = events.filter((e) => e.type === "device.activity" && dayOf(e) >= monthStart && dayOf(e) <= day);
    const downloads = events.filter((e) => e.type === "bundle.download" && dayOf(e) === day);
    const live = releases.filter((release) => release.day <= day && !(release.retired && release.retired <= day));
    return {
      date: day,
      mau: new Set(active.map((e) => e.device_id)).size,
      storage: live.reduce((sum, release) => sum + release.size, 0),
      bandwidth: downloads.reduce((sum, e) => sum + (e.bytes as number), 0),
    };
  });
}

test("the demo usage gives 90 days of varying MAU, storage and bandwidth; a second run changes no figure", async () => {
  const first = await seedDemoUsage(functionsUrl, databaseUrl);
  assert.equal(first.accepted + first.duplicates, first.events);
  assert.ok(first.events > 1000 && first.events < 20_000, `a modest volume: ${first.events} events`);
  const statistics = async () => {
    const reply = await invoke<StatsRow[]>(`statistics/app/${DEMO_APP_ID}?from=${first.from}&to=${first.to}`, {
      credential: DEMO_API_KEY,
    });
    assert.equal(reply.status, 200);
    return reply.data;
  };
  const rows = await statistics();
  assert.equal(rows.length, 90);

  const { events, releases } = demoUsage(first.to);
  assert.deepEqual(rows, expectedFigures(events, releases, rows.map((row) => row.date)));
  assert.ok(rows.every((row) => row.mau > 0), "devices are active every day");
  const changes = rows.slice(1).map((row, i) => row.mau - rows[i].mau);
  assert.ok(changes.some((change) => change > 0) && changes.some((change) => change < 0), "devices come and go");
  assert.ok(new Set(rows.map((row) => row.mau)).size >= 10, "MAU varies");
  assert.ok(rows.filter((row) => row.bandwidth > 0).length >= 30, "bundles are downloaded on most days");
  assert.ok(new Set(rows.map((row) => row.storage)).size >= 5, "storage steps with releases and retirements");
  const bundles = await invoke(`bundle?app_id=${DEMO_APP_ID}`, { credential: DEMO_API_KEY });
  const live = bundles.data.filter((bundle: { deleted: boolean }) => !bundle.deleted);
  assert.equal(live.length, 5, "five releases live, the older ones deleted");
  assert.ok(bundles.data.length > 10);
  assert.ok(
    bundles.data.every((bundle: { name: string; created_at: string }) =>
      bundle.created_at.startsWith(releases.find((release) => release.version === bundle.name)!.day)
    ),
    "each bundle dates from its release day",
  );

  const again = await seedDemoUsage(functionsUrl, databaseUrl);
  assert.deepEqual(
    [again.accepted, again.duplicates, again.bundlesRegistered, again.bundlesDeleted],
    [0, first.events, 0, 0],
  );
  assert.deepEqual(await statistics(), rows);
  assert.deepEqual((await invoke(`bundle?app_id=${DEMO_APP_ID}`, { credential: DEMO_API_KEY })).data, bundles.data);
});

Deno.test("the demo usage of the next day is today's plus the new day: same ids, same days", () => {
  const today = dayString(new Date());
  const tomorrow = dayString(addDays(new Date(), 1));
  const now = new Date(`${tomorrow}T23:59:59Z`);
  const todays = demoUsage(today, now).events;
  const tomorrows = demoUsage(tomorrow, now).events;
  const todayIds = new Set(todays.map((event) => event.id));
  const added = tomorrows.filter((event) => !todayIds.has(event.id));
  assert.ok(added.length > 0);
  assert.ok(added.every((event) => event.timestamp.startsWith(tomorrow)), "only the new day is added");
  const kept = new Map(tomorrows.map((event) => [event.id, event]));
  const overlapping = todays.filter((event) => kept.has(event.id));
  assert.ok(overlapping.length > todays.length * 0.9);
  assert.ok(overlapping.every((event) => JSON.stringify(kept.get(event.id)) === JSON.stringify(event)));
});

test("the demo environment activity answers /api/statistics/ with figures; a second run adds nothing", async () => {
  const today = dayString(new Date());
  const first = await seedDemoActivity(functionsUrl, today);
  const again = await seedDemoActivity(functionsUrl, today);
  assert.equal(again, 0, `the first run accepted ${first}, the second nothing`);
  const query = `start=${dayString(subDays(new Date(), 89))}&end=${today}&org_id=${DEMO_ORG_ID}`;
  const users = await invoke(`api/statistics/?stats_type=users&${query}`, { credential: `Bearer ${DEMO_API_KEY}` });
  assert.equal(users.status, 200, JSON.stringify(users.data));
  const monthly = users.data.users.monthly_active_users.map((row: { count: number }) => row.count);
  assert.ok(monthly.at(-1) > 10, `monthly active users ${monthly}`);
  const workspaces = await invoke(`api/statistics/?stats_type=workspaces&${query}`, { credential: DEMO_API_KEY });
  assert.deepEqual(Object.keys(workspaces.data.workspaces.total_users.at(-1)).sort(), [
    "analysis",
    "day",
    "design",
    "month",
    "year",
  ]);
});

test("the demo packages answer /v2/stats with their imported views; a second run adds nothing", async () => {
  const today = dayString(new Date());
  const first = await seedDemoPackages(functionsUrl, today);
  const again = await seedDemoPackages(functionsUrl, today);
  assert.equal(again, 0, `the first run accepted ${first}, the second nothing`);
  const expected = demoPackageViews(today).filter((event) => event.package_id === "Tally.Demo");
  const stats = await invoke(`v2/stats?packageId=tally.demo&after=${dayString(subDays(new Date(), 89))}`);
  assert.equal(stats.status, 200, JSON.stringify(stats.data));
  assert.deepEqual(
    stats.data.Stats.Data,
    expected.map((event) => ({ Period: `${event.timestamp.slice(0, 10)}T00:00:00.000Z`, Value: event.views })),
  );
});
