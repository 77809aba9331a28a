import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { addDays, subDays } from "date-fns";
import { dayString, utcToday } from "../../../shared/days.ts";
import { adminDb, createKey, createOrgWithKey, createUser, invoke, test } from "../../../shared/testing.ts";
import { seededRandom } from "../../../shared/random.ts";
import type { StatsRow } from "../statistics/chart.ts";

const DAYS = 120;

interface Bundle {
  appId: string;
  size: number;
  created: string;
  deleted: string | null;
}

/** The workload and, independently of Tally, the figures it must produce. */
function workload(apps: string[], seed: number) {
  const random = seededRandom(seed);
  const start = subDays(utcToday(), DAYS - 1);
  const days = Array.from({ length: DAYS }, (_, i) => dayString(addDays(start, i)));
  const events: Record<string, unknown>[] = [];
  // Today's events cannot lie in the future: they happen just after midnight.
  const stamp = (day: string, time: string) => day === days[DAYS - 1] ? `${day}T00:00:01Z` : `${day}T${time}Z`;
  const active = new Map<string, Set<string>>(); // app|day -> devices
  const downloaded = new Map<string, number>(); // app|day -> bytes
  const bundles: Bundle[] = [];
  for (const appId of apps) {
    for (let device = 0; device < 40; device++) {
      // Bursts of activity separated by gaps, so devices drop out of the 30-day window and come back.
      let day = Math.floor(random() * 30);
      while (day < DAYS) {
        const burst = 1 + Math.floor(random() * 6);
        for (let d = day; d < Math.min(DAYS, day + burst); d++) {
          if (random() < 0.6) {
            const key = `${appId}|${days[d]}`;
            if (!active.has(key)) active.set(key, new Set());
            active.get(key)!.add(`dev-${device}`);
            events.push({
              type: "device.activity",
              app_id: appId,
              device_id: `dev-${device}`,
              timestamp: stamp(days[d], `${String(Math.floor(random() * 24)).padStart(2, "0")}:15:00`),
            });
          }
          if (random() < 0.2) {
            const bytes = 1 + Math.floor(random() * 5_000_000);
            downloaded.set(`${appId}|${days[d]}`, (downloaded.get(`${appId}|${days[d]}`) ?? 0) + bytes);
            events.push({
              type: "bundle.download",
              app_id: appId,
              device_id: `dev-${device}`,
              bytes,
              timestamp: stamp(days[d], "23:59:59"),
            });
          }
        }
        day += burst + Math.floor(random() * 45);
      }
    }
    for (let b = 0; b < 6; b++) {
      const created = Math.floor(random() * DAYS) - 10;
      const deleted = random() < 0.5 ? created + Math.floor(random() * 60) : null;
      bundles.push({
        appId,
        size: 1 + Math.floor(random() * 50_000_000),
        created: dayString(addDays(start, created)),
        deleted: deleted === null || deleted >= DAYS ? null : dayString(addDays(start, deleted)),
      });
    }
  }

  function expected(appIds: string[], from: string, to: string): StatsRow[] {
    const rows: StatsRow[] = [];
    for (let date = new Date(`${from}T00:00:00Z`); dayString(date) <= to; date = addDays(date, 1)) {
      const day = dayString(date);
      let mau = 0, storage = 0, bandwidth = 0;
      for (const appId of appIds) {
        const seen = new Set<string>();
        for (let back = 0; back < 30; back++) {
          for (const device of active.get(`${appId}|${dayString(subDays(date, back))}`) ?? []) seen.add(device);
        }
        mau += seen.size;
        bandwidth += downloaded.get(`${appId}|${day}`) ?? 0;
        storage += bundles
          .filter((b) => b.appId === appId && b.created <= day && (b.deleted === null || b.deleted > day))
          .reduce((sum, b) => sum + b.size, 0);
      }
      rows.push({ date: day, mau, storage, bandwidth });
    }
    return rows;
  }
  return { days, events, bundles, expected };
}

async function setUp() {
  const a = await createOrgWithKey("stats-a");
  const b = await createOrgWithKey("stats-b");
  const suffix = crypto.randomUUID().slice(0, 8);
  const appsA = ["one", "two", "three"].map((name) => `com.statsa.${name}${suffix}`);
  const appsB = ["four", "five"].map((name) => `com.statsb.${name}${suffix}`);
  for (const [org, apps] of [[a, appsA], [b, appsB]] as const) {
    for (const appId of apps) {
      const created = await invoke("app", {
        method: "POST",
        credential: org.key,
        body: { owner_org: org.orgId, app_id: appId, name: appId },
      });
      assert.equal(created.status, 200);
    }
  }
  // The owner of org A is invited into org B, so that /statistics/user spans both orgs.
  await invoke("organization/members", {
    method: "POST",
    credential: b.key,
    body: { orgId: b.orgId, email: a.owner.email, role: "read" },
  });
  await invoke("organization/members/accept", { method: "POST", credential: a.owner.jwt, body: { orgId: b.orgId } });
  return { a, b, appsA, appsB };
}

