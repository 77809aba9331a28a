/**
 * The documented rows of GET /api/statistics/ from the arrays edge_api.environment_statistics returns: one number per
 * period, the day of index i being `start` + i, the weeks and months labelled by SQL, and for workspaces each one's
 * registrations as a count before the range plus its non-zero days in it, summed here.
 */
import { addDays, differenceInCalendarDays } from "date-fns";

type Label = [number, number];
type Row = Record<string, number>;

export interface AudienceArrays {
  total: number[];
  per_day: number[];
  weeks: Label[];
  per_week: number[];
  months: Label[];
  monthly_active: number[];
  per_month: number[];
}

export interface WorkspaceArrays {
  months: Label[];
  workspaces: {
    workspace_id: string;
    before_start: number;
    /** Offsets from `start` of the days with registrations, and their counts (pairs in no particular order). */
    days: number[];
    registered: number[];
    monthly_active: number[];
    logins: number[];
  }[];
}

const utcDate = (day: string) => new Date(`${day}T00:00:00Z`);

function dayRows(start: string, count: number): Row[] {
  const first = utcDate(start);
  return Array.from({ length: count }, (_, i) => {
    const date = addDays(first, i);
    return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
  });
}

const monthRows = (months: Label[]) => months.map(([year, month]): Row => ({ year, month }));
const withCounts = (rows: Row[], counts: number[]) => rows.map((row, i) => ({ ...row, count: counts[i] }));

export function audienceFigures(statsType: "users" | "developers", figures: AudienceArrays, start: string) {
  const days = dayRows(start, figures.total.length);
  const months = monthRows(figures.months);
  const daily = {
    per_day: withCounts(days, figures.per_day),
    per_week: figures.weeks.map(([year, week], i) => ({ year, week, count: figures.per_week[i] })),
    per_month: withCounts(months, figures.per_month),
  };
  const total = withCounts(days, figures.total);
  const monthly = withCounts(months, figures.monthly_active);
  return statsType === "users"
    ? { users: { total_users: total, monthly_active_users: monthly, daily_active_users: daily } }
    : { developers: { total_developers: total, monthly_active_developers: monthly, daily_active_developers: daily } };
}

/**
 * The workspaces answer as JSON text, written directly: it is the surface's largest (366 rows of up to a few hundred
 * workspace counts), and rows with that many keys are slow to build as objects and to serialize.
 */
export function workspaceFiguresJson(figures: WorkspaceArrays, start: string, end: string): string {
  const dayCount = differenceInCalendarDays(utcDate(end), utcDate(start)) + 1;
  const keys = figures.workspaces.map(({ workspace_id }) => `,${JSON.stringify(workspace_id)}:`);
  const totals = figures.workspaces.map(({ before_start, days, registered }) => {
    const running = new Float64Array(dayCount);
    days.forEach((day, i) => running[day] += registered[i]);
    let total = before_start;
    return running.map((added) => total += added);
  });
  const row = (head: string, count: (workspace: number) => number) =>
    `{${head}${keys.map((key, workspace) => key + count(workspace)).join("")}}`;
  const totalUsers = dayRows(start, dayCount).map(({ year, month, day }, i) =>
    row(`"year":${year},"month":${month},"day":${day}`, (workspace) => totals[workspace][i])
  );
  const perMonth = (series: "monthly_active" | "logins") =>
    figures.months.map(([year, month], i) =>
      row(`"year":${year},"month":${month}`, (workspace) => figures.workspaces[workspace][series][i])
    );
  return `{"workspaces":{"total_users":[${totalUsers}],"monthly_active_users":[${
    perMonth("monthly_active")
  }],"daily_active_users":{"per_month":[${perMonth("logins")}]}}}`;
}
