/**
 * Serves every edge function the way Supabase's local stack lays them out:
 * http://127.0.0.1:54321/functions/v1/<function>/... Each function's Hono app already has basePath = its name,
 * so mounting it under /functions/v1 is all `supabase functions serve` would add.
 */
import { type Context, Hono } from "hono";
import { errorHandler, errorResponse } from "../supabase/functions/_shared/errors.ts";
import type { FunctionApp } from "../supabase/functions/_shared/function-app.ts";
import { repoRoot } from "./database.ts";
import { mountReferencePage } from "./reference-page.ts";

export const DEFAULT_FUNCTIONS_PORT = 54321;
const functionsDir = `${repoRoot}supabase/functions`;

/** Names of the deployable functions: folders of supabase/functions with an index.ts, not _shared or tests. */
export async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name === "tests") continue;
    try {
      await Deno.stat(`${functionsDir}/${entry.name}/index.ts`);
      names.push(entry.name);
    } catch {
      // a folder without index.ts is not a function
    }
  }
  return names.sort();
}

/** A function's Hono app (its routes.ts), as the runtime would serve it. */
export async function functionApp(name: string): Promise<FunctionApp> {
  const { default: app } = await import(`${functionsDir}/${name}/routes.ts`);
  return app;
}

/**
 * Each function gets the requests under /functions/v1/<name> with that prefix cut to /<name>, as hosted Supabase
 * hands them over, so that its own not-found answer and error shape apply; the rest is a 404.
 */
export async function functionsApp(): Promise<Hono> {
  const root = new Hono({ strict: false });
  root.onError(errorHandler());
  root.notFound((c) => errorResponse(c, { status: 404, message: "Not found" }));
  // Local only: the API reference page (hosted, it is a static site: see shared/reference-page.ts).
  mountReferencePage(root);
  for (const name of await functionNames()) {
    const app = await functionApp(name);
    const forward = (c: Context) => {
      const url = new URL(c.req.url);
      url.pathname = url.pathname.slice("/functions/v1".length);
      return app.fetch(new Request(url, c.req.raw), c.env);
    };
    root.all(`/functions/v1/${name}`, forward);
    root.all(`/functions/v1/${name}/*`, forward);
  }
  return root;
}

export async function serveFunctions(options: { port?: number; hostname?: string } = {}) {
  const app = await functionsApp();
  return Deno.serve({
    port: options.port ?? DEFAULT_FUNCTIONS_PORT,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: () => {},
  }, app.fetch);
}

// `deno run -A shared/functions-server.ts`: serves every function on PORT (default: any free port) and prints its
// address, for tests that read what a server writes.
if (import.meta.main) {
  const server = await serveFunctions({ port: Number(Deno.env.get("PORT") ?? 0) });
  console.log(`listening on http://127.0.0.1:${server.addr.port}`);
}
