/** The query of GET /api/statistics/ and the body of PUT /api/workspaces/:id, with Django REST framework's texts. */
import { z } from "@hono/zod-openapi";
import { fields } from "../_shared/function-app.ts";
import { differenceInCalendarDays, parseISO } from "date-fns";
import { REQUIRED } from "../_shared/drf-errors.ts";

export const MAX_RANGE_DAYS = 366;
export const STATS_TYPES = ["users", "developers", "workspaces"] as const;

export const DATETIME_FORMAT =
  "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
export const START_AFTER_END = "start must not be after end.";
export const RANGE_TOO_LONG = `The range may cover at most ${MAX_RANGE_DAYS} days, both ends included.`;

const ISO_DATE_OR_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** The UTC day (`YYYY-MM-DD`) an ISO 8601 date or date-time falls on (no offset: UTC); undefined when invalid. */
export function utcDayOf(text: string): string | undefined {
  if (!ISO_DATE_OR_DATETIME.test(text)) return undefined;
  const withOffset = text.length > 10 && !/(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text;
  const instant = parseISO(text.length === 10 ? `${text}T00:00:00Z` : withOffset.replace(" ", "T"));
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString().slice(0, 10);
}

/** DRF's texts: a missing field is "required", anything else the field's own message. */
const requiredOr = (message: (input: unknown) => string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? REQUIRED : message(issue.input);

const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: requiredOr((input) => `"${input}" is not a valid choice.`) });

const day = z.string({ error: requiredOr(() => DATETIME_FORMAT) }).transform((text, ctx) => {
  const utcDay = utcDayOf(text);
  if (!utcDay) {
    ctx.addIssue({ code: "custom", message: DATETIME_FORMAT });
    return z.NEVER;
  }
  return utcDay;
}).openapi({ description: "ISO 8601 date or date-time; the UTC day it falls on (both ends included)" });

export const statisticsQuery = z.object({
  stats_type: choice(STATS_TYPES),
  start: day,
  end: day,
  org_domain: z.string({ error: () => "Not a valid string." }).min(1, { error: "This field may not be blank." })
    .max(253, { error: "Ensure this field has no more than 253 characters." }).optional()
    .openapi({ description: "Only users of this email domain (case-insensitive)" }),
  org_id: z.guid({ error: "Must be a valid UUID." }).optional()
    .openapi({ description: "Required when the key reaches more than one organization" }),
  format: choice(["json", "csv"] as const).optional(),
}).superRefine(({ start, end }, ctx) => {
  if (!start || !end) return;
  const span = differenceInCalendarDays(parseISO(end), parseISO(start));
  if (span < 0) ctx.addIssue({ code: "custom", message: START_AFTER_END });
  else if (span + 1 > MAX_RANGE_DAYS) ctx.addIssue({ code: "custom", message: RANGE_TOO_LONG });
});
export type StatisticsQuery = z.infer<typeof statisticsQuery>;

const flag = z.boolean({ error: "Must be a valid boolean." });

export const workspaceBody = z.strictObject({
  workspace_id: fields.workspaceId(
    z.string().min(1).max(128, { error: "Ensure this field has no more than 128 characters." }),
  ),
  org_id: z.guid({ error: "Must be a valid UUID." }).optional(),
  name: z.string({ error: () => "Not a valid string." }).max(200, {
    error: "Ensure this field has no more than 200 characters.",
  }).optional(),
  is_development: flag.optional(),
  is_public: flag.optional(),
});
