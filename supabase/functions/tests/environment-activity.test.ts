import assert from "node:assert/strict";
import { subDays } from "date-fns";
import { dayString, utcToday } from "../../../shared/days.ts";
import { seededRandom } from "../../../shared/random.ts";
import { createKey, createOrgWithKey, invoke, test } from "../../../shared/testing.ts";
import { type ActivityEvent, ActivityOracle } from "./environment-oracle.ts";

const DAYS = 400;
const WORKSPACES = ["w1", "w2", "w3", "w4", "w-dev", "w-public"];
const DOMAINS = ["acme.com", "beta.io"];
const today = utcToday();
const days = Array.from({ length: DAYS }, (_, i) => dayString(subDays(today, DAYS - 1 - i)));

/** Users and developers over 400 days, each with a few workspaces, a first day and bursts of activity after it. */
function workload(seed: number): ActivityEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const events: ActivityEvent[] = [];
  for (let user = 0; user < 70; user++) {
    const userId = `user-${user}`;
    const domain = user % 7 === 6 ? undefined : DOMAINS[user % 2];
    const home = [pick(WORKSPACES), pick(WORKSPACES), pick(WORKSPACES)];
    const isDeveloper = user % 3 === 0;
    let day = Math.floor(random() * DAYS);
    while (day < DAYS) {
      const kind = isDeveloper && random() < 0.6 ? "developer" : "user";
      // Some events leave the domain out, one user in ten writes it in capitals, and one in nine gives the other
      // domain on their first day (received last when it is backfilled: the first domain received wins).
      const sent = user % 9 === 4 && events.at(-1)?.user_id !== userId ? DOMAINS[(user + 1) % 2] : domain;
      const org_domain = sent && random() < 0.7 ? (user % 10 === 1 ? sent.toUpperCase() : sent) : undefined;
      events.push({
        workspace_id: pick(home),
        user_id: userId,
        kind,
        day: days[day],
        ...(org_domain && { org_domain }),
      });
      day += 1 + Math.floor(random() * (random() < 0.8 ? 4 : 40));
    }
  }
  return events;
}

function toEvent({ day, ...fields }: ActivityEvent) {
  // Today's events cannot lie in the future: they happen just after midnight.
  const time = day === days[DAYS - 1] ? "00:00:01" : "12:30:00";
  return { type: "workspace.activity", ...fields, timestamp: `${day}T${time}Z` };
}

async function ingest(key: string, events: ActivityEvent[], extra: Record<string, unknown> = {}) {
  for (let i = 0; i < events.length; i += 1000) {
    const batch = events.slice(i, i + 1000).map((event) => ({ ...toEvent(event), ...extra }));
    const reply = await invoke("ingest", { method: "POST", credential: key, body: { events: batch } });
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
  }
}

/** The ranges compared: the last 366 days, one that cuts weeks and months, and the last ISO week-year change. */
function ranges(): [string, string][] {
  const year = today.getUTCFullYear();
  const clip = (day: string) => day > days[DAYS - 1] ? days[DAYS - 1] : day;
  return [
    [days[DAYS - 366], days[DAYS - 1]],
    [days[DAYS - 200], days[DAYS - 131]],
    [`${year - 1}-12-20`, clip(`${year}-01-12`)],
  ];
}

async function assertFigures(key: string, oracle: ActivityOracle, when: string) {
  for (const [start, end] of ranges()) {
    for (const statsType of ["users", "developers", "workspaces"] as const) {
      for (const domain of [undefined, "beta.io", "ACME.com"]) {
        const query = new URLSearchParams({ stats_type: statsType, start, end, ...(domain && { org_domain: domain }) });
        const reply = await invoke(`api/statistics/?${query}`, { credential: `Bearer ${key}` });
        assert.equal(reply.status, 200, JSON.stringify(reply.data));
        assert.deepEqual(reply.data, oracle.expected(statsType, start, end, domain), `${when}: ${query}`);
      }
    }
  }
}

