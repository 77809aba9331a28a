/**
 * The API reference page: Scalar's renderer (@scalar/api-reference, its browser bundle served from node_modules,
 * no CDN) over the merged OpenAPI document. `npm run dev` serves it at /docs/; `npm run docs -- --site <dir>` writes it
 * as a static site for any static host (hosted Supabase functions do not serve HTML).
 */
import type { Hono } from "hono";
import { repoRoot } from "./database.ts";
import { mergedDocument } from "./openapi-document.ts";

export const scalarBundle = `${repoRoot}node_modules/@scalar/api-reference/dist/browser/standalone.js`;

/** The page; its document and bundle are beside it (relative URLs), wherever it is served. */
export const referencePage = `<!doctype html>
<html lang="en">
  <head>
    <title>Tally API reference</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <div id="app"></div>
    <script src="scalar.js"></script>
    <script>
      Scalar.createApiReference("#app", {
        url: "openapi.json",
        // Everything from this server: no web fonts, no telemetry, no proxy.
        withDefaultFonts: false,
        telemetry: false,
        showDeveloperTools: "never",
      });
    </script>
  </body>
</html>
`;

/** GET /docs/ (the page), /docs/openapi.json (servers: this origin first) and /docs/scalar.js. */
export function mountReferencePage(root: Hono) {
  // The page's URLs are relative to /docs/ (the root app is not strict: /docs reaches here too).
  root.get("/docs", (c) => new URL(c.req.url).pathname.endsWith("/") ? c.html(referencePage) : c.redirect("/docs/"));
  root.get(
    "/docs/openapi.json",
    async (c) => c.json(await mergedDocument(`${new URL(c.req.url).origin}/functions/v1`)),
  );
  root.get("/docs/scalar.js", async (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=3600");
    return c.body(await Deno.readFile(scalarBundle));
  });
}
