/**
 * The documented all_traffic body from edge_api.traffic_statistics' compact form. SQL returns each group's sums as
 * arrays of numbers, the group named by its first day's distance in days from the range's first group: labelling
 * the groups, zero-filling the organization's series, nulling unmeasured bytes and subtracting the top spaces from the
 * organization cost far less here than one JSON object and date per entry there. By day, a series comes as its months'
 * sums by day of the month (a stored row per month instead of one per day), which this spreads over the range's days.
 */
import type { GROUPS } from "./input.ts";
import type { AllTraffic } from "./schemas.ts";

type Group = (typeof GROUPS)[number];
type Sums = [group: number, requests: number, bytes: number, measuredEvents: number];
type SpaceSums = [spaceId: number, ...Sums];
/** A month row: its first day as a group, and {requests, bytes, measured events} by day of the month (31, 0 past it). */
type MonthOfDays = [group: number, daily: [requests: number[], bytes: number[], measuredEvents: number[]]];
/** A series: its groups with traffic, ascending (by day, its months). */
type Series = Sums[] | MonthOfDays[];

export interface CompactTraffic {
  monthly_traffic_limit: number | null;
  traffic_used_this_year: number;
  requests_used_last_days: number;
  /** The organization's series. */
  organization: Series | null;
  /** The top spaces, best first. */
  top_spaces: [spaceId: number, series: Series | null][] | null;
  /** Whether spaces beyond the top 5 had traffic in the range. */
  other_spaces: boolean;
  /** One page of the raw series, by group then space. */
  page: SpaceSums[] | null;
  total: number;
}

type Entry = AllTraffic["traffic"][number];

const DAY_MS = 86_400_000;
/** A group is labelled by its first day cut to the grain: 2025-03-01 is "2025-03" by month, "2025" by year. */
const LABEL_LENGTH: Record<Group, number> = { day: 10, month: 7, year: 4 };

const twoDigits = (n: number) => (n < 10 ? "0" : "") + n;
/** YYYY-MM-DD of a UTC time: toISOString() would cost most of the shaping of a year of days. */
function isoDay(time: number): string {
  const date = new Date(time);
  return `${String(date.getUTCFullYear()).padStart(4, "0")}-${twoDigits(date.getUTCMonth() + 1)}-${
    twoDigits(date.getUTCDate())
  }`;
}

/** The first day of the group holding `day` (YYYY-MM-DD). */
function groupStart(day: string, groupBy: Group): string {
  return groupBy === "day" ? day : groupBy === "month" ? `${day.slice(0, 7)}-01` : `${day.slice(0, 4)}-01-01`;
}

/** The label of every group from `start`'s to `end`'s, indexed by its distance in days from the first group. */
function groupLabels(start: string, end: string, groupBy: Group): string[] {
  const [year, month, day] = groupStart(start, groupBy).split("-").map(Number);
  // setUTCFullYear, unlike Date.UTC, reads years 0 to 99 as themselves.
  const utc = (y: number, m: number, d: number) => new Date(0).setUTCFullYear(y, m, d);
  const first = utc(year, month - 1, day);
  const [lastYear, lastMonth, lastDay] = groupStart(end, groupBy).split("-").map(Number);
  const last = utc(lastYear, lastMonth - 1, lastDay);
  const labels: string[] = [];
  for (let i = 0;; i++) {
    const time = groupBy === "day"
      ? first + i * DAY_MS
      : groupBy === "month"
      ? utc(year, month - 1 + i, 1)
      : utc(year + i, 0, 1);
    if (time > last) return labels;
    labels[(time - first) / DAY_MS] = isoDay(time).slice(0, LABEL_LENGTH[groupBy]);
  }
}

/** The days of a series in months that have traffic and are labelled (in the range), ascending. */
function daysOfMonths(months: MonthOfDays[], labels: string[]): Sums[] {
  const days: Sums[] = [];
  for (const [first, [requests, bytes, measured]] of months) {
    requests.forEach((count, i) => {
      if ((count > 0 || measured[i] > 0) && labels[first + i] !== undefined) {
        days.push([first + i, count, bytes[i], measured[i]]);
      }
    });
  }
  return days;
}

export function trafficBody(traffic: CompactTraffic, groupBy: Group, start: string, end: string): AllTraffic {
  const labels = groupLabels(start, end, groupBy);
  const entry = ([group, requests, bytes, measured]: Sums): Omit<Entry, "space_id"> => ({
    date: labels[group],
    api_requests: requests,
    total_bytes: measured > 0 ? bytes : null,
  });

  const groupsOf = (series: Series | null): Sums[] =>
    groupBy === "day" ? daysOfMonths((series ?? []) as MonthOfDays[], labels) : (series ?? []) as Sums[];
  const organizationGroups = groupsOf(traffic.organization);
  const organization: Sums[] = [];
  for (const sums of organizationGroups) organization[sums[0]] = sums;
  // The other spaces' sums: the organization's less the top spaces'.
  const others = traffic.other_spaces ? organization.map((sums) => [...sums] as Sums) : [];
  const topSpaces: AllTraffic["traffic_top_spaces"] = {};
  for (const [spaceId, series] of traffic.top_spaces ?? []) {
    const groups = groupsOf(series);
    topSpaces[spaceId] = groups.map(entry);
    for (const [group, requests, bytes, measured] of groups) {
      const other = others[group];
      if (!other) continue;
      other[1] -= requests;
      other[2] -= bytes;
      other[3] -= measured;
    }
  }
  const otherGroups = others.filter(([, requests, , measured]) => requests > 0 || measured > 0);
  if (otherGroups.length > 0) topSpaces.other_spaces = otherGroups.map(entry);

  let totalRequests = 0;
  let totalBytes = 0;
  for (const [, requests, bytes] of organizationGroups) {
    totalRequests += requests;
    totalBytes += bytes;
  }
  const limit = traffic.monthly_traffic_limit;
  return {
    // The original's documents spell it both ways; both are answered.
    montly_traffic_limit: limit,
    monthly_traffic_limit: limit,
    yearly_traffic_limit: limit === null ? null : limit * 12,
    traffic_used_this_year: traffic.traffic_used_this_year,
    cumulated_traffic: {
      requests_used_last_days: traffic.requests_used_last_days,
      total_requests_per_time_period: totalRequests,
      total_traffic_per_time_period: totalBytes,
      traffic: labels.flatMap((_, group) => entry(organization[group] ?? [group, 0, 0, 0])),
    },
    traffic_top_spaces: topSpaces,
    traffic: (traffic.page ?? []).map(([spaceId, ...sums]) => ({ ...entry(sums), space_id: spaceId })),
  };
}