test("environment activity: every figure equals the oracle, also after workspaces change kind", async () => {
  const { owner, orgId } = await createOrgWithKey("env-oracle");
  const key = await createKey(owner.jwt, { org_id: orgId, mode: "all", limited_to_orgs: [orgId] });
  const oracle = new ActivityOracle();
  const events = workload(9);

  // The public workspace is made so before it has traffic; the development one by its first event.
  const madePublic = await invoke("api/workspaces/w-public", {
    method: "PUT",
    credential: key,
    body: { is_public: true, name: "Public" },
  });
  assert.equal(madePublic.status, 200, JSON.stringify(madePublic.data));
  assert.deepEqual([madePublic.data.is_public, madePublic.data.is_development], [true, false]);
  oracle.kinds.set("w-public", { is_development: false, is_public: true });
  const firstDev = events.find((event) => event.workspace_id === "w-dev")!;
  await ingest(key, [firstDev], { workspace_is_development: true });
  oracle.receive([firstDev]);
  oracle.kinds.set("w-dev", { is_development: true, is_public: false });

  // Out of order, with each user's earliest events held back and sent last (a backfill before their first day).
  const random = seededRandom(5);
  const shuffled = events.filter((event) => event !== firstDev);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const earliest = new Set(
    Object.values(Object.groupBy(shuffled, (event) => event.user_id)).map((own) =>
      own!.reduce((first, event) => event.day < first.day ? event : first)
    ).filter(() => random() < 0.5),
  );
  const ordered = [...shuffled.filter((event) => !earliest.has(event)), ...earliest];
  await ingest(key, ordered);
  oracle.receive(ordered);
  await assertFigures(key, oracle, "after ingest");

  for (
    const [change, kind] of [[{ is_development: true }, { is_development: true, is_public: false }], [
      { is_development: false },
      { is_development: false, is_public: false },
    ]] as const
  ) {
    const reply = await invoke("api/workspaces/w3", { method: "PUT", credential: key, body: change });
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
    oracle.kinds.set("w3", kind);
    await assertFigures(key, oracle, `w3 ${JSON.stringify(change)}`);
  }

  const madePublicByEvent: ActivityEvent = { workspace_id: "w3", user_id: "user-1", kind: "user", day: days[DAYS - 2] };
  await ingest(key, [madePublicByEvent], { workspace_is_public: true });
  oracle.receive([madePublicByEvent]);
  oracle.kinds.set("w3", { is_development: false, is_public: true });
  await assertFigures(key, oracle, "w3 public by an event");
});

