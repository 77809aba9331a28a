import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";

const app = createFunctionApp("apikey");

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The caller's API keys, 50 per page (page=0, 1, ...); display prefix only, never the secret",
  input: z.strictObject({ page: fields.page }),
  handler: ({ page }, c) => callAs(c.var.claims, "edge_api.apikey_list", { p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Create an API key; the response carries its secret, shown this once",
  input: z.strictObject({
    org_id: fields.uuid.optional(),
    mode: z.enum(["read", "upload", "write", "all"]),
    name: z.string().max(128).optional(),
    limited_to_orgs: fields.list(fields.uuid).optional(),
    limited_to_apps: fields.list(fields.appId).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  }),
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
  handler: ({ id }, c) => callAs(c.var.claims, "edge_api.apikey_delete", { p_id: id }),
});

export default app;
