import { z } from "@hono/zod-openapi";
import { fields } from "../_shared/function-app.ts";

export const MAX_EVENTS_PER_BATCH = 1000;
export const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_FUTURE_MS = 5 * 60 * 1000;
const MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000;

const id = z.string().min(1).max(128);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A space id: a positive integer that JSON clients read exactly, as a number or its decimal digits. */
const SPACE_ID = "must be a positive integer of at most 2^53 - 1 (a number or its digits)";
const spaceId = z.union([z.number(), z.string()], { error: SPACE_ID }).refine(
  (value) =>
    typeof value === "number"
      ? Number.isSafeInteger(value) && value >= 1
      : /^[1-9]\d{0,15}$/.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER,
  { error: SPACE_ID },
);

const common = {
  timestamp: z.iso.datetime({ offset: true }).optional(),
  id: id.optional(),
};

/** The event vocabulary: what each type carries. */
export const usageEvent = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("device.activity"),
    ...common,
    app_id: fields.appId,
    device_id: id,
    platform: z.enum(["ios", "android"]).optional(),
    version_name: z.string().max(128).optional(),
    plugin_version: z.string().max(64).optional(),
    os_version: z.string().max(64).optional(),
    version_build: z.string().max(64).optional(),
    custom_id: z.string().max(128).optional(),
    is_prod: z.boolean().optional(),
    is_emulator: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal("bundle.download"),
    ...common,
    app_id: fields.appId,
    device_id: id,
    bytes,
    version_name: z.string().max(128).optional(),
  }),
  z.strictObject({
    type: z.literal("api.request"),
    ...common,
    space_id: spaceId,
    requests: z.number().int().min(0).max(1_000_000_000).optional(),
    bytes: bytes.optional(),
  }).refine(({ requests, bytes }) => requests !== 0 || bytes !== undefined, {
    // Every rollup row then has traffic: requests, or bytes measured.
    message: "must be at least 1 when the event measures no bytes",
    path: ["requests"],
  }),
  z.strictObject({
    type: z.literal("workspace.activity"),
    ...common,
    workspace_id: fields.workspaceId(id),
    user_id: id,
    kind: z.enum(["user", "developer"]),
    org_domain: z.string().max(253).regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { message: "must be a domain such as acme.com" })
      .optional(),
    /** The workspace's kinds: the event that creates it sets them, a later event that carries one changes it. */
    workspace_is_development: z.boolean().optional(),
    workspace_is_public: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal("package.view"),
    ...common,
    /** History from another registry: added to the day's views as is (no per-client deduplication). */
    package_id: fields.packageId,
    views: z.number().int().min(1).max(1_000_000_000).optional(),
  }),
]);
export type UsageEvent = z.infer<typeof usageEvent>;

export const ingestBody = z.strictObject({
  org_id: fields.uuid.optional(),
  events: z.array(z.unknown()).min(1, { message: "at least one event is required" }).max(MAX_EVENTS_PER_BATCH, {
    message: `at most ${MAX_EVENTS_PER_BATCH} events per batch`,
  }),
});

export interface EventProblem {
  index: number;
  error: string;
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown field: ${issue.keys.join(", ")}`;
    const field = issue.path.join(".");
    return field ? `${field}: ${issue.message}` : issue.message;
  }).join("; ");
}

/**
 * Validates every event (the whole batch, before anything is written) and fills in the default timestamp.
 * Returns the events, or the list of problems by index.
 */
export function validateEvents(
  raw: unknown[],
  now = Date.now(),
): { events: UsageEvent[] } | { problems: EventProblem[] } {
  const events: UsageEvent[] = [];
  const problems: EventProblem[] = [];
  const receivedAt = new Date(now).toISOString();
  raw.forEach((candidate, index) => {
    const parsed = usageEvent.safeParse(candidate);
    if (!parsed.success) {
      problems.push({ index, error: describe(parsed.error) });
      return;
    }
    // A given timestamp is passed on as written (ISO 8601 with an offset, which Postgres reads as the same instant).
    const at = parsed.data.timestamp ? Date.parse(parsed.data.timestamp) : now;
    if (at > now + MAX_FUTURE_MS) problems.push({ index, error: "timestamp is more than 5 minutes in the future" });
    else if (at < now - MAX_AGE_MS) problems.push({ index, error: "timestamp is older than 400 days" });
    else events.push(parsed.data.timestamp ? parsed.data : { ...parsed.data, timestamp: receivedAt });
  });
  return problems.length ? { problems } : { events };
}
