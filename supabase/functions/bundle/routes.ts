import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { bundle, bundleListOutput, bundleStatusOutput } from "./schemas.ts";

const app = createFunctionApp("bundle");

const version = z.string().min(1).max(128);

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The app's bundles, newest first, 50 per page (page=0, 1, ...); deleted ones included",
  input: z.strictObject({ app_id: fields.appId, page: fields.page }),
  output: bundleListOutput,
  handler: ({ app_id, page }, c) => callAs(c.var.claims, "edge_api.bundle_get", { p_app_id: app_id, p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Register a bundle (upload and above); 409 if a live bundle has that version",
  input: z.strictObject({
    app_id: fields.appId,
    version,
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    checksum: z.string().min(1).max(1024).optional(),
    external_url: z.url().max(2048).optional(),
    min_update_version: z.string().min(1).max(128).optional(),
    // Objects such as {name, version}: postgres.js would type an array of scalars as a Postgres array.
    native_packages: z.array(z.record(z.string(), z.unknown())).max(1000).optional(),
  }),
  output: bundle,
  handler: (input, c) =>
    callAs(c.var.claims, "edge_api.bundle_create", {
      p_app_id: input.app_id,
      p_version: input.version,
      p_size: input.size,
      p_checksum: input.checksum,
      p_external_url: input.external_url,
      p_min_update_version: input.min_update_version,
      p_native_packages: input.native_packages,
    }),
});

endpoint(app, {
  method: "delete",
  path: "/",
  summary: "Delete one bundle (version) or all bundles of the app (write and above); history is kept",
  input: z.strictObject({ app_id: fields.appId, version: version.optional() }),
  output: bundleStatusOutput,
  handler: ({ app_id, version }, c) =>
    callAs(c.var.claims, "edge_api.bundle_delete", { p_app_id: app_id, p_version: version }),
});

export default app;
