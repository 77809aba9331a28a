/**
 * pgTAP without apt, Perl or pg_prove: pgTAP's plain-SQL install script, shipped in the npm package
 * @electric-sql/pglite-pgtap, loaded into a database; and the test files run over postgres.js as psql would run them
 * (see psql-script.ts), their TAP read and checked against their plan.
 */
import { pgtap } from "@electric-sql/pglite-pgtap";
import { parseTarGzip } from "nanotar";
import postgres from "postgres";
import { parseScript, statementText } from "./psql-script.ts";

/** pgTAP's install script (pgTAP 1.3.x), from the package's bundled extension files. */
export async function pgTapInstallScript(): Promise<string> {
  // setup() only reports where the package keeps its files; it touches no database.
  const { bundlePath } = await pgtap.setup(undefined as never, undefined as never);
  const [script] = await parseTarGzip(await Deno.readFile(bundlePath!), {
    filter: (file) => file.name === "share/postgresql/extension/pgtap.sql",
  });
  if (!script?.data) throw new Error(`pgtap.sql not found in ${bundlePath}`);
  return new TextDecoder().decode(script.data);
}

/** Installs pgTAP's functions into the `extensions` schema, where the tests find them as they would the extension. */
export async function installPgTap(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx`set local search_path = extensions`;
      await tx.unsafe(await pgTapInstallScript());
    });
  } finally {
    await sql.end();
  }
}

export interface TapFailure {
  number: number;
  description: string;
  diagnostics: string[];
}

export interface TapResult {
  planned: number | null;
  ran: number;
  passed: number;
  failures: TapFailure[];
}

const testLine = /^(not )?ok (\d+)\s*(?:- )?(.*)$/;

/**
 * Reads pgTAP's output. pgTAP writes a small, fixed subset of TAP (a plan `1..n`, `ok`/`not ok` lines, `#` comments
 * after a failure), so a few lines do what a general TAP parser would, and attach the comments to their failure.
 * A `# SKIP` or `# TODO` test counts as failed: a test here must run and pass.
 */
export function readTap(lines: string[]): TapResult {
  const result: TapResult = { planned: null, ran: 0, passed: 0, failures: [] };
  let lastFailure: TapFailure | undefined;
  for (const line of lines) {
    const plan = /^1\.\.(\d+)/.exec(line);
    const test = testLine.exec(line);
    if (plan) {
      result.planned = Number(plan[1]);
    } else if (test) {
      result.ran++;
      const [, notOk, number, description] = test;
      const directive = /(?:^|[^\\])# (SKIP|TODO)\b/i.exec(description);
      if (!notOk && !directive) {
        result.passed++;
        lastFailure = undefined;
      } else {
        lastFailure = { number: Number(number), description, diagnostics: [] };
        if (directive) lastFailure.diagnostics.push(`a ${directive[1]} test counts as failed`);
        result.failures.push(lastFailure);
      }
    } else if (line.startsWith("#") && lastFailure) {
      lastFailure.diagnostics.push(line);
    }
  }
  return result;
}

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  failures: TapFailure[];
  /** What went wrong besides failed assertions: the file died, or ran other than its plan. */
  problems: string[];
}

// Values as psql prints them (t/f, dates as written, ...), not as JavaScript values: they feed \gset and the TAP.
const asText = (value: string) => value;
const textOnly = {
  text: { to: 25, from: [16, 17, 21, 23, 26, 114, 700, 701, 1082, 1114, 1184, 3802], parse: asText, serialize: asText },
};

/**
 * Runs one test file in one session, as `psql -X -tA -v ON_ERROR_STOP=1` would: every row it prints is TAP; the
 * first error ends the file. A file that dies counts its tests that never ran as failed (one if it had no plan yet).
 */
export async function runTestFile(url: string, path: string, file: string): Promise<FileResult> {
  // One connection: every statement runs in the same session, in order, as under psql.
  const session = postgres(url, { max: 1, fetch_types: false, types: textOnly, onnotice: () => {} });
  const variables = new Map<string, string>();
  const output: string[] = [];
  const problems: string[] = [];
  try {
    for (const statement of parseScript(await Deno.readTextFile(path))) {
      let rows;
      try {
        rows = await session.unsafe(statementText(statement, variables)).simple();
      } catch (error) {
        problems.push(`died at line ${statement.line}: ${(error as Error).message}`);
        break;
      }
      if (statement.gset) {
        if (rows.length !== 1) {
          problems.push(`died at line ${statement.line}: \\gset needs exactly one row, got ${rows.length}`);
          break;
        }
        for (const [name, value] of Object.entries(rows[0])) {
          if (value === null) variables.delete(statement.gset.prefix + name);
          else variables.set(statement.gset.prefix + name, String(value));
        }
        continue;
      }
      for (const row of rows) output.push(...Object.values(row).map((v) => v ?? "").join("|").split("\n"));
    }
  } catch (error) {
    problems.push((error as Error).message);
  } finally {
    await session.end();
  }

  const tap = readTap(output);
  let failed = tap.failures.length;
  if (tap.planned === null) {
    problems.push("no plan");
    failed++;
  } else if (tap.ran !== tap.planned) {
    problems.push(`planned ${tap.planned} tests but ran ${tap.ran}`);
    failed += Math.max(tap.planned - tap.ran, 1);
  } else if (problems.length) {
    failed++;
  }
  return { file, passed: tap.passed, failed, failures: tap.failures, problems };
}

/** A failed file's report: file, test number, description and pgTAP's diagnostics, then what else went wrong. */
export function describeFailures(result: FileResult): string {
  const lines = result.failures.flatMap((failure) => [
    `${result.file}: not ok ${failure.number} - ${failure.description}`,
    ...failure.diagnostics.map((line) => `    ${line}`),
  ]);
  return [...lines, ...result.problems.map((problem) => `${result.file}: ${problem}`)].join("\n");
}
