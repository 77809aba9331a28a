/**
 * npm test: a throwaway database on a real PostgreSQL (the local server, or TEST_DATABASE_URL), bootstrap +
 * migrations + seed applied as `npm run dev` does, the pgTAP suite through pg_prove, the functions served over real
 * HTTP and the Deno tests against them; then the database is dropped and one line `N passed, N failed` closes.
 */
import postgres from "postgres";
import { prepareDatabase, repoRoot, withDatabase } from "../shared/database.ts";
import { serveFunctions } from "../shared/functions-server.ts";

const adminUrl = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
const decoder = new TextDecoder();

function fail(message: string): never {
  console.error(message);
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}

async function commandExists(name: string): Promise<boolean> {
  const which = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" }).output();
  return which.success;
}

async function checkPrerequisites(admin: postgres.Sql) {
  if (!(await commandExists("pg_prove"))) {
    fail("pg_prove not found: install the Debian package libtap-parser-sourcehandler-pgtap-perl");
  }
  const [pgtap] = await admin`select 1 from pg_available_extensions where name = 'pgtap'`;
  if (!pgtap) fail("pgTAP is not installed in this PostgreSQL server: install the Debian package postgresql-15-pgtap");
}

/** Runs a command, echoing its output, and returns what it printed. */
async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(command, { args, env, cwd: repoRoot, stdout: "piped", stderr: "piped" }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { success: status.success, output };
}

async function sqlTestFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${repoRoot}supabase/tests`)) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(`supabase/tests/${entry.name}`);
  }
  return files.sort();
}

/**
 * pgTAP counts from pg_prove's verbose TAP: every `ok`/`not ok` line; a file that died counts its planned tests
 * that never ran as failed (one, when it died before its plan).
 */
async function runPgTap(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const { success, output } = await run("pg_prove", [
    "--verbose",
    "--host",
    url.hostname,
    "--port",
    url.port || "5432",
    "--username",
    decodeURIComponent(url.username) || "postgres",
    "--dbname",
    url.pathname.slice(1),
    ...(await sqlTestFiles()),
  ], url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {});
  const passed = output.match(/^ok \d+/gm)?.length ?? 0;
  let failed = output.match(/^not ok \d+/gm)?.length ?? 0;
  for (const [, planned, ran] of output.matchAll(/You planned (\d+) tests but ran (\d+)/g)) {
    failed += Math.max(Number(planned) - Number(ran), 1);
  }
  failed += output.match(/No plan found in TAP output/g)?.length ?? 0;
  if (!success && failed === 0) failed = 1;
  return { passed, failed };
}

async function runDenoTests(env: Record<string, string>) {
  const { success, output } = await run(Deno.execPath(), ["test", "-A", "supabase/functions/tests/"], env);
  const summary = /(\d+) passed[^\n]*?\| (\d+) failed/.exec(output);
  const passed = summary ? Number(summary[1]) : 0;
  let failed = summary ? Number(summary[2]) : 0;
  if (!success && failed === 0) failed = 1;
  return { passed, failed };
}

const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
await checkPrerequisites(admin);
const databaseName = `tally_test_${Date.now()}_${Deno.pid}`;
await admin.unsafe(`create database ${databaseName}`);
const databaseUrl = withDatabase(adminUrl, databaseName);

let totals = { passed: 0, failed: 0 };
try {
  await prepareDatabase(databaseUrl, { seed: true });
  const pgtap = await runPgTap(databaseUrl);

  Deno.env.set("SUPABASE_DB_URL", databaseUrl);
  const server = await serveFunctions({ port: 0 });
  const deno = await runDenoTests({
    SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`,
    SUPABASE_DB_URL: databaseUrl,
  });
  await server.shutdown();
  totals = { passed: pgtap.passed + deno.passed, failed: pgtap.failed + deno.failed };
  console.log(
    `\npgTAP: ${pgtap.passed} passed, ${pgtap.failed} failed; Deno: ${deno.passed} passed, ${deno.failed} failed`,
  );
} catch (error) {
  console.error(error);
  totals.failed += 1;
} finally {
  const { closeDatabase } = await import("../supabase/functions/_shared/db.ts");
  await closeDatabase();
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
  await admin.end();
}
console.log(`${totals.passed} passed, ${totals.failed} failed`);
Deno.exit(totals.failed === 0 ? 0 : 1);
