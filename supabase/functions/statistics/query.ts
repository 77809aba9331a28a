import { z } from "@hono/zod-openapi";
import { differenceInCalendarDays, isMatch } from "date-fns";
import { fields } from "../_shared/function-app.ts";

export const MAX_RANGE_DAYS = 90;
export const INVALID_DATE = "Invalid date format. Use YYYY-MM-DD";

const isCalendarDay = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && isMatch(value, "yyyy-MM-dd");

/** A UTC calendar day; a missing value gets the same documented message as a malformed one. */
const day = z.preprocess((value) => value ?? "", z.string().refine(isCalendarDay, { message: INVALID_DATE }));

/** The query of every statistics endpoint: an inclusive range of at most 91 days, and the output wanted. */
export const statsQuery = z.strictObject({
  from: day,
  to: day,
  graph: z.enum(["mau", "storage", "bandwidth"]).optional(),
  format: z.enum(["json", "csv"]).optional(),
}).superRefine(({ from, to }, ctx) => {
  const span = differenceInCalendarDays(new Date(`${to}T00:00:00Z`), new Date(`${from}T00:00:00Z`));
  if (span < 0) ctx.addIssue({ code: "custom", message: "Invalid date range: from must not be after to" });
  else if (span > MAX_RANGE_DAYS) ctx.addIssue({ code: "custom", message: "Date range cannot exceed 90 days" });
});

export const orgStatsQuery = statsQuery.safeExtend({ breakdown: fields.flag.optional() });
