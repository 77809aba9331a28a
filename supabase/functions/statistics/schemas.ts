/** What the statistics routes answer as JSON (CSV and SVG are their alternatives). */
import { z } from "@hono/zod-openapi";

const whole = z.number().int().nonnegative();

/** One day of private.stats_rows_json, shaped by the routes: `{date, mau, storage, bandwidth}`. */
export const statsRow = z.object({
  date: z.iso.date().describe("UTC day, YYYY-MM-DD"),
  mau: whole.describe("Distinct devices active in the 30 days ending that day"),
  storage: whole.describe("Bytes of bundles alive at the end of that day"),
  bandwidth: whole.describe("Bytes downloaded that day"),
});

/** GET /statistics/app/:app_id and /statistics/user: one row per day, ascending, zero-filled, up to today. */
export const statsRows = z.array(statsRow).describe("One row per day, ascending, zero-filled, up to today (UTC)");

/** GET /statistics/org/:org_id: the rows, or with breakdown=true the rows and each app's. */
export const orgStatsOutput = z.union([
  statsRows,
  z.object({
    global: statsRows.describe("The organization's apps summed"),
    byApp: z.array(z.object({ app_id: z.string().min(1), data: statsRows })).describe("Each app's rows, by app_id"),
  }).describe("With breakdown=true"),
]);
