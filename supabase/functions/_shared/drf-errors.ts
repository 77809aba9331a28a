/**
 * The environment-activity surface's error shape, Django REST framework's: validation failures list messages per
 * field (`{"start": ["..."]}`, `{"non_field_errors": ["..."]}`), everything else is `{"detail": "..."}` with the
 * framework's standard texts.
 */
import { z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { ErrorShape, Problem } from "./errors.ts";

export const REQUIRED = "This field is required.";
export const NON_FIELD_ERRORS = "non_field_errors";

const standardDetail: Record<number, string> = {
  401: "Invalid token.",
  403: "You do not have permission to perform this action.",
  404: "Not found.",
  405: "Method not allowed.",
  429: "Request was throttled.",
  500: "A server error occurred.",
  503: "Service temporarily unavailable, try again later.",
};

/** `{"<field>": ["message", ...]}`; problems of the whole input (a refinement) go under non_field_errors. */
export function fieldErrors(error: ZodError): Record<string, string[]> {
  const byField: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : NON_FIELD_ERRORS;
    const messages = byField[field] ??= [];
    if (!messages.includes(issue.message)) messages.push(issue.message);
  }
  return byField;
}

export const djangoRestErrors: ErrorShape = {
  body(problem: Problem) {
    if (problem.validation) return fieldErrors(problem.validation);
    if (problem.field) return { [problem.field]: [problem.message] };
    if (problem.status === 401 && problem.reason === "no_credentials") {
      return { detail: "Authentication credentials were not provided." };
    }
    // A 400 outside validation is a request that could not be read (as DRF's ParseError): its message says why.
    if (problem.status === 400 || problem.status === 413) return { detail: problem.message };
    if (problem.status === 429 && problem.retryAfterSeconds !== undefined) {
      const seconds = problem.retryAfterSeconds;
      return { detail: `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? "" : "s"}.` };
    }
    return { detail: standardDetail[problem.status] ?? problem.message };
  },
  described: {
    invalid: 'Invalid input: `{"<field>": ["message"], "non_field_errors": ["message"]}`',
    other: '`{"detail": "message"}`',
  },
  schema: {
    name: "DjangoRestFrameworkError",
    body: z.union([
      z.strictObject({ detail: z.string().min(1) }),
      z.record(z.string(), z.array(z.string().min(1)).min(1)).refine((fields) => Object.keys(fields).length > 0),
    ]),
  },
};
