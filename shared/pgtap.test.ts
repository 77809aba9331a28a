/**
 * The pgTAP runner: psql's script rules, TAP reading, and real files that pass, fail, die or miss their plan, run
 * against the test database (which has pgTAP loaded).
 */
import assert from "node:assert/strict";
import { describeFailures, readTap, runTestFile } from "./pgtap.ts";
import { parseScript, statementText } from "./psql-script.ts";

const databaseUrl = Deno.env.get("SUPABASE_DB_URL");

function texts(script: string, variables: Record<string, string> = {}) {
  return parseScript(script).map((statement) => statementText(statement, new Map(Object.entries(variables))).trim());
}

Deno.test("psql script: statements split at ; outside strings, identifiers, dollar quotes and comments", () => {
  const script = `select 'a;b', "x;y" from t; -- c;d
/* e; /* nested; */ f; */ select 1;
create function f() returns int language sql as $body$ select 1; $body$;
select $$;$$, E'it\\'s;';`;
  assert.deepEqual(texts(script), [
    `select 'a;b', "x;y" from t;`,
    `-- c;d\n/* e; /* nested; */ f; */ select 1;`,
    `create function f() returns int language sql as $body$ select 1; $body$;`,
    `select $$;$$, E'it\\'s;';`,
  ]);
});

Deno.test("psql script: variables interpolated as psql does, casts and quoted text left alone", () => {
  const script = `select :'org', :"col", :n, :missing, 1::int, ':org', $$ :org $$, x[1:2];`;
  assert.deepEqual(texts(script, { org: "o'k\\", col: 'c"1', n: "42" }), [
    `select E'o''k\\\\', "c""1", 42, :missing, 1::int, ':org', $$ :org $$, x[1:2];`,
  ]);
});

Deno.test("psql script: \\gset ends a statement; other meta-commands are refused; lines are reported", () => {
  const statements = parseScript("-- intro\n\nselect 1 as a \\gset p_\nselect\n  :'p_a';\n");
  assert.deepEqual(statements.map(({ line, gset }) => ({ line, gset })), [
    { line: 3, gset: { prefix: "p_" } },
    { line: 4, gset: undefined },
  ]);
  let refused = "";
  try {
    parseScript("select 1;\n\\set x 1\n");
  } catch (error) {
    refused = (error as Error).message;
  }
  assert.match(refused, /line 2: unsupported psql meta-command \\set/);
});

Deno.test("TAP: plan, passes, failures with their diagnostics, and SKIP/TODO counted as failed", () => {
  const result = readTap([
    "1..4",
    "ok 1 - first",
    "not ok 2 - second",
    '# Failed test 2: "second"',
    "#         have: 1",
    "#         want: 2",
    "ok 3 # SKIP not here",
    "ok 4 - escaped \\# hash",
  ]);
  assert.deepEqual(result.planned, 4);
  assert.deepEqual(result.ran, 4);
  assert.deepEqual(result.passed, 2);
  assert.deepEqual(result.failures, [
    {
      number: 2,
      description: "second",
      diagnostics: ['# Failed test 2: "second"', "#         have: 1", "#         want: 2"],
    },
    { number: 3, description: "# SKIP not here", diagnostics: ["a SKIP test counts as failed"] },
  ]);
});

async function runScript(script: string) {
  if (!databaseUrl) throw new Error("SUPABASE_DB_URL is not set: run the tests through `npm test`");
  const path = await Deno.makeTempFile({ suffix: ".sql" });
  try {
    await Deno.writeTextFile(path, script);
    return await runTestFile(databaseUrl, path, "sample.test.sql");
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("pgTAP files: a failing assertion is reported with its file, number, description and diagnostics", async () => {
  const result = await runScript(`begin; select plan(2);
select 7 as wanted \\gset
select is(3 + 4, :wanted, 'addition');
select is(2 + 2, 5, 'arithmetic is broken');
select * from finish(); rollback;`);
  assert.deepEqual({ passed: result.passed, failed: result.failed }, { passed: 1, failed: 1 });
  const report = describeFailures(result);
  assert.match(report, /sample\.test\.sql: not ok 2 - arithmetic is broken/);
  assert.match(report, /have: 4\n\s+#\s+want: 5/);
});

Deno.test("pgTAP files: a file that dies counts its unrun tests as failed; a missing or wrong plan fails", async () => {
  const died = await runScript(`begin; select plan(4);
select ok(true, 'one');
select no_such_function();
select ok(true, 'three'); select ok(true, 'four');
select * from finish(); rollback;`);
  assert.deepEqual({ passed: died.passed, failed: died.failed }, { passed: 1, failed: 3 });
  assert.match(died.problems[0], /died at line 3: .*no_such_function/);

  const diedBeforePlan = await runScript("begin; select 1/0; select plan(2); rollback;");
  assert.deepEqual({ passed: diedBeforePlan.passed, failed: diedBeforePlan.failed }, { passed: 0, failed: 1 });

  const overPlan = await runScript("begin; select plan(1); select ok(true); select ok(true); rollback;");
  assert.deepEqual({ passed: overPlan.passed, failed: overPlan.failed }, { passed: 2, failed: 1 });
  assert.deepEqual(overPlan.problems, ["planned 1 tests but ran 2"]);
});
