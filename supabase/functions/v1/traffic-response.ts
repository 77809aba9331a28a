/**
 * The documented all_traffic body from edge_api.traffic_statistics' compact form: SQL returns each series as
 * [period, requests, bytes or null] tuples, which cost far less to build there than one JSON object per entry.
 */
import type { GROUPS } from "./input.ts";
import type { AllTraffic } from "./schemas.ts";

type Entry = [period: string, requests: number, bytes: number | null];
type PageEntry = [...Entry, spaceId: number];

export interface CompactTraffic {
  monthly_traffic_limit: number | null;
  traffic_used_this_year: number;
  requests_used_last_days: number;
  /** Sums over the range's groups, which are never none: numbers, 0 when nothing was counted or measured. */
  total_requests: number;
  total_bytes: number;
  organization: Entry[];
  top_spaces: [spaceId: number, entries: Entry[]][];
  other_spaces: Entry[] | null;
  page: PageEntry[];
  total: number;
}

/** A period is labelled by its first day cut to the grain: 2025-03-01 is "2025-03" by month, "2025" by year. */
const LABEL_LENGTH: Record<(typeof GROUPS)[number], number> = { day: 10, month: 7, year: 4 };

export function trafficBody(traffic: CompactTraffic, groupBy: (typeof GROUPS)[number]): AllTraffic {
  const labelLength = LABEL_LENGTH[groupBy];
  const entry = ([period, requests, bytes]: Entry | PageEntry) => ({
    date: period.slice(0, labelLength),
    api_requests: requests,
    total_bytes: bytes,
  });
  const topSpaces: Record<string, ReturnType<typeof entry>[]> = {};
  for (const [spaceId, entries] of traffic.top_spaces) topSpaces[spaceId] = entries.map(entry);
  if (traffic.other_spaces) topSpaces.other_spaces = traffic.other_spaces.map(entry);
  const limit = traffic.monthly_traffic_limit;
  return {
    // The original's documents spell it both ways; both are answered.
    montly_traffic_limit: limit,
    monthly_traffic_limit: limit,
    yearly_traffic_limit: limit === null ? null : limit * 12,
    traffic_used_this_year: traffic.traffic_used_this_year,
    cumulated_traffic: {
      requests_used_last_days: traffic.requests_used_last_days,
      total_requests_per_time_period: traffic.total_requests,
      total_traffic_per_time_period: traffic.total_bytes,
      traffic: traffic.organization.map(entry),
    },
    traffic_top_spaces: topSpaces,
    traffic: traffic.page.map((row) => ({ ...entry(row), space_id: row[3] })),
  };
}
