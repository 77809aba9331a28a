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
