/**
 * Turning a request's parts into one input to validate: query-string and path values arrive as text and are
 * converted to the type their schema declares (a JSON body already carries its types, so its values are never
 * converted), unknown query parameters are dropped, and NUL characters are refused wherever they are.
 */
import type { z } from "@hono/zod-openapi";
import { ApiError, fieldPath } from "./errors.ts";

/** Wrappers whose inner schema declares the type (optional, default, ...); a preprocess pipe declares its output. */
function declaredType(schema: z.ZodType): z.ZodType {
  const def = schema.def as {
    type: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    out?: z.ZodType;
  };
  if (def.innerType) return declaredType(def.innerType);
  if (def.type === "pipe" && def.in && def.out) return declaredType(def.in.def.type === "transform" ? def.out : def.in);
  return schema;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A query-string or path value as the type its schema declares: numbers and booleans from their usual spelling,
 * arrays from comma-separated items. Text that spells no such value stays text, so that validation names the field.
 */
export function fromText(schema: z.ZodType, text: string): unknown {
  const declared = declaredType(schema);
  switch (declared.def.type) {
    case "number":
      return DECIMAL.test(text.trim()) ? Number(text) : text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "array": {
      const element = (declared.def as unknown as { element: z.ZodType }).element;
      return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => fromText(element, part));
    }
    default:
      return text;
  }
}

/** The values of `text` whose names `shape` declares, each converted to its declared type; the rest are ignored. */
export function declaredValues(shape: Record<string, z.ZodType>, text: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(text).filter(([name]) => Object.hasOwn(shape, name)).map((
      [name, value],
    ) => [name, fromText(shape[name], value)]),
  );
}

type Path = (string | number)[];

/** Paths to every string (value or object key) that holds a NUL character, at any depth. */
export function nulCharacterPaths(value: unknown, path: Path = []): Path[] {
  if (typeof value === "string") return value.includes("\u0000") ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => nulCharacterPaths(item, [...path, index]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes("\u0000") ? [path] : nulCharacterPaths(item, [...path, key])
    );
  }
  return [];
}

export const NUL_MESSAGE = "must not contain a NUL character";

/**
 * Postgres stores no NUL in text or jsonb, so such input is refused before any SQL runs, naming the field.
 * Problems inside the items of `perItemField` (a batch) are listed as `errors: [{index, error}]`, as the batch's
 * own validation does.
 */
export function refuseNulCharacters(input: Record<string, unknown>, perItemField?: string) {
  const paths = nulCharacterPaths(input);
  if (!paths.length) return;
  const inItems = paths.filter(([field, index]) => field === perItemField && typeof index === "number");
  if (inItems.length === paths.length) {
    throw new ApiError(
      400,
      `Invalid ${perItemField}`,
      inItems.map(([, index, ...rest]) => ({
        index,
        error: rest.length ? `${fieldPath(rest)}: ${NUL_MESSAGE}` : NUL_MESSAGE,
      })),
    );
  }
  throw new ApiError(400, paths.map((path) => `Invalid ${fieldPath(path) || "body"}: ${NUL_MESSAGE}`).join("; "));
}
