/** What the traffic routes answer (traffic-response.ts shapes SQL's tuples into the all_traffic body). */
import { z } from "@hono/zod-openapi";

const whole = z.number().int().nonnegative();
/** A monthly limit in bytes, or null for none (orgs.monthly_traffic_limit: 1 to 750599937895082). */
const limit = z.number().int().positive().nullable();

/** One group of a series: labelled YYYY-MM-DD, YYYY-MM or YYYY by group_by; bytes null where none were measured. */
export const trafficEntry = z.object({
  date: z.string().regex(/^\d{4}(?:-\d{2}(?:-\d{2})?)?$/).describe("YYYY-MM-DD, YYYY-MM or YYYY by group_by"),
  api_requests: whole,
  total_bytes: whole.nullable().describe("null where no request of the group measured bytes"),
});

/** GET /v1/orgs/me/statistics/all_traffic. */
export const allTrafficOutput = z.object({
  montly_traffic_limit: limit.describe("The original's spelling of monthly_traffic_limit"),
  monthly_traffic_limit: limit,
  yearly_traffic_limit: limit.describe("12 times the monthly limit"),
  traffic_used_this_year: whole.describe("Bytes of the current UTC year"),
  cumulated_traffic: z.object({
    requests_used_last_days: whole.describe("Requests of the 7 days ending today"),
    total_requests_per_time_period: whole,
    total_traffic_per_time_period: whole.describe("Bytes measured over the range, 0 when none"),
    traffic: z.array(trafficEntry).describe("One entry per group of the range, zero-filled"),
  }),
  traffic_top_spaces: z.record(z.string().regex(/^(?:[1-9]\d*|other_spaces)$/), z.array(trafficEntry)).describe(
    "The 5 spaces with the most bytes, keyed by space id, each with the groups it had traffic in; other_spaces: " +
      "the rest summed per group (only when there are more than 5 spaces)",
  ),
  traffic: z.array(trafficEntry.extend({ space_id: z.number().int().positive() })).describe(
    "The raw series, groups with traffic only, by date then space; one page (headers Total, Per-Page)",
  ),
});
export type AllTraffic = z.infer<typeof allTrafficOutput>;

/** GET /v1/orgs/me/traffic_alerts: oldest month first, 80 before 100. */
export const trafficAlertsOutput = z.array(z.object({
  month: z.string().regex(/^\d{4}-(?:0[1-9]|1[0-2])$/).describe("The UTC month, YYYY-MM"),
  threshold: z.union([z.literal(80), z.literal(100)]).describe("Percent of the monthly limit crossed"),
  crossed_at: z.iso.datetime({ precision: 3 }).describe("When the crossing ingest ran"),
  bytes: whole.describe("The month's bytes after that ingest"),
  limit: z.number().int().positive().describe("The monthly limit in force then"),
}));
