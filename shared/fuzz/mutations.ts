/**
 * What the fuzz suite does to a valid request (fast-check arbitraries): a field wrong in type, size, content or
 * bound, missing or extra; the query, method, content type, body or headers wrong; and any of the credentials a
 * client might send. Each mutation is a value that `applyMutation` applies to a draft, so that a failure prints it.
 */
import fc from "fast-check";
import type { DraftRequest } from "./operations.ts";

const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

/** Values no schema of the API accepts everywhere: wrong types, sizes, characters and bounds. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    -0,
    2 ** 31,
    2 ** 53 + 2,
    -(2 ** 63),
    1e308,
    0.5,
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ 🚀",
    "\u202eevil",
    "e\u0301\u0301\u0301",
    "\ud800",
    "NaN",
    "Infinity",
    "-1",
    "1e999",
    "9999-99-99",
    "2024-02-30",
    "0000-01-01",
    "2024-01-01T25:00:00Z",
    "../../etc/passwd",
    "'; drop table public.apps; --",
    "%00",
    "x".repeat(300),
    "x".repeat(70_000),
    [],
    {},
    [null],
    { nested: { deeper: [1, "2", { x: null }] } },
  ),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.integer(),
  fc.double(),
  fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 5 }),
);

export type Credential =
  | "valid"
  | "valid as Bearer"
  | "valid in x-api-key"
  | "read-only key"
  | "another tenant's key"
  | "expired key"
  | "deleted key"
  | "malformed"
  | "oversized"
  | "user token"
  | "forged token"
  | "none";

export const credential: fc.Arbitrary<Credential> = fc.constantFrom(
  "valid",
  "valid",
  "valid",
  "valid as Bearer",
  "valid in x-api-key",
  "read-only key",
  "another tenant's key",
  "expired key",
  "deleted key",
  "malformed",
  "oversized",
  "user token",
  "forged token",
  "none",
);

export type Mutation =
  | { kind: "none" }
  | { kind: "drop field"; pick: number }
  | { kind: "set field"; pick: number; value: unknown }
  | { kind: "bound"; pick: number; edge: number }
  | { kind: "extra field"; name: string; value: unknown }
  | { kind: "duplicate query parameter"; pick: number; value: unknown }
  | { kind: "method"; method: string }
  | { kind: "content type"; contentType: string }
  | { kind: "raw body"; body: string }
  | { kind: "header"; name: string; value: string };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: "none" } as const) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("drop field" as const), pick: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("set field" as const), pick: fc.nat(), value: oddValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("bound" as const), pick: fc.nat(), edge: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("extra field" as const),
      name: fc.constantFrom("extra", "__proto__", "constructor", "", "a".repeat(500), "id"),
      value: oddValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("duplicate query parameter" as const), pick: fc.nat(), value: oddValue }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("method" as const),
      method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("content type" as const),
      contentType: fc.constantFrom(
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
        "application/xml",
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("raw body" as const),
      body: fc.oneof(
        fc.constantFrom(
          "{",
          "[]",
          '"text"',
          "null",
          "123",
          '{"a":1,"a":2}',
          '{"events": "\\u0000"}',
          deepArray(5_000),
          `{"events": ${deepArray(2_000)}}`,
          `[${"1,".repeat(40_000)}1]`,
          `{"events": [${'{"type":"device.activity"},'.repeat(3_000)}{}]}`,
        ),
        fc.json({ maxDepth: 4 }),
        fc.string({ unit: "binary", maxLength: 200 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("header" as const),
      name: fc.constantFrom("x-forwarded-for", "user-agent", "accept", "x-odd", "content-length-x", "authorization"),
      value: fc.constantFrom("", " ", "a".repeat(16 * 1024), "text/csv", "*/*, text/csv;q=0.1", "1.1.1.1, , ,", "\t"),
    }),
  },
);

/** The fields a mutation can pick from: query and path parameters, then the JSON body's top-level keys. */
function fieldsOf(draft: DraftRequest): string[] {
  const body = draft.body && "json" in draft.body && isRecord(draft.body.json) ? Object.keys(draft.body.json) : [];
  return [
    ...draft.query.map(([name]) => `query:${name}`),
    ...Object.keys(draft.pathValues).map((n) => `path:${n}`),
    ...body.map((name) => `body:${name}`),
  ];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const asText = (value: unknown) => typeof value === "string" ? value : JSON.stringify(value) ?? "";

export function applyMutation(draft: DraftRequest, change: Mutation): DraftRequest {
  const next: DraftRequest = structuredClone(draft);
  const fields = fieldsOf(next);
  const field = "pick" in change && fields.length ? fields[change.pick % fields.length] : undefined;
  const [where, name] = field ? [field.slice(0, field.indexOf(":")), field.slice(field.indexOf(":") + 1)] : [];
  const body = next.body && "json" in next.body && isRecord(next.body.json) ? next.body.json : undefined;
  switch (change.kind) {
    case "drop field":
      if (where === "query") next.query = next.query.filter(([key]) => key !== name);
      if (where === "path") next.pathValues[name!] = "";
      if (where === "body") delete body![name!];
      break;
    case "set field":
      if (where === "query") next.query = next.query.map(([key, v]) => [key, key === name ? asText(change.value) : v]);
      if (where === "path") next.pathValues[name!] = asText(change.value);
      if (where === "body") body![name!] = change.value;
      break;
    case "extra field":
      // An own property even when named __proto__, as JSON.parse makes it on the server.
      if (body) Object.defineProperty(body, change.name, { value: change.value, enumerable: true, writable: true });
      else next.query.push([change.name, asText(change.value)]);
      break;
    case "bound": {
      // A field at or just beyond a bound its schema declares, present in the request or not.
      const keys = Object.keys(next.bounds);
      if (!keys.length) break;
      const key = keys[change.pick % keys.length];
      const edges = next.bounds[key];
      const value = edges[change.edge % edges.length];
      const [part, field] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      if (part === "query") next.query = [...next.query.filter(([k]) => k !== field), [field, asText(value)]];
      if (part === "path") next.pathValues[field] = asText(value);
      if (part === "body" && body) body[field] = value;
      break;
    }
    case "duplicate query parameter":
      if (where === "query") next.query.push([name!, asText(change.value)]);
      break;
    case "method":
      next.method = change.method;
      break;
    case "content type":
      next.headers["content-type"] = change.contentType;
      break;
    case "raw body":
      next.body = { raw: change.body };
      break;
    case "header":
      next.headers[change.name] = change.value;
      break;
  }
  return next;
}
