import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields, type RequestContext } from "../_shared/function-app.ts";
import { acknowledgement, isoTimestamp } from "../_shared/declared-responses.ts";

const app = createFunctionApp("app");

const appRecord = z.object({
  app_id: z.string(),
  owner_org: z.guid(),
  name: z.string(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
});

// The original platform's clients address one app as /app/:app_id, others pass ?app_id=: both paths share a handler.
const getApps = ({ app_id, page }: { app_id?: string; page?: number }, c: RequestContext) =>
  callAs(c.var.claims, "edge_api.app_get", { p_app_id: app_id, p_page: page ?? 0 });
const deleteApp = ({ app_id }: { app_id: string }, c: RequestContext) =>
  callAs(c.var.claims, "edge_api.app_delete", { p_app_id: app_id });

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The caller's apps, 50 per page (page=0, 1, ...), or one with app_id",
  input: z.strictObject({ app_id: fields.appId.optional(), page: fields.page }),
  output: z.union([z.array(appRecord), appRecord]),
  handler: getApps,
});

endpoint(app, {
  method: "get",
  path: "/:app_id",
  summary: "One app: the same as GET /app?app_id=",
  input: z.strictObject({ app_id: fields.appId }),
  output: appRecord,
  handler: getApps,
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Create an app in an organization (write and above); app ids are globally unique",
  input: z.strictObject({ owner_org: fields.uuid, app_id: fields.appId, name: z.string().trim().min(1).max(128) }),
  output: appRecord,
  handler: ({ owner_org, app_id, name }, c) =>
    callAs(c.var.claims, "edge_api.app_create", { p_org_id: owner_org, p_app_id: app_id, p_name: name }),
});

endpoint(app, {
  method: "delete",
  path: "/",
  summary: "Delete an app and all its data (admin and above)",
  input: z.strictObject({ app_id: fields.appId }),
  output: acknowledgement("ok"),
  handler: deleteApp,
});

endpoint(app, {
  method: "delete",
  path: "/:app_id",
  summary: "Delete an app and all its data (admin and above): the same as DELETE /app?app_id=",
  input: z.strictObject({ app_id: fields.appId }),
  output: acknowledgement("ok"),
  handler: deleteApp,
});

export default app;
