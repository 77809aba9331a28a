/**
 * docs/openapi.json is the merged document of the current routes (`npm run docs` rewrites it), and it is valid, with
 * no warning, under a real linter: Redocly's recommended rules (`redocly lint`).
 */
import assert from "node:assert/strict";
import { repoRoot } from "./database.ts";
import { mergedDocument } from "./openapi-document.ts";

const documentPath = `${repoRoot}docs/openapi.json`;

Deno.test("docs/openapi.json is the merged OpenAPI document of the current routes (npm run docs writes it)", async () => {
  const written = JSON.parse(await Deno.readTextFile(documentPath));
  assert.deepEqual(written, JSON.parse(JSON.stringify(await mergedDocument())), "run npm run docs");
});

Deno.test("docs/openapi.json passes redocly lint (recommended rules) with no error and no warning", async () => {
  const lint = await new Deno.Command(`${repoRoot}node_modules/.bin/redocly`, {
    args: ["lint", documentPath, "--format", "json"],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const report = JSON.parse(new TextDecoder().decode(lint.stdout));
  const problems = (report.problems as { severity: string; message: string; location: { pointer: string }[] }[])
    .map((problem) => `${problem.severity} ${problem.message} at ${problem.location[0]?.pointer}`);
  assert.deepEqual(problems, []);
  assert.ok(lint.success, new TextDecoder().decode(lint.stderr));
});
