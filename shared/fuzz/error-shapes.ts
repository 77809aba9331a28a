/**
 * Each surface's documented error body, as zod schemas: the fuzz suite checks every 4xx against its function's.
 */
import { z } from "zod";

const appPlatform = z.strictObject({ error: z.string().min(1), status: z.literal("KO"), errors: z.array(z.unknown()) })
  .partial({ errors: true });
const djangoRest = z.union([
  z.strictObject({ detail: z.string().min(1) }),
  z.record(z.string(), z.array(z.string().min(1)).min(1)).refine((fields) => Object.keys(fields).length > 0),
]);
const fastify = z.strictObject({ statusCode: z.number().int(), error: z.string().min(1), message: z.string() });
const storyblok = z.strictObject({ error: z.string().min(1) });

/** The error body schema of a function; the status must match Fastify's statusCode too. */
export function errorShapeOf(fn: string, status: number): z.ZodType {
  switch (fn) {
    case "api":
      return djangoRest;
    case "v2":
      return fastify.refine((body) => body.statusCode === status, "statusCode differs from the HTTP status");
    case "v1":
      return storyblok;
    default:
      return appPlatform;
  }
}
