import assert from "node:assert/strict";
import { fromPostgresError } from "../_shared/errors.ts";

Deno.test("database errors map to client statuses: PTnnn with its message and items, retryable conflicts to 503", () => {
  assert.deepEqual(
    fromPostgresError({ code: "PT404", message: "App not found", detail: '[{"index": 0, "error": "x"}]' }),
    { status: 404, message: "App not found", errors: [{ index: 0, error: "x" }] },
  );
  assert.deepEqual(fromPostgresError({ code: "40P01", message: "deadlock detected" }), {
    status: 503,
    message: "Busy: please retry",
  });
  assert.deepEqual(fromPostgresError({ code: "23505", message: "duplicate key value violates unique constraint" }), {
    status: 409,
    message: "Conflict with existing data",
  });
  assert.equal(fromPostgresError({ code: "XX000", message: "internal" }), undefined, "a server fault stays a 500");
});

Deno.test("every data exception (SQLSTATE class 22) is a 400 with a generic message; other classes keep theirs", () => {
  const dataExceptions = [
    "22021", // character_not_in_repertoire: a NUL character in text
    "22P05", // untranslatable_character: a NUL character in jsonb
    "22012", // division_by_zero
    "2201B", // invalid_regular_expression
    "22004", // null_value_not_allowed
    "22P02", // invalid_text_representation, mapped by name
    "22001", // string_data_right_truncation, mapped by name
  ];
  for (const code of dataExceptions) {
    assert.deepEqual(fromPostgresError({ code, message: `raw ${code} text` }), {
      status: 400,
      message: "Invalid input",
    }, code);
  }
  const others: [string, number | undefined][] = [
    ["23502", 400],
    ["23503", 409],
    ["42501", 403],
    ["40001", 503],
    ["57014", 503],
    ["42883", undefined], // undefined_function: a server fault
    ["P0001", undefined], // raise_exception without a PT code: a server fault
  ];
  for (const [code, status] of others) assert.equal(fromPostgresError({ code, message: "m" })?.status, status, code);
});
