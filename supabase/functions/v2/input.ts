/** What the package routes accept. */
import { z } from "@hono/zod-openapi";
import { isValid, parseISO } from "date-fns";
import { ApiError } from "../_shared/errors.ts";
import { fields } from "../_shared/function-app.ts";

const RESOLUTIONS = ["day", "isoWeek", "month"] as const;

// An ISO 8601 date, or date-time with minutes, optional seconds and fraction, and an optional offset.
const ISO_DATE_OR_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

/** The instant an ISO 8601 date or date-time names, UTC when it gives no offset; undefined when it names none. */
export function parseInstant(text: string): Date | undefined {
  if (!ISO_DATE_OR_DATE_TIME.test(text)) return undefined;
  const [, time] = text.split(/t/i);
  const normalized = time === undefined ? `${text}T00:00:00Z` : /z|[+-]/i.test(time) ? text : `${text}Z`;
  const instant = parseISO(normalized);
  return isValid(instant) ? instant : undefined;
}

const instant = z.string().max(64).transform((text, context) => {
  const parsed = parseInstant(text);
  if (!parsed) context.addIssue({ code: "custom", message: 'must match format "date-time" (ISO 8601)' });
  return parsed ?? z.NEVER;
});

export const statsQuery = z.object({
  packageId: fields.packageId.describe("The package Id, Publisher.PackageName (any letter case)"),
  resolution: z.enum(RESOLUTIONS, { message: `must be equal to one of the allowed values (${RESOLUTIONS.join(", ")})` })
    .default("day").describe("Bin: UTC day, ISO week (from Monday) or calendar month"),
  after: instant.optional().describe("ISO 8601 date or date-time; rounded down to its bin (default: the Unix epoch)"),
  before: instant.optional().describe("ISO 8601 date or date-time; rounded down to its bin (default: now)"),
});

export const packagePath = z.object({
  publisher: z.string().describe("The part of the package Id before its first dot"),
  name: z.string().describe("The rest of the package Id"),
});

export const packageNotFound = () => new ApiError(404, "package not found");

/** The package Id a path names; a path that cannot name one is a package that does not exist. */
export function identifierInPath({ publisher, name }: z.infer<typeof packagePath>): string {
  const identifier = `${publisher}.${name}`;
  if (publisher.includes(".") || !fields.packageId.safeParse(identifier).success) throw packageNotFound();
  return identifier;
}

const text = (max: number) => z.string().max(max);
const link = text(2048);

/** POST /v2/packages: the package's fields; those left out keep their stored value (or default on creation). */
export const packageBody = z.strictObject({
  org_id: fields.uuid.optional().describe("The organization; defaults to the key's when it is limited to one"),
  Id: fields.packageId.describe("Publisher.PackageName: the route's :publisher is the part before the first dot"),
  Name: text(256).min(1),
  Publisher: text(256).min(1),
  Description: text(10_000).optional(),
  Homepage: link.optional(),
  License: text(512).optional(),
  LicenseUrl: link.optional(),
  Tags: z.array(text(128).min(1)).max(100).optional(),
  Versions: z.array(text(128).min(1)).max(1000).optional().describe("Version strings, kept in the order given"),
  Featured: z.boolean().optional(),
  IconUrl: link.nullable().optional().describe("null removes it"),
  Banner: link.nullable().optional().describe("null removes it"),
  Logo: link.nullable().optional().describe("null removes it"),
  CreatedAt: z.iso.datetime({ offset: true }).optional().describe("Kept from creation unless given (imports)"),
  UpdatedAt: z.iso.datetime({ offset: true }).optional().describe("Now unless given (imports)"),
});
