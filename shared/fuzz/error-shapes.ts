/**
 * Each function's documented error body, as its app declares it (ErrorShape.schema, also in the OpenAPI document):
 * the fuzz suite checks every 4xx against its function's.
 */
import type { z } from "zod";
import { errorShapeOf } from "../../supabase/functions/_shared/function-app.ts";
import { functionApp } from "../functions-server.ts";

const shapes = new Map<string, z.ZodType>();

/** The error body schema of a function; Fastify's statusCode must also be the HTTP status. */
export async function errorBodyOf(fn: string, status: number): Promise<z.ZodType> {
  if (!shapes.has(fn)) {
    shapes.set(fn, errorShapeOf(await functionApp(fn)).schema.body);
  }
  const body = shapes.get(fn)!;
  return body.refine(
    (value) => typeof value !== "object" || value === null || !("statusCode" in value) || value.statusCode === status,
    "statusCode differs from the HTTP status",
  );
}