test("environment activity: errors in Django REST framework's shapes and texts", async () => {
  const { owner, orgId } = await createOrgWithKey("env-errors", "all");
  const key = await createKey(owner.jwt, { org_id: orgId, mode: "read", limited_to_orgs: [orgId] });
  const unlimited = await createKey(owner.jwt, { mode: "read" });
  const other = await createOrgWithKey("env-stranger");
  const get = (query: string, credential: string | null = `Bearer ${key}`, header?: "x-api-key") =>
    invoke(`api/statistics/?${query}`, { credential: credential ?? undefined, header });
  const range = "start=2026-01-01&end=2026-01-31";
  const format =
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
  const cases: [string, Promise<{ status: number; data: unknown }>, number, unknown][] = [
    ["nothing", get(""), 400, {
      stats_type: ["This field is required."],
      start: ["This field is required."],
      end: ["This field is required."],
    }],
    ["a wrong choice", get(`stats_type=x&${range}`), 400, { stats_type: ['"x" is not a valid choice.'] }],
    ["a wrong date", get("stats_type=users&start=2026-02-30&end=01/31/2026"), 400, { start: [format], end: [format] }],
    ["start after end", get("stats_type=users&start=2026-02-01&end=2026-01-31"), 400, {
      non_field_errors: ["start must not be after end."],
    }],
    ["367 days", get("stats_type=users&start=2025-01-01&end=2026-01-02"), 400, {
      non_field_errors: ["The range may cover at most 366 days, both ends included."],
    }],
    ["a blank domain", get(`stats_type=users&${range}&org_domain=`), 400, {
      org_domain: ["This field may not be blank."],
    }],
    ["no org_id for a key of several orgs", get(`stats_type=users&${range}`, unlimited), 400, {
      org_id: ["This field is required."],
    }],
    ["no credentials", get(`stats_type=users&${range}`, null), 401, {
      detail: "Authentication credentials were not provided.",
    }],
    ["an unknown token", get(`stats_type=users&${range}`, "Bearer nope"), 401, { detail: "Invalid token." }],
    ["another tenant's organization", get(`stats_type=users&${range}&org_id=${other.orgId}`), 404, {
      detail: "Not found.",
    }],
    ["the organization seen by another tenant", get(`stats_type=workspaces&${range}&org_id=${orgId}`, other.key), 404, {
      detail: "Not found.",
    }],
    [
      "a read key writing",
      invoke("api/workspaces/w1", { method: "PUT", credential: key, body: { is_public: true } }),
      403,
      {
        detail: "You do not have permission to perform this action.",
      },
    ],
    ["a wrong flag", invoke("api/workspaces/w1", { method: "PUT", credential: key, body: { is_public: "yes" } }), 400, {
      is_public: ["Must be a valid boolean."],
    }],
    // A workspace's counts sit beside year, month and day in a row: a workspace so named would overwrite one.
    [
      "a period's name as workspace id",
      invoke("api/workspaces/month", { method: "PUT", credential: key, body: {} }),
      400,
      {
        workspace_id: ["year, month, week and day are reserved: they name periods in the statistics rows."],
      },
    ],
  ];
  for (const [what, pending, status, body] of cases) {
    const reply = await pending;
    assert.deepEqual([reply.status, reply.data], [status, body], what);
  }
  // The key travels raw, as Bearer or in x-api-key alike; the date-times fall on their UTC days.
  for (const [credential, header] of [[key, undefined], [`Bearer ${key}`, undefined], [key, "x-api-key"]] as const) {
    const reply = await get("stats_type=users&start=2026-01-01T23:30:00-02:00&end=2026-01-02", credential, header);
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
    assert.deepEqual(reply.data.users.total_users.map((row: { day: number }) => row.day), [2]);
  }
});

test("environment activity: format=csv holds every figure of the JSON", async () => {
  const { owner, orgId } = await createOrgWithKey("env-csv");
  const key = await createKey(owner.jwt, { org_id: orgId, mode: "all", limited_to_orgs: [orgId] });
  await ingest(key, workload(4).filter((event) => event.day >= days[DAYS - 40]));
  const query = `start=${days[DAYS - 30]}&end=${days[DAYS - 1]}`;
  for (const statsType of ["users", "workspaces"] as const) {
    const json = await invoke(`api/statistics/?stats_type=${statsType}&${query}`, { credential: key });
    const csv = await invoke(`api/statistics/?stats_type=${statsType}&${query}&format=csv`, { credential: key });
    assert.equal(csv.contentType, "text/csv; charset=utf-8");
    const [header, ...lines] = (csv.data as string).trim().split("\n");
    const columns = header.split(",");
    const rebuilt: Record<string, Record<string, number>[]> = {};
    for (const line of lines) {
      const cells = Object.fromEntries(line.split(",").map((cell, i) => [columns[i], cell]));
      const series = rebuilt[cells.series] ??= [];
      const period = Object.fromEntries(
        ["year", "month", "week", "day"].filter((c) => cells[c]).map((c) => [c, Number(cells[c])]),
      );
      const key = statsType === "workspaces" ? cells.workspace_id : "count";
      const row = series.find((r) => ["year", "month", "week", "day"].every((c) => r[c] === period[c]));
      if (row) row[key] = Number(cells.count);
      else series.push({ ...period, [key]: Number(cells.count) });
    }
    const figures = Object.values(json.data)[0] as Record<string, unknown>;
    const expected = Object.fromEntries(
      Object.entries(figures).flatMap(([name, series]) =>
        Array.isArray(series)
          ? [[name, series]]
          : Object.entries(series as object).map(([part, rows]) => [`${name}.${part}`, rows])
      ),
    );
    assert.deepEqual(rebuilt, expected, statsType);
  }
});
