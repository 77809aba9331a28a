import assert from "node:assert/strict";
import { subDays } from "date-fns";
import { dayString, utcToday } from "../../../shared/days.ts";
import { seededRandom } from "../../../shared/random.ts";
import { adminDb, call, createKey, createOrgWithKey, test } from "../../../shared/testing.ts";
import { PackageViewsOracle, type Resolution } from "./package-oracle.ts";

const today = utcToday();
const RESOLUTIONS: Resolution[] = ["day", "isoWeek", "month"];

/** A package of a new organization, and a key of mode upload on it. */
async function publishedPackage(handle: string) {
  const { owner, orgId, key } = await createOrgWithKey(handle, "write");
  const id = `Tally${crypto.randomUUID().slice(0, 8)}.Stats.Test`;
  const created = await call("v2/packages", {
    method: "POST",
    headers: { authorization: key },
    body: { Id: id, Name: "Stats test", Publisher: "Tally" },
  });
  assert.equal(created.status, 200, JSON.stringify(created.data));
  const uploadKey = await createKey(owner.jwt, { org_id: orgId, mode: "upload" });
  return { id, orgId, key, uploadKey };
}

const stats = (query: string) =>
  call(`v2/stats?${query}`, { headers: { "user-agent": `stats-${crypto.randomUUID()}` } });

/** 400 days of imported views (the day range crosses 2025-12-29, in ISO week 1 of 2026) and some counted today. */
async function viewedPackage() {
  const pkg = await publishedPackage("pkg-oracle");
  const oracle = new PackageViewsOracle();
  const random = seededRandom(10);
  const events: Record<string, unknown>[] = [];
  for (let back = 399; back >= 1; back--) {
    if (random() < 0.3) continue;
    const day = dayString(subDays(today, back));
    const views = 1 + Math.floor(random() * (random() < 0.1 ? 5000 : 40));
    // One day in ten arrives as two events, the second in other letter case: they add up.
    const parts = random() < 0.1 ? [Math.ceil(views / 2), Math.floor(views / 2)] : [views];
    parts.filter((part) => part > 0).forEach((part, i) =>
      events.push({
        type: "package.view",
        package_id: i ? pkg.id.toLowerCase() : pkg.id,
        views: part,
        timestamp: `${day}T${i ? "23:59:59.999" : "00:00:00"}Z`,
      })
    );
    oracle.add(day, views);
  }
  // The same event id twice counts once (the ingest's idempotency).
  events.push({
    type: "package.view",
    package_id: pkg.id,
    id: "import-1",
    timestamp: `${dayString(subDays(today, 3))}T10:00:00Z`,
  });
  events.push({
    type: "package.view",
    package_id: pkg.id,
    id: "import-1",
    timestamp: `${dayString(subDays(today, 3))}T10:00:00Z`,
  });
  oracle.add(dayString(subDays(today, 3)), 1);
  for (let i = 0; i < events.length; i += 1000) {
    const reply = await call("ingest", {
      method: "POST",
      headers: { authorization: pkg.uploadKey },
      body: { events: events.slice(i, i + 1000) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
  }
  const [publisher, ...name] = pkg.id.split(".");
  for (const agent of ["a", "b", "c"]) {
    const viewed = await call(`v2/packages/${publisher}/${name.join(".")}`, {
      headers: { "user-agent": `${agent}-${pkg.id}` },
    });
    assert.equal(viewed.status, 200);
  }
  oracle.add(dayString(today), 3);
  return { ...pkg, oracle };
}

const fixture = viewedPackage();

/** After and before of the compared ranges: whole history, cut weeks and months, and the 2026 ISO year change. */
function ranges(): [Date, Date][] {
  return [
    [new Date(0), new Date()],
    [subDays(today, 200), subDays(today, 17)],
    [new Date("2025-11-19T17:45:00Z"), new Date("2026-02-11T08:00:00+05:00")],
    [new Date("2025-12-28T23:59:59Z"), new Date("2026-01-04T00:00:00Z")],
    [new Date("2025-12-29T00:00:00Z"), new Date("2025-12-29T00:00:00Z")],
  ];
}

test("GET /v2/stats equals the oracle for every resolution and range, with Period at midnight UTC", async () => {
  const { id, oracle } = await fixture;
  for (const resolution of RESOLUTIONS) {
    for (const [after, before] of ranges()) {
      const query =
        `packageId=${id}&resolution=${resolution}&after=${after.toISOString()}&before=${before.toISOString()}`;
      const reply = await stats(query);
      assert.equal(reply.status, 200, JSON.stringify(reply.data));
      assert.deepEqual(reply.data, { Stats: { Id: id, Data: oracle.data(resolution, after, before) } }, query);
    }
  }
  // 2025-12-29 starts ISO week 1 of 2026: a week bin of its own, in December's month bin.
  const yearChange = await stats(`packageId=${id}&resolution=isoWeek&after=2025-12-31&before=2026-01-01`);
  assert.deepEqual(yearChange.data.Stats.Data.map((bin: { Period: string }) => bin.Period), [
    "2025-12-29T00:00:00.000Z",
  ]);
});

test("defaults: resolution day, before now, after the epoch; any letter case finds the package", async () => {
  const { id, oracle } = await fixture;
  const reply = await stats(`packageId=${id.toUpperCase()}`);
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.data, { Stats: { Id: id, Data: oracle.data("day", new Date(0), new Date()) } });
  const dateOnly = await stats(`packageId=${id}&resolution=month&after=${dayString(subDays(today, 30))}`);
  assert.deepEqual(dateOnly.data.Stats.Data, oracle.data("month", subDays(today, 30), new Date()));
});

test("the original website's request returns each of the last days it looks up by Period", async () => {
  const { id, oracle } = await fixture;
  const now = Date.now();
  const before = new Date(now - 86_400_000).toISOString();
  const after = new Date(now - 8 * 86_400_000).toISOString();
  const reply = await stats(`packageId=${id}&resolution=day&before=${before}&after=${after}`);
  assert.equal(reply.status, 200);
  const byPeriod = new Map(
    reply.data.Stats.Data.map((bin: { Period: string; Value: number }) => [bin.Period, bin.Value]),
  );
  for (let back = 8; back >= 1; back--) {
    const date = new Date(now - back * 86_400_000);
    const period = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())).toISOString();
    assert.equal(byPeriod.get(period), oracle.byDay.get(period.slice(0, 10)), period);
  }
  assert.equal(
    byPeriod.size,
    [...oracle.byDay.keys()].filter((day) => day >= after.slice(0, 10) && day <= before.slice(0, 10)).length,
  );
});

