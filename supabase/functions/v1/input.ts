/** What the traffic routes accept, with the Storyblok Management API's parameter names. */
import { z } from "@hono/zod-openapi";
import { addYears, differenceInCalendarDays, format, isValid, parseISO } from "date-fns";

export const GROUPS = ["day", "month", "year"] as const;
export const MAX_DAYS_BY_DAY = 366;
export const MAX_YEARS = 10;
export const MAX_PER_PAGE = 1000;

/** An integer from min to max, every failure worded as `message`. */
const wholeNumber = (min: number, max: number, message: string) =>
  z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });

const orgId = z.guid({ error: "must be a UUID" }).optional()
  .describe("Required when the key reaches more than one organization");

/** A calendar day written `YYYY-MM-DD` (a real one: no 30 February). */
const calendarDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date in YYYY-MM-DD format" })
  .refine((text) => isValid(parseISO(text)) && format(parseISO(text), "yyyy-MM-dd") === text, {
    error: "must be a date in YYYY-MM-DD format",
  });

/** The range a request asks for: `end_date` defaults to today (UTC), `start_date` to 1 January of its year. */
export function requestedRange(
  { start_date, end_date }: { start_date?: string; end_date?: string },
  now = new Date(),
): { start: string; end: string } {
  const end = end_date ?? now.toISOString().slice(0, 10);
  return { start: start_date ?? `${end.slice(0, 4)}-01-01`, end };
}

export const trafficQuery = z.object({
  org_id: orgId,
  start_date: calendarDay.optional().describe("First UTC day, YYYY-MM-DD (default: 1 January of end_date's year)"),
  end_date: calendarDay.optional().describe("Last UTC day, YYYY-MM-DD (default: today)"),
  group_by: z.enum(GROUPS, { error: `must be one of ${GROUPS.join(", ")}` }).default("month")
    .describe("Group the series by day, month or year"),
  page: wholeNumber(1, 1_000_000, "must be an integer from 1 to 1000000").default(1)
    .describe("Page of the raw `traffic` series, from 1 (response header Total: its row count)"),
  per_page: wholeNumber(1, MAX_PER_PAGE, `must be an integer from 1 to ${MAX_PER_PAGE}`)
    .default(100).describe(`Rows of the raw series per page (default 100, at most ${MAX_PER_PAGE})`),
}).superRefine((query, context) => {
  if (query.start_date === undefined && query.end_date === undefined) return;
  const range = requestedRange(query);
  const [start, end] = [parseISO(range.start), parseISO(range.end)];
  // zod runs this even when a day failed its own check, which has said so already.
  if (!isValid(start) || !isValid(end)) return;
  if (start > end) {
    context.addIssue({ code: "custom", path: [], message: "start_date must not be after end_date" });
  } else if (query.group_by === "day" && differenceInCalendarDays(end, start) + 1 > MAX_DAYS_BY_DAY) {
    context.addIssue({
      code: "custom",
      path: [],
      message: `start_date and end_date may span at most ${MAX_DAYS_BY_DAY} days with group_by=day`,
    });
  } else if (end >= addYears(start, MAX_YEARS)) {
    context.addIssue({
      code: "custom",
      path: [],
      message: `start_date and end_date may span at most ${MAX_YEARS} years`,
    });
  }
});

export const alertsQuery = z.object({ org_id: orgId });
