import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type AuthEnv, requireCredential } from "./auth.ts";
import { publicClient } from "./client-identity.ts";
import { ApiError, appPlatformErrors, errorHandler, errorResponse, type ErrorShape, formatZodError } from "./errors.ts";
import { configuredRateLimit, type RateLimit } from "./rate-limit.ts";
import { checkDeclaredResponse, type SuccessDeclaration, successResponse } from "./declared-responses.ts";
import { declaredValues, nulCharacterPaths, refuseNulCharacters } from "./request-input.ts";

export type FunctionApp = OpenAPIHono<AuthEnv>;
/** What a handler gets besides its input: the request, and the caller's claims in `c.var.claims`. */
export type RequestContext = Context<AuthEnv>;
type Method = "get" | "post" | "put" | "delete";

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Who may call a route: a key (or a signed-in user), or anyone (limited per client). */
export type Access = "key" | "public";

interface AppSettings {
  name: string;
  shape: ErrorShape;
  errorBody: z.ZodType;
  access: Record<Access, MiddlewareHandler<AuthEnv>>;
}
const settingsOf = new WeakMap<FunctionApp, AppSettings>();

/**
 * The Hono app of one edge function: basePath = the function name (hosted Supabase hands the function paths
 * that start with it), errors in the documented shape, a body size limit, its OpenAPI document at
 * /<function>/openapi.json (public), and for each route, per its access, API key authentication or a public
 * client's identity, both rate limited (rate-limit.ts: the function's defaults, unless configured).
 */
export function createFunctionApp(
  name: string,
  options: { maxBodyBytes?: number; errorShape?: ErrorShape; rateLimits?: Partial<Record<Access, RateLimit>> } = {},
): FunctionApp {
  const maxSize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const shape = options.errorShape ?? appPlatformErrors;
  // strict: false, so that the documented trailing slashes (/statistics/app/:app_id/) match too.
  const app = new OpenAPIHono<AuthEnv>({ strict: false }).basePath(`/${name}`);
  app.onError(errorHandler(shape));
  app.notFound((c) => errorResponse(c, { status: 404, message: "Not found" }, shape));
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "authorization",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: `Tally ${name} API`, version: "1.0.0" },
    security: [{ apiKey: [] }],
  });
  app.use(
    "*",
    bodyLimit({
      maxSize,
      onError: (c) => errorResponse(c, { status: 413, message: `Request body exceeds ${maxSize} bytes` }, shape),
    }),
  );
  // The error body, once per document, referenced by every refusal of every route.
  const errorBody = app.openAPIRegistry.register(shape.schema.name, shape.schema.body);
  settingsOf.set(app, {
    errorBody,
    name,
    shape,
    access: {
      key: requireCredential(
        configuredRateLimit(name, "key", options.rateLimits?.key),
        configuredRateLimit(name, "auth_failures", undefined),
      ),
      public: publicClient(configuredRateLimit(name, "public", options.rateLimits?.public)),
    },
  });
  return app;
}

/** The error shape a function's app answers in. */
export function errorShapeOf(app: FunctionApp): ErrorShape {
  const settings = settingsOf.get(app);
  if (!settings) throw new Error("not an app made by createFunctionApp()");
  return settings.shape;
}

/** The JSON body (an object), and whether its text holds a NUL character: JSON can only write one as `\u0000`. */
async function jsonBody(c: Context): Promise<{ body: Record<string, unknown>; holdsNul: boolean }> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return { body: {}, holdsNul: false };
  const text = await c.req.text();
  if (text.trim() === "") return { body: {}, holdsNul: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, "Invalid JSON body");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, "Request body must be a JSON object");
  }
  return { body: parsed as Record<string, unknown>, holdsNul: text.includes("\\u0000") };
}

/**
 * Declares one endpoint from one zod schema: it is validated from the query string, a JSON body and the path alike
 * (the reference documents mix them), and registered in the OpenAPI document under the method's usual location.
 * The schema declares real types (numbers, booleans, arrays): query and path values, which arrive as text, are
 * converted to them; a JSON body must carry them. Query parameters the schema does not name are ignored (clients
 * add cache busters and flags of their own); unknown body fields stay an error.
 */