test("a package without views in range has Data [], and one without any views too", async () => {
  const { id } = await fixture;
  const old = await stats(`packageId=${id}&after=2001-01-01&before=2001-02-01`);
  assert.deepEqual(old.data, { Stats: { Id: id, Data: [] } });
  const fresh = await publishedPackage("pkg-unviewed");
  assert.deepEqual((await stats(`packageId=${fresh.id}`)).data, { Stats: { Id: fresh.id, Data: [] } });
});

test("at most 1000 bins, counted from the later of after and the first view", async () => {
  const pkg = await publishedPackage("pkg-limit");
  const [{ id: internal }] = await adminDb`select id from public.packages where identifier = ${pkg.id}`;
  await adminDb`insert into public.package_daily_views (package_id, day, views)
    values (${internal}, ${dayString(subDays(today, 1100))}, 5), (${internal}, ${dayString(today)}, 1)`;
  const whole = await stats(`packageId=${pkg.id}`);
  assert.equal(whole.status, 400);
  assert.equal(whole.data.statusCode, 400);
  assert.equal(whole.data.error, "Bad Request");
  assert.match(whole.data.message, /at most 1000 bins.*1101 day bins/);
  const thousand = await stats(`packageId=${pkg.id}&after=${dayString(subDays(today, 999))}`);
  assert.deepEqual(thousand.data, {
    Stats: { Id: pkg.id, Data: [{ Period: `${dayString(today)}T00:00:00.000Z`, Value: 1 }] },
  });
  assert.equal((await stats(`packageId=${pkg.id}&after=${dayString(subDays(today, 1000))}`)).status, 400);
  const weeks = await stats(`packageId=${pkg.id}&resolution=isoWeek`);
  assert.equal(weeks.status, 200);
  assert.equal(weeks.data.Stats.Data.length, 2);
});

test("each error is a 4xx in Fastify's shape", async () => {
  const { id } = await fixture;
  const cases: [string, number, RegExp][] = [
    ["resolution=day", 400, /^querystring must have required property 'packageId'$/],
    ["packageId=NoDot", 400, /^querystring\/packageId must match pattern/],
    ["packageId=a..b", 400, /packageId/],
    [`packageId=${id}&resolution=year`, 400, /^querystring\/resolution must be equal to one of the allowed values/],
    [`packageId=${id}&after=yesterday`, 400, /^querystring\/after must match format "date-time"/],
    [`packageId=${id}&before=2026-02-30`, 400, /^querystring\/before must match format "date-time"/],
    [`packageId=${id}&before=2026-01-01T25:00:00Z`, 400, /before/],
    [`packageId=${id}&after=2026-01-02&before=2026-01-01T23:59:59Z`, 400, /'after' must not be later than 'before'/],
    ["packageId=Nobody.Nothing", 404, /^package not found$/],
  ];
  for (const [query, status, message] of cases) {
    const reply = await stats(query);
    assert.equal(reply.status, status, query);
    assert.deepEqual(Object.keys(reply.data).sort(), ["error", "message", "statusCode"], query);
    assert.equal(reply.data.statusCode, status);
    assert.equal(reply.data.error, status === 400 ? "Bad Request" : "Not Found");
    assert.match(reply.data.message, message, query);
  }
  const unknownPackage = await call("v2/packages/Nobody/Nothing");
  assert.deepEqual(unknownPackage.data, { statusCode: 404, error: "Not Found", message: "package not found" });
  assert.equal((await call("v2/packages/No.body/Nothing")).status, 404);
});
