/**
 * npm run docs: writes docs/openapi.json, the one OpenAPI 3.1 document of every function (shared/openapi-document.ts);
 * a test fails when the file differs from what this would write.
 *
 * `npm run docs -- --site <dir> [--server <base URL>]` also writes the API reference page as a static site (index.html,
 * openapi.json, scalar.js) for any static host, its document's first server the given base URL (hosted:
 * https://<project>.supabase.co/functions/v1): hosted Supabase functions do not serve HTML.
 */
import { parseArgs } from "node:util";
import { repoRoot } from "../shared/database.ts";
import { mergedDocument } from "../shared/openapi-document.ts";
import { referencePage, scalarBundle } from "../shared/reference-page.ts";

const { values } = parseArgs({ args: Deno.args, options: { site: { type: "string" }, server: { type: "string" } } });
const asJson = (document: unknown) => JSON.stringify(document, null, 2) + "\n";

const path = `${repoRoot}docs/openapi.json`;
await Deno.writeTextFile(path, asJson(await mergedDocument()));
console.log(`wrote ${path}`);

if (values.site) {
  await Deno.mkdir(values.site, { recursive: true });
  await Deno.writeTextFile(`${values.site}/index.html`, referencePage);
  await Deno.copyFile(scalarBundle, `${values.site}/scalar.js`);
  await Deno.writeTextFile(`${values.site}/openapi.json`, asJson(await mergedDocument(values.server)));
  console.log(`wrote the API reference page to ${values.site}`);
}
Deno.exit(0);
