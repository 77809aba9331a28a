/**
 * The routes every function serves, read from its own OpenAPI document (GET /<function>/openapi.json), and a valid
 * request for each: values sampled from the declared schemas, with the fixtures' ids where a parameter names one.
 */
import { functionNames } from "../functions-server.ts";

export type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  fn: string;
  method: string;
  /** The path template as documented, e.g. /app/{app_id}. */
  path: string;
  parameters: Parameter[];
  body?: JsonSchema;
  access: "key" | "public";
  summary: string;
  /** Statuses the document lists. */
  statuses: number[];
}

/** A request before it is sent: query entries may repeat a name; a raw body is sent as it is. */
export interface DraftRequest {
  method: string;
  path: string;
  pathValues: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { json: unknown } | { raw: string };
  /** Per field (`query:name`, `path:name`, `body:name`), the values at and just beyond its schema's bounds. */
  bounds: Record<string, unknown[]>;
}

type OpenApiOperation = {
  summary: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
  responses: Record<string, unknown>;
};

export async function operations(functionsUrl: string): Promise<Operation[]> {
  const found: Operation[] = [];
  for (const fn of await functionNames()) {
    const reply = await fetch(`${functionsUrl}/${fn}/openapi.json`);
    if (!reply.ok) throw new Error(`${fn}/openapi.json: ${reply.status}`);
    const document: { paths: Record<string, Record<string, OpenApiOperation>> } = await reply.json();
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        found.push({
          fn,
          method: method.toUpperCase(),
          path,
          parameters: operation.parameters ?? [],
          body: operation.requestBody?.content?.["application/json"]?.schema,
          access: operation.security?.length === 0 ? "public" : "key",
          summary: operation.summary,
          statuses: Object.keys(operation.responses).map(Number),
        });
      }
    }
  }
  return found;
}

/** A value the schema accepts: the fixture's where the name is one, else the simplest one. */
export function sample(schema: JsonSchema, name: string, fixtures: Record<string, unknown>): unknown {
  if (name in fixtures) return fixtures[name];
  const option = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (option) return sample(option, name, fixtures);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "integer":
    case "number":
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case "boolean":
      return false;
    case "array":
      return schema.minItems ? [sample(schema.items ?? {}, name, fixtures)] : [];
    case "object":
      return Object.fromEntries(
        (schema.required ?? []).map((key) => [key, sample(schema.properties?.[key] ?? {}, key, fixtures)]),
      );
    default:
      if (schema.format === "uuid") return crypto.randomUUID();
      if (schema.format === "email") return `fuzz-${crypto.randomUUID().slice(0, 8)}@example.com`;
      if (schema.format === "date") return new Date().toISOString().slice(0, 10);
      if (schema.format === "date-time") return new Date().toISOString();
      return "x".repeat(Math.max(schema.minLength ?? 1, 1));
  }
}

/** The values at and just beyond a schema's bounds: numbers, string lengths, array lengths. */
export function edgesOf(schema: JsonSchema, name: string, fixtures: Record<string, unknown>): unknown[] {
  const option = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (option) return edgesOf(option, name, fixtures);
  const edges: unknown[] = [];
  for (const bound of [schema.minimum, schema.maximum]) {
    if (bound !== undefined) edges.push(bound, bound === schema.minimum ? bound - 1 : bound + 1);
  }
  if (schema.maxLength !== undefined) edges.push("x".repeat(schema.maxLength), "x".repeat(schema.maxLength + 1));
  if (schema.minLength) edges.push("x".repeat(schema.minLength - 1));
  if (schema.maxItems !== undefined) {
    const item = sample(schema.items ?? {}, name, fixtures);
    edges.push(Array(schema.maxItems).fill(item), Array(schema.maxItems + 1).fill(item));
  }
  return edges;
}

/** The valid request of an operation, as far as its schemas tell. */
export function validRequest(operation: Operation, fixtures: Record<string, unknown>): DraftRequest {
  const pathValues: Record<string, string> = {};
  const query: [string, string][] = [];
  const bounds: Record<string, unknown[]> = {};
  for (const [name, schema] of Object.entries(operation.body?.properties ?? {})) {
    bounds[`body:${name}`] = edgesOf(schema, name, fixtures);
  }
  for (const parameter of operation.parameters) {
    bounds[`${parameter.in}:${parameter.name}`] = edgesOf(parameter.schema, parameter.name, fixtures);
    if (!parameter.required && !(parameter.name in fixtures)) continue;
    const value = String(sample(parameter.schema, parameter.name, fixtures));
    if (parameter.in === "path") pathValues[parameter.name] = value;
    else query.push([parameter.name, value]);
  }
  return {
    method: operation.method,
    path: operation.path,
    pathValues,
    query,
    headers: {},
    body: operation.body ? { json: sample(operation.body, "", fixtures) } : undefined,
    bounds: Object.fromEntries(Object.entries(bounds).filter(([, edges]) => edges.length)),
  };
}

/** The URL of a draft: path values encoded, query entries in order (repeats kept). */
export function urlOf(functionsUrl: string, draft: DraftRequest): string {
  const path = draft.path.replaceAll(/\{(\w+)\}/g, (_, name) => encodeURIComponent(draft.pathValues[name] ?? ""));
  const query = new URLSearchParams(draft.query).toString();
  return `${functionsUrl}${path}${query ? `?${query}` : ""}`;
}
