/**
 * What a route answers on success, declared once: a zod schema of its JSON body (or none, for a 204), and the other
 * media types it may answer instead (CSV, SVG). The OpenAPI document is built from the declaration, and with
 * TALLY_CHECK_RESPONSES=1 (npm test sets it) every JSON success body is checked against it, so that a response that
 * drifts from its document fails the tests as a 500.
 */
import { type RouteConfig, z } from "@hono/zod-openapi";

export type TextMediaType = "text/csv" | "image/svg+xml";

export type SuccessDeclaration =
  | { successStatus: 204; output?: never; alsoAnswers?: never }
  | { successStatus?: 200 | 201; output: z.ZodType; alsoAnswers?: TextMediaType[] };

/** The OpenAPI `responses` entry of the success status. */
export function successResponse(declared: SuccessDeclaration): RouteConfig["responses"] {
  if (declared.successStatus === 204) return { 204: { description: "Success, no content" } };
  const text = Object.fromEntries((declared.alsoAnswers ?? []).map((type) => [type, { schema: { type: "string" } }]));
  return {
    [declared.successStatus ?? 200]: {
      description: "Success",
      content: { "application/json": { schema: declared.output }, ...text },
    },
  };
}

const checking = () => Deno.env.get("TALLY_CHECK_RESPONSES") === "1";

/** Throws (a 500) when a JSON success body does not match the route's declared schema; only when checking. */
export async function checkDeclaredResponse(route: string, declared: SuccessDeclaration, response: Response) {
  if (!checking() || response.status >= 300) return;
  if (declared.successStatus === 204) {
    if (response.status !== 204) throw new Error(`${route} answered ${response.status}, declared 204`);
    return;
  }
  if (response.status !== (declared.successStatus ?? 200)) {
    throw new Error(`${route} answered ${response.status}, declared ${declared.successStatus ?? 200}`);
  }
  if (!response.headers.get("content-type")?.startsWith("application/json")) return;
  const checked = declared.output.safeParse(await response.clone().json());
  if (!checked.success) {
    throw new Error(
      `${route}: the response does not match its declared schema: ${JSON.stringify(checked.error.issues)}`,
    );
  }
}

/** A timestamp as the SQL functions write it (private.iso_utc): `2026-11-24T01:02:03.456Z`. */
export const isoTimestamp = z.iso.datetime({ precision: 3 });

/** The app platform's acknowledgement of a change: `{status: "<text>"}`. */
export const acknowledgement = (status: string) => z.object({ status: z.literal(status) });
