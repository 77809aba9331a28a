/**
 * The traffic surface's error shape, the Storyblok Management API's: `{"error": "..."}`, with invalid parameters a
 * 422 whose message names the parameter (`start_date must be a date in YYYY-MM-DD format`) and a missing or wrong
 * credential `{"error": "Unauthorized"}`. storyblok-js-client rejects with `message` taken from `error`.
 */
import { z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { ErrorShape, Problem } from "./errors.ts";

function validationMessage(error: ZodError): string {
  const messages = error.issues.map((issue) => {
    // Checks of several parameters (a range) carry a whole sentence.
    if (issue.path.length === 0) return issue.message;
    return `${issue.path.map(String).join(".")} ${issue.message}`;
  });
  return [...new Set(messages)].join("; ");
}

export const storyblokErrors: ErrorShape = {
  invalidStatus: 422,
  body({ status, message, validation }: Problem) {
    if (validation) return { error: validationMessage(validation) };
    if (status === 401) return { error: "Unauthorized" };
    return { error: message };
  },
  described: {
    invalid: 'Invalid parameter: `{"error": "<parameter> ..."}`',
    other: '`{"error": "message"}` (401: `{"error": "Unauthorized"}`)',
  },
  schema: { name: "StoryblokError", body: z.strictObject({ error: z.string().min(1) }) },
};
