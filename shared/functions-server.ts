/**
 * Serves every edge function the way Supabase's local stack lays them out:
 * http://127.0.0.1:54321/functions/v1/<function>/... Each function's Hono app already has basePath = its name,
 * so mounting it under /functions/v1 is all `supabase functions serve` would add.
 */
import { Hono } from "hono";
import { errorHandler, errorResponse } from "../supabase/functions/_shared/errors.ts";
import { repoRoot } from "./database.ts";

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

export async function functionsApp(): Promise<Hono> {
  const root = new Hono({ strict: false });
  root.onError(errorHandler());
  root.notFound((c) => errorResponse(c, { status: 404, message: "Not found" }));
  for (const name of await functionNames()) {
    const { default: app } = await import(`${functionsDir}/${name}/routes.ts`);
    root.route("/functions/v1", app);
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