const { a, b, appsA, appsB } = await setUp();
const allApps = [...appsA, ...appsB];
const load = workload(allApps, 20261123);

test("oracle: every row of /statistics/app, /org and /user equals the figures recomputed from the events sent", async () => {
  const uploadA = await createKey(a.owner.jwt, { org_id: a.orgId, mode: "upload" });
  const uploadB = await createKey(b.owner.jwt, { org_id: b.orgId, mode: "upload" });
  for (const [key, apps] of [[uploadA, appsA], [uploadB, appsB]] as const) {
    const events = load.events.filter((e) => (apps as readonly string[]).includes(e.app_id as string));
    for (let i = 0; i < events.length; i += 1000) {
      const reply = await invoke("ingest", {
        method: "POST",
        credential: key,
        body: { events: events.slice(i, i + 1000) },
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.data));
    }
  }
  // Bundles of the past are registered as an admin script would; their history drives storage.
  for (const bundle of load.bundles) {
    await adminDb`
      insert into public.app_versions (app_id, owner_org, name, size, created_at)
      values (${bundle.appId}, (select owner_org from public.apps where app_id = ${bundle.appId}),
        ${crypto.randomUUID()}, ${bundle.size}, ${bundle.created}::date + interval '6 hours')`;
    if (bundle.deleted) {
      await adminDb`update public.app_versions set deleted = true, deleted_at = ${bundle.deleted}::date + interval '18 hours'
        where app_id = ${bundle.appId} and size = ${bundle.size} and not deleted`;
    }
  }

  const windows = [[load.days[0], load.days[90]], [load.days[DAYS - 91], load.days[DAYS - 1]]];
  for (const [from, to] of windows) {
    for (const appId of allApps) {
      const reply = await invoke(`statistics/app/${appId}?from=${from}&to=${to}`, { credential: a.owner.jwt });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.data, load.expected([appId], from, to), `app ${appId} ${from}..${to}`);
    }
    for (const [org, apps] of [[a, appsA], [b, appsB]] as const) {
      const reply = await invoke(`statistics/org/${org.orgId}?from=${from}&to=${to}`, { credential: org.key });
      assert.deepEqual(reply.data, load.expected([...apps], from, to), `org ${from}..${to}`);
      const detailed = await invoke(`statistics/org/${org.orgId}?from=${from}&to=${to}&breakdown=true`, {
        credential: org.key,
      });
      assert.deepEqual(detailed.data, {
        global: load.expected([...apps], from, to),
        byApp: [...apps].sort().map((appId) => ({ app_id: appId, data: load.expected([appId], from, to) })),
      });
    }
    const user = await invoke(`statistics/user?from=${from}&to=${to}`, { credential: a.owner.jwt });
    assert.deepEqual(user.data, load.expected(allApps, from, to), `user ${from}..${to}`);
  }

  const limited = await createKey(a.owner.jwt, { org_id: a.orgId, mode: "read", limited_to_apps: [appsA[1]] });
  const [from, to] = windows[1];
  const onlyOne = await invoke(`statistics/user?from=${from}&to=${to}`, { credential: limited });
  assert.deepEqual(onlyOne.data, load.expected([appsA[1]], from, to), "a key limited to one app sees only that app");
  // Outside the key's app limits, or a member's app scope, an app of the same organization answers exactly as an
  // unknown id: no oracle.
  const scoped = await createUser("stats-app-member");
  await adminDb`insert into public.org_users (org_id, user_id, user_right, app_id)
    values (${a.orgId}, ${scoped.id}, 'admin', ${appsA[1]})`;
  for (const credential of [limited, scoped.jwt]) {
    const own = await invoke(`statistics/app/${appsA[1]}?from=${from}&to=${to}`, { credential });
    assert.deepEqual(own.data, load.expected([appsA[1]], from, to));
    for (const appId of [appsA[0], `${appsA[0]}.unknown`]) {
      const reply = await invoke(`statistics/app/${appId}?from=${from}&to=${to}`, { credential });
      assert.deepEqual(
        { status: reply.status, data: reply.data },
        { status: 404, data: { error: "App/Organization not found", status: "KO" } },
        appId,
      );
    }
  }
  // Its own organization is known to it, but an org-wide read is beyond a key limited to an app.
  const orgWide = await invoke(`statistics/org/${a.orgId}?from=${from}&to=${to}`, { credential: limited });
  assert.deepEqual(
    { status: orgWide.status, data: orgWide.data },
    { status: 403, data: { error: "Insufficient permissions to access statistics", status: "KO" } },
  );

  const svg = await invoke(`statistics/app/${appsA[0]}?from=${from}&to=${to}&graph=storage`, { credential: a.key });
  assert.equal(svg.status, 200);
  assert.match(svg.contentType ?? "", /^image\/svg\+xml/);
  assert.equal(XMLValidator.validate(svg.data), true);
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg.data);
  assert.ok(parsed.svg["@_viewBox"]);
  assert.ok(parsed.svg.title["#text"].includes(appsA[0]));
  assert.ok(parsed.svg.desc["#text"].includes(from));
  const points = parsed.svg.path["@_d"].match(/[ML]/g).length;
  assert.equal(points, 91, "one path point per day");

  const csv = await invoke(`statistics/app/${appsA[0]}?from=${from}&to=${to}&format=csv`, { credential: a.key });
  assert.match(csv.contentType ?? "", /^text\/csv/);
  const [header, ...lines] = (csv.data as string).trim().split("\n");
  assert.equal(header, "date,mau,storage,bandwidth");
  assert.deepEqual(
    lines.map((line) => line.split(",")),
    load.expected([appsA[0]], from, to).map((r) => [r.date, `${r.mau}`, `${r.storage}`, `${r.bandwidth}`]),
  );
  const accepted = await invoke(`statistics/user?from=${from}&to=${to}`, {
    credential: a.owner.jwt,
    headers: { accept: "text/csv" },
  });
  assert.match(accepted.contentType ?? "", /^text\/csv/);
});

