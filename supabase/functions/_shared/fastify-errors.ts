/**
 * The package surface's error shape, Fastify's: `{"statusCode": 404, "error": "Not Found", "message": "..."}`, where
 * `error` is the status's standard text. Validation failures read as Fastify's schema validator words them:
 * `querystring must have required property 'packageId'`, `querystring/resolution must be equal to one of the allowed
 * values`.
 */
import { STATUS_CODES } from "node:http";
import { z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { ErrorShape, Problem } from "./errors.ts";

function validationMessage(error: ZodError, part: string): string {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join("/");
    if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
      return issue.path.length <= 1
        ? `${part} must have required property '${path}'`
        : `${part}/${issue.path.slice(0, -1).join("/")} must have required property '${issue.path.at(-1)!.toString()}'`;
    }
    if (issue.code === "unrecognized_keys") {
      return `${part} must NOT have additional properties (${issue.keys.join(", ")})`;
    }
    return `${part}${path ? `/${path}` : ""} ${issue.message}`;
  }).join(", ");
}

export const fastifyErrors: ErrorShape = {
  body({ status, message, validation, inputPart }: Problem) {
    return {
      statusCode: status,
      error: STATUS_CODES[status] ?? "Error",
      message: validation ? validationMessage(validation, inputPart ?? "querystring") : message,
    };
  },
  described: {
    invalid: 'Invalid input: `{"statusCode": 400, "error": "Bad Request", "message": "..."}`',
    other: '`{"statusCode": n, "error": "<status text>", "message": "..."}`',
  },
  schema: {
    name: "FastifyError",
    body: z.strictObject({ statusCode: z.number().int(), error: z.string().min(1), message: z.string() }),
  },
};
