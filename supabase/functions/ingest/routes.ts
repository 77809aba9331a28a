import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { createFunctionApp, endpoint } from "../_shared/function-app.ts";
import { ingestBody, MAX_BATCH_BYTES, validateEvents } from "./events.ts";

const app = createFunctionApp("ingest", { maxBodyBytes: MAX_BATCH_BYTES });

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Ingest a batch of 1 to 1000 usage events (at most 1 MB); all or nothing, retried ids count once",
  input: ingestBody,
  perItemField: "events",
  output: z.object({
    status: z.literal("ok"),
    accepted: z.number().int().min(0).describe("Events stored"),
    duplicates: z.number().int().min(0).describe(
      "Events whose id was already accepted (earlier, or earlier in the batch)",
    ),
  }),
  handler: ({ org_id, events }, c) => {
    const validated = validateEvents(events);
    if ("problems" in validated) throw new ApiError(400, "Invalid events", validated.problems);
    return callAs(c.var.claims, "edge_api.ingest_events", { p_events: validated.events, p_org_id: org_id });
  },
});

export default app;
