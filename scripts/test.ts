/**
 * npm test: a throwaway database on a real PostgreSQL (the local server, or TEST_DATABASE_URL), bootstrap +
 * migrations + seed applied as `npm run dev` does, pgTAP loaded from npm and the pgTAP files run over postgres.js,
 * the functions served over real HTTP and the Deno tests run against them; then the database is dropped and one
 * line `N passed, N failed` closes.
 *
 * `--fuzz` (npm run fuzz): only the fuzz suite, FUZZ_RUNS requests (default 20,000) from FUZZ_SEED (default: a
 * random seed, printed first; fast-check prints it again with a failing request).
 */
import postgres from "postgres";
import { prepareDatabase, readOnlyUrl, repoRoot, testServerUrl, withThrowawayDatabases } from "../shared/database.ts";
import { serveFunctions } from "../shared/functions-server.ts";
import { describeFailures, installPgTap, runTestFile } from "../shared/pgtap.ts";

const decoder = new TextDecoder();
const fuzzOnly = Deno.args.includes("--fuzz");
if (fuzzOnly) {
  Deno.env.set("FUZZ_SEED", Deno.env.get("FUZZ_SEED") ?? String(Math.floor(Math.random() * 2 ** 31)));
  Deno.env.set("FUZZ_RUNS", Deno.env.get("FUZZ_RUNS") ?? "20000");
  console.log(`fuzz: FUZZ_SEED=${Deno.env.get("FUZZ_SEED")} FUZZ_RUNS=${Deno.env.get("FUZZ_RUNS")}`);
}

interface Tally {
  passed: number;
  failed: number;
}

function finish(totals: Tally): never {
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  Deno.exit(totals.failed === 0 ? 0 : 1);
}

/** Ends with one line saying what to do when no server answers. */
async function requireServer() {
  const admin = postgres(testServerUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
    await admin.end();
  } catch (error) {
    const shown = new URL(testServerUrl);
    shown.password = shown.password ? "***" : "";
    console.error(
      `No PostgreSQL reachable at ${shown} (${(error as Error).message}): start it, or set TEST_DATABASE_URL to a ` +
        "server where npm test may create and drop databases.",
    );
    await admin.end({ timeout: 0 });
    finish({ passed: 0, failed: 1 });
  }
}

async function sqlTestFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${repoRoot}supabase/tests`)) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(`supabase/tests/${entry.name}`);
  }
  return files.sort();
}

/** The pgTAP files in name order (the helpers file first), each in its own session. */
async function runPgTap(databaseUrl: string): Promise<Tally> {
  await installPgTap(databaseUrl);
  const totals = { passed: 0, failed: 0 };
  for (const file of await sqlTestFiles()) {
    const result = await runTestFile(databaseUrl, `${repoRoot}${file}`, file);
    totals.passed += result.passed;
    totals.failed += result.failed;
    if (result.failed === 0) console.log(`${file} .. ok (${result.passed} tests)`);
    else {console.log(
        `${file} .. FAILED (${result.failed} of ${result.passed + result.failed})\n${describeFailures(result)}`,
      );}
  }
  return totals;
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

async function runDenoTests(env: Record<string, string>): Promise<Tally> {
  const files = fuzzOnly ? ["supabase/functions/tests/fuzz.test.ts"] : ["supabase/functions/tests/", "shared/"];
  const { success, output } = await run(Deno.execPath(), ["test", "-A", ...files], env);
  const summary = /(\d+) passed[^\n]*?\| (\d+) failed/.exec(output);
  const passed = summary ? Number(summary[1]) : 0;
  let failed = summary ? Number(summary[2]) : 0;
  if (!success && failed === 0) failed = 1;
  return { passed, failed };
}

await requireServer();
const totals = { passed: 0, failed: 0 };
await withThrowawayDatabases(testServerUrl, ["test"], async ([databaseUrl]) => {
  try {
    await prepareDatabase(databaseUrl, { seed: true });
    const pgtap = fuzzOnly ? { passed: 0, failed: 0 } : await runPgTap(databaseUrl);

    // Statistics are read as through a read replica: a role whose transactions are read-only.
    const readUrl = await readOnlyUrl(databaseUrl);
    Deno.env.set("SUPABASE_DB_URL", databaseUrl);
    Deno.env.set("SUPABASE_READ_DB_URL", readUrl);
    // Failed authentications per client address: high enough for the tests that send wrong keys from 127.0.0.1,
    // reached by auth-failures.test.ts from addresses of its own.
    Deno.env.set("TALLY_RATE_LIMIT_AUTH_FAILURES", "40/60s");
    // Every JSON success body is checked against its route's declared schema (a mismatch is a 500 the tests see).
    Deno.env.set("TALLY_CHECK_RESPONSES", "1");
    const server = await serveFunctions({ port: 0 });
    const deno = await runDenoTests({
      SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`,
      SUPABASE_DB_URL: databaseUrl,
      SUPABASE_READ_DB_URL: readUrl,
    });
    await server.shutdown();
    totals.passed = pgtap.passed + deno.passed;
    totals.failed = pgtap.failed + deno.failed;
    console.log(
      `\npgTAP: ${pgtap.passed} passed, ${pgtap.failed} failed; Deno: ${deno.passed} passed, ${deno.failed} failed`,
    );
  } catch (error) {
    console.error(error);
    totals.failed += 1;
  } finally {
    const { closeDatabase } = await import("../supabase/functions/_shared/db.ts");
    await closeDatabase();
  }
});
finish(totals);
