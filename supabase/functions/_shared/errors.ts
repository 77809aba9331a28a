import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { z } from "@hono/zod-openapi";
import { ZodError } from "zod";

/** An error meant for the client: its message is safe to show and names what was wrong. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly errors?: unknown[],
    readonly about: {
      /** Why authentication failed, for surfaces whose texts tell a missing credential from a wrong one. */
      reason?: "no_credentials";
      /** The input field at fault, for surfaces that list problems per field. */
      field?: string;
      /** The failed validation of a request's input, and where that input was read from. */
      validation?: ZodError;
      inputPart?: InputPart;
      /** A refused request (429): when to come back. */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }
}

/** Where a request's input was read from, as Fastify names it. */
export type InputPart = "querystring" | "body";

/** A failure as every surface sees it before its own shape is applied. */
export interface Problem {
  status: ContentfulStatusCode;
  message: string;
  /** Per-item problems, e.g. `{index, error}` of a batch. */
  errors?: unknown[];
  reason?: ApiError["about"]["reason"];
  field?: string;
  /** The validation failure itself, for shapes that list problems per field, and where the input came from. */
  validation?: ZodError;
  inputPart?: InputPart;
  retryAfterSeconds?: number;
}

/** How one surface writes its errors: the body for a problem, and the status of invalid input. */
export interface ErrorShape {
  body(problem: Problem): unknown;
  /** The status invalid input (a 400 problem) is answered with, when the surface's original uses another. */
  invalidStatus?: ContentfulStatusCode;
  /** The shapes in a sentence each, for the OpenAPI document. */
  described: { invalid: string; other: string };
  /** The body of every error, for the OpenAPI document and the fuzz suite's checks; `name` names it there. */
  schema: { name: string; body: z.ZodType };
}

/** The app platform's documented error body `{error, status: "KO"}`, with `errors` for per-item problems. */
export const appPlatformErrors: ErrorShape = {
  body: ({ message, errors }) => errors ? { error: message, status: "KO", errors } : { error: message, status: "KO" },
  described: { invalid: 'Invalid input: `{error, status: "KO"}`', other: '`{error, status: "KO"}`' },
  schema: {
    name: "AppPlatformError",
    body: z.strictObject({
      error: z.string().min(1),
      status: z.literal("KO"),
      errors: z.array(z.unknown()).optional(),
    }),
  },
};

/** A response in the surface's error shape. */
export function errorResponse(c: Context, problem: Problem, shape: ErrorShape = appPlatformErrors) {
  const status = problem.status === 400 ? shape.invalidStatus ?? 400 : problem.status;
  return c.json(shape.body(problem) as Record<string, unknown>, status);
}

// Standard SQLSTATEs that describe bad input or a conflict rather than a server fault.
const statusBySqlState: Record<string, ContentfulStatusCode> = {
  "22001": 400, // string_data_right_truncation
  "22003": 400, // numeric_value_out_of_range
  "22007": 400, // invalid_datetime_format
  "22008": 400, // datetime_field_overflow
  "22023": 400, // invalid_parameter_value
  "22P02": 400, // invalid_text_representation
  "23502": 400, // not_null_violation
  "23514": 400, // check_violation
  "23503": 409, // foreign_key_violation
  "23505": 409, // unique_violation
  "42501": 403, // insufficient_privilege, including row-level security refusals
  "40001": 503, // serialization_failure: safe to retry (ingest ids make a retried batch count once)
  "40P01": 503, // deadlock_detected: likewise
  "57014": 503, // query_canceled, e.g. a statement timeout
};

const genericMessageByStatus: Record<number, string> = {
  400: "Invalid input",
  403: "Insufficient permissions",
  409: "Conflict with existing data",
  503: "Busy: please retry",
};

interface PostgresError {
  code: string;
  message: string;
  detail?: string;
}

function isPostgresError(error: unknown): error is PostgresError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string" &&
    (error as { name?: string }).name === "PostgresError";
}

/** Status and client-safe message for a database error, or undefined when it is a server fault. */
export function fromPostgresError(
  error: PostgresError,
): { status: ContentfulStatusCode; message: string; errors?: unknown[] } | undefined {
  // Functions raise 'PTnnn' (PostgREST's convention) with a message written for the client, and may list
  // per-item problems as a JSON array in DETAIL.
  const custom = /^PT([1-5]\d\d)$/.exec(error.code);
  if (custom) {
    return {
      status: Number(custom[1]) as ContentfulStatusCode,
      message: error.message,
      errors: detailList(error.detail),
    };
  }
  // Class 22 (data exception) is bad input whatever the case, e.g. a NUL character in text (22021) or jsonb (22P05).
  const status = statusBySqlState[error.code] ?? (error.code.startsWith("22") ? 400 : undefined);
  if (status === undefined) return undefined;
  // Constraint messages name tables and values only; they never carry secrets, but keep them short and generic.
  return { status, message: genericMessageByStatus[status] ?? error.message };
}

function detailList(detail: string | undefined): unknown[] | undefined {
  if (!detail?.startsWith("[")) return undefined;
  try {
    const parsed = JSON.parse(detail);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `events[3].device_id`: how a client would write the path to a value of its JSON. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)
    .join("");
}

export function formatZodError(error: ZodError): string {
  const messages = error.issues.map((issue) => {
    const field = fieldPath(issue.path);
    if (issue.code === "unrecognized_keys") return `Unknown field: ${issue.keys.join(", ")}`;
    // Custom refinements carry a complete, documented message.
    if (issue.code === "custom") return issue.message;
    return field ? `Invalid ${field}: ${issue.message}` : issue.message;
  });
  // Two fields failing one documented check (both dates missing) read as that message once.
  return [...new Set(messages)].join("; ");
}

/** What went wrong, as a problem any surface can shape; only unknown faults are 500 (and logged). */
export function problemFrom(error: Error): Problem {
  if (error instanceof ApiError) {
    return { status: error.status, message: error.message, errors: error.errors, ...error.about };
  }
  if (error instanceof ZodError) return { status: 400, message: formatZodError(error), validation: error };
  if (error instanceof HTTPException) return { status: error.status as ContentfulStatusCode, message: error.message };
  if (isPostgresError(error)) {
    const mapped = fromPostgresError(error);
    if (mapped) return mapped;
    console.error(`database error ${error.code}: ${error.message}`);
  } else {
    console.error(error);
  }
  return { status: 500, message: "Internal server error" };
}

/** Hono onError for a surface: every failure leaves in its error shape. */
export function errorHandler(shape: ErrorShape = appPlatformErrors) {
  return (error: Error, c: Context) => errorResponse(c, problemFrom(error), shape);
}