test("statistics errors: dates, range, not found, permissions, missing key", async () => {
  const appId = appsA[0];
  const expectError = async (path: string, status: number, error: string, credential: string | null = a.key) => {
    const reply = await invoke(path, { credential: credential ?? undefined });
    assert.deepEqual({ status: reply.status, data: reply.data }, { status, data: { error, status: "KO" } }, path);
  };
  await expectError(
    `statistics/app/${appId}?from=2024-13-01&to=2024-12-31`,
    400,
    "Invalid date format. Use YYYY-MM-DD",
  );
  await expectError(
    `statistics/app/${appId}?from=2024-02-30&to=2024-03-01`,
    400,
    "Invalid date format. Use YYYY-MM-DD",
  );
  await expectError(`statistics/app/${appId}?from=2024-1-1&to=2024-03-01`, 400, "Invalid date format. Use YYYY-MM-DD");
  await expectError(`statistics/app/${appId}?to=2024-03-01`, 400, "Invalid date format. Use YYYY-MM-DD");
  for (const route of [`statistics/app/${appId}`, `statistics/org/${a.orgId}`, "statistics/user"]) {
    for (const dates of ["", "?from=someday&to=2024-1-1", "?from=&to=", "?from=2024-02-30&to=2024-13-01"]) {
      await expectError(`${route}${dates}`, 400, "Invalid date format. Use YYYY-MM-DD");
    }
  }
  await expectError(
    `statistics/app/${appId}?from=2024-03-02&to=2024-03-01`,
    400,
    "Invalid date range: from must not be after to",
  );
  await expectError(`statistics/app/${appId}?from=2024-01-01&to=2024-04-01`, 400, "Date range cannot exceed 90 days");
  const ok = await invoke(`statistics/app/${appId}?from=2024-01-01&to=2024-03-31`, { credential: a.key });
  assert.equal(ok.status, 200, "91 daily rows is the most");
  assert.equal(ok.data.length, 91);
  await expectError(`statistics/app/com.nowhere.app?from=2024-01-01&to=2024-01-02`, 404, "App/Organization not found");
  await expectError(`statistics/app/${appsB[0]}?from=2024-01-01&to=2024-01-02`, 404, "App/Organization not found");
  await expectError(
    `statistics/org/${crypto.randomUUID()}?from=2024-01-01&to=2024-01-02`,
    404,
    "App/Organization not found",
  );
  await expectError(`statistics/org/${b.orgId}?from=2024-01-01&to=2024-01-02`, 404, "App/Organization not found");
  await expectError(`statistics/user?from=2024-01-01&to=2024-01-02`, 401, "Invalid API key", null);
  await expectError(`statistics/user?from=2024-01-01&to=2024-01-02`, 401, "Invalid API key", "tally_nope");

  const future = dayString(addDays(utcToday(), 5));
  const upToToday = await invoke(`statistics/user?from=${dayString(subDays(utcToday(), 2))}&to=${future}`, {
    credential: a.key,
  });
  assert.deepEqual(
    upToToday.data.map((r: StatsRow) => r.date),
    [0, 1, 2].map((i) => dayString(subDays(utcToday(), 2 - i))),
  );
  const trailing = await invoke(`statistics/app/${appId}/?from=2024-01-01&to=2024-01-01`, { credential: a.key });
  assert.equal(trailing.status, 200, "the documented trailing slash works");
});
