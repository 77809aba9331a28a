/**
 * Supabase's database advisors (what Studio's Security and Performance Advisors show), run by the supabase CLI
 * against the test database: nothing at level WARN or ERROR. The CLI's bundled lints do not include the
 * security-definer-executable ones; supabase/tests/030_catalog.test.sql checks those rules itself.
 */
import assert from "node:assert/strict";
import { supabaseCli } from "./database.ts";

const databaseUrl = Deno.env.get("SUPABASE_DB_URL");

type Advice = { name: string; level: string; detail: string };

Deno.test("supabase db advisors: no warning and no error on a database built from the migrations", async () => {
  if (!databaseUrl) throw new Error("SUPABASE_DB_URL is not set: run the tests through `npm test`");
  const url = new URL(databaseUrl);
  // The local server speaks no TLS, which the CLI tries first.
  url.searchParams.set("sslmode", "disable");
  const output = await new Deno.Command(supabaseCli, {
    args: ["db", "advisors", "--db-url", url.href, "--type", "all", "--level", "warn", "--output-format", "json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `supabase db advisors failed: ${stderr}`);
  const { results: advice }: { results: Advice[] } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual(advice.map(({ name, level, detail }) => `${level} ${name}: ${detail}`), []);
});
