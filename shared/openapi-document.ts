/**
 * One OpenAPI 3.1 document for every function: each function's own document (built by @hono/zod-openapi from the
 * routes' zod schemas), merged, with each surface's security scheme, tag and error body. `npm run docs` writes it to
 * docs/openapi.json; `npm run dev` serves it, with the API reference page, at /docs.
 */
import { functionApp, functionNames } from "./functions-server.ts";

type Json = Record<string, unknown>;
type Operation = Json & { security?: Json[]; responses: Record<string, Json> };

interface Surface {
  tag: string;
  description: string;
  scheme: string;
  securityScheme: Json;
}

const appPlatform: Surface = {
  tag: "App platform",
  description: "Organizations, members, API keys, apps, channels, devices, bundles, ingest and statistics.",
  scheme: "appPlatformKey",
  securityScheme: {
    type: "apiKey",
    in: "header",
    name: "authorization",
    description: "An API key, raw or as `Bearer <key>` (also accepted in `capgkey` or `x-api-key`), or a signed-in " +
      "user's JWT as `Bearer <jwt>`.",
  },
};

const surfaces: Record<string, Surface> = {
  api: {
    tag: "Environment activity",
    description: "GET /api/statistics/: users, developers and workspaces of an environment, as Django REST framework.",
    scheme: "environmentToken",
    securityScheme: { type: "http", scheme: "bearer", description: "An API key as a bearer token." },
  },
  v2: {
    tag: "Package statistics",
    description: "Package records, the counted package route and GET /v2/stats, with Fastify's error shape.",
    scheme: "packagesKey",
    securityScheme: {
      type: "apiKey",
      in: "header",
      name: "authorization",
      description: "An API key of mode write, for package management only: the other routes are public.",
    },
  },
  v1: {
    tag: "Organization traffic",
    description: "GET /v1/orgs/me/statistics/all_traffic and the traffic alerts, as Storyblok's Management API.",
    scheme: "storyblokToken",
    securityScheme: {
      type: "apiKey",
      in: "header",
      name: "authorization",
      description: "An API key sent verbatim (as a personal access token) or as `Bearer <key>` (as an OAuth token).",
    },
  },
};

const surfaceOf = (fn: string) => surfaces[fn] ?? appPlatform;

const operationId = (fn: string, method: string, path: string) =>
  [fn, method, ...path.split("/").filter((part) => part && part !== fn)]
    .map((part) => part.replaceAll(/[{}]/g, "").replaceAll(/[^A-Za-z0-9]+/g, "_"))
    .join("_");

/** The merged document; `servers` first lists the given base URL (the page's own origin under `npm run dev`). */
export async function mergedDocument(baseUrl = "http://127.0.0.1:54321/functions/v1"): Promise<Json> {
  const paths: Record<string, Record<string, Operation>> = {};
  const schemas: Json = {};
  const securitySchemes: Json = {};
  for (const fn of await functionNames()) {
    const app = await functionApp(fn);
    const document = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: fn, version: "1.0.0" } });
    const surface = surfaceOf(fn);
    securitySchemes[surface.scheme] = surface.securityScheme;
    Object.assign(schemas, document.components?.schemas ?? {});
    for (const [path, methods] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(methods as Record<string, Operation>)) {
        (paths[path] ??= {})[method] = {
          operationId: operationId(fn, method, path),
          tags: [surface.tag],
          ...operation,
          security: operation.security?.length ? [{ [surface.scheme]: [] }] : [],
        };
      }
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Tally API",
      version: "1.0.0",
      description: "Usage statistics of organizations, read back through four API surfaces, each the copy of a " +
        "public original: its URLs, parameters, response shapes and error shapes.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [
      { url: baseUrl, description: "This server" },
      {
        url: "https://{project}.supabase.co/functions/v1",
        description: "A hosted Supabase project",
        variables: { project: { default: "your-project-ref", description: "The project's reference" } },
      },
    ],
    tags: [appPlatform, ...Object.values(surfaces)].map(({ tag, description }) => ({ name: tag, description })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: { securitySchemes, schemas },
  };
}