export function endpoint<Input extends z.ZodObject>(
  app: FunctionApp,
  spec: {
    method: Method;
    path: string;
    summary: string;
    /** Who may call it; "key" (the default) needs an API key or a signed-in user's token. */
    access?: Access;
    input: Input;
    /** A batch field (an array) whose items' problems are answered as `errors: [{index, error}]`. */
    perItemField?: keyof z.infer<Input> & string;
    /** Returns the JSON body, or a whole Response (an SVG, a CSV). */
    handler: (input: z.infer<Input>, c: RequestContext) => Promise<unknown>;
  } & SuccessDeclaration,
) {
  const pathParams = [...spec.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
  // The document lists path parameters apart; validation still runs the whole (possibly refined) schema.
  const shapeOf = (inPath: boolean) =>
    z.object(
      Object.fromEntries(Object.entries(spec.input.shape).filter(([key]) => pathParams.includes(key) === inPath)),
    );
  const params = pathParams.length ? shapeOf(true) : undefined;
  const rest = pathParams.length ? shapeOf(false) : spec.input;
  const inQuery = spec.method === "get" || spec.method === "delete";
  const settings = settingsOf.get(app);
  if (!settings) throw new Error("endpoint() needs an app made by createFunctionApp()");
  const { shape } = settings;
  const refusal = (description: string) => ({
    description,
    content: { "application/json": { schema: settings.errorBody } },
  });
  const access = spec.access ?? "key";
  const inputPart = inQuery ? "querystring" : "body";
  app.openAPIRegistry.registerPath({
    method: spec.method,
    path: spec.path.replaceAll(/:(\w+)/g, "{$1}"),
    summary: spec.summary,
    security: access === "public" ? [] : [{ apiKey: [] }],
    request: {
      ...(params ? { params: params as z.ZodObject } : {}),
      ...(inQuery ? { query: rest as z.ZodObject } : { body: { content: { "application/json": { schema: rest } } } }),
    },
    responses: {
      ...successResponse(spec),
      [shape.invalidStatus ?? 400]: refusal(shape.described.invalid),
      ...(access === "key"
        ? {
          401: refusal(`Missing, unknown or expired key: ${shape.described.other}`),
          403: refusal(`Not allowed: ${shape.described.other}`),
        }
        : {}),
      404: refusal(`Not found or not visible: ${shape.described.other}`),
      429: refusal(`Rate limited (see Retry-After): ${shape.described.other}`),
    },
  });
  app.on(spec.method.toUpperCase(), spec.path, settings.access[access], async (c) => {
    const shape = spec.input.shape as Record<string, z.ZodType>;
    const query = declaredValues(shape, c.req.query());
    const path = declaredValues(shape, c.req.param() as Record<string, string>);
    const { body, holdsNul } = await jsonBody(c);
    const raw = { ...query, ...body, ...path };
    // Walking a whole ingest batch costs more than the rest of its validation: only a request that holds a NUL does.
    if (holdsNul || nulCharacterPaths({ query, path }).length) refuseNulCharacters(raw, spec.perItemField);
    const parsed = spec.input.safeParse(raw);
    if (!parsed.success) {
      throw new ApiError(400, formatZodError(parsed.error), undefined, { validation: parsed.error, inputPart });
    }
    const input = parsed.data;
    const result = await spec.handler(input, c as RequestContext);
    const response = result instanceof Response ? result : c.json(result);
    await checkDeclaredResponse(`${spec.method.toUpperCase()} /${settings.name}${spec.path}`, spec, response);
    return response;
  });
}

/** Shared field schemas. Query-string text is converted to their types by `endpoint`. */
export const fields = {
  uuid: z.guid(),
  page: z.number().int().min(0).max(100_000).default(0),
  appId: z.string().min(3).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/, {
    message: "must be a reverse-domain id such as com.demo.app",
  }),
  /**
   * A package Id, `Publisher.PackageName`, as winget's manifests define it: 2 to 8 dot-separated parts of 1 to 32
   * characters, none of them a space, a control character or one of \\ / : * ? " < > |; 128 characters at most.
   */
  packageId: z.string().max(128).regex(
    /^[^.\s\\/:*?"<>|\p{Cc}]{1,32}(\.[^.\s\\/:*?"<>|\p{Cc}]{1,32}){1,7}$/u,
    { message: 'must match pattern "Publisher.PackageName"' },
  ),
  /**
   * A workspace id: never year, month, week or day, which name the periods beside the workspaces' counts in the rows
   * (and the columns) of /api/statistics/ (a workspace so named would overwrite one).
   */
  workspaceId: (text: z.ZodString) =>
    text.refine((id) => !["year", "month", "week", "day"].includes(id), {
      error: "year, month, week and day are reserved: they name periods in the statistics rows.",
    }),
  /** A boolean: `true` / `false` in a JSON body, "true" / "false" in the query string. */
  flag: z.boolean(),
  /** A list: a JSON array in a body, comma-separated in the query string. */
  list: <T extends z.ZodType>(item: T) => z.array(item).max(100),
};
