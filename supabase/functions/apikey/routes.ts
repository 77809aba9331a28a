import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { isoTimestamp } from "../_shared/declared-responses.ts";

const app = createFunctionApp("apikey");

const modes = z.enum(["read", "upload", "write", "all"]);
/** A key as listed: `key` is its display prefix, never the secret. */
const listedKey = z.object({
  id: z.number().int(),
  key: z.string(),
  mode: modes,
  name: z.string(),
  user_id: z.guid(),
  limited_to_orgs: z.array(z.guid()),
  limited_to_apps: z.array(z.string()),
  expires_at: isoTimestamp.nullable(),
  last_used_at: isoTimestamp.nullable(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
});

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The caller's API keys, 50 per page (page=0, 1, ...); display prefix only, never the secret",
  input: z.strictObject({ page: fields.page }),
  output: z.array(listedKey),
  handler: ({ page }, c) => callAs(c.var.claims, "edge_api.apikey_list", { p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Create an API key; the response carries its secret, shown this once",
  input: z.strictObject({
    org_id: fields.uuid.optional(),
    mode: modes,
    name: z.string().max(128).optional(),
    limited_to_orgs: fields.list(fields.uuid).optional(),
    limited_to_apps: fields.list(fields.appId).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  }),
  // The one answer that holds the secret, in key (the list shows its prefix there).
  output: z.object({ apikey: listedKey.extend({ key: z.string().min(20) }) }),
  handler: (input, c) =>
    callAs(c.var.claims, "edge_api.apikey_create", {
      p_mode: input.mode,
      p_org_id: input.org_id,
      p_name: input.name,
      p_limited_to_orgs: input.limited_to_orgs,
      p_limited_to_apps: input.limited_to_apps,
      p_expires_at: input.expires_at,
    }),
});

endpoint(app, {
  method: "delete",
  path: "/:id",
  summary: "Delete an API key; it stops working at once",
  input: z.strictObject({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  output: z.object({ success: z.literal(true) }),
  handler: ({ id }, c) => callAs(c.var.claims, "edge_api.apikey_delete", { p_id: id }),
});

export default app;
