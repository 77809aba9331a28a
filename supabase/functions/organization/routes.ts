import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { acknowledgement, isoTimestamp } from "../_shared/declared-responses.ts";

const app = createFunctionApp("organization");

const roles = z.enum([
  "invite_read",
  "invite_upload",
  "invite_write",
  "invite_admin",
  "invite_super_admin",
  "read",
  "upload",
  "write",
  "admin",
  "super_admin",
]);
const email = z.email().max(320);

const organization = z.object({
  id: z.guid(),
  created_by: z.guid(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  logo: z.string().nullable(),
  name: z.string(),
  management_email: z.string(),
  customer_id: z.string().nullable(),
  monthly_traffic_limit: z.number().int().nullable(),
});
const member = z.object({
  uid: z.guid(),
  email: z.string(),
  image_url: z.string(),
  role: roles,
  app_id: z.string().nullable(),
});

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The organizations the caller can access, 50 per page (page=0, 1, ...), or one with orgId",
  input: z.strictObject({ orgId: fields.uuid.optional(), page: fields.page }),
  output: z.union([z.array(organization), organization]),
  handler: ({ orgId, page }, c) => callAs(c.var.claims, "edge_api.org_get", { p_org_id: orgId, p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Update an organization (admin and above); monthly_traffic_limit in bytes, null for none",
  input: z.strictObject({
    orgId: fields.uuid,
    name: z.string().min(1).max(128).optional(),
    logo: z.url().max(2048).optional(),
    management_email: email.optional(),
    // At most (2^53 - 1) / 12: the yearly limit, 12 times it, still reads exactly in JSON.
    monthly_traffic_limit: z.number().int().min(1).max(Math.floor(Number.MAX_SAFE_INTEGER / 12)).nullable().optional(),
  }),
  output: z.object({ status: z.literal("Organization updated"), data: organization }),
  handler: ({ orgId, name, logo, management_email, monthly_traffic_limit }, c) =>
    callAs(c.var.claims, "edge_api.org_update", {
      p_org_id: orgId,
      p_name: name,
      p_logo: logo,
      p_management_email: management_email,
      // Only the limits given change; null removes one.
      p_limits: monthly_traffic_limit === undefined ? undefined : { monthly_traffic_limit },
    }),
});

endpoint(app, {
  method: "put",
  path: "/",
  summary: "Create an organization; the caller becomes its super_admin",
  input: z.strictObject({ name: z.string().trim().min(1).max(128) }),
  output: z.object({ status: z.literal("Organization created"), id: z.guid() }),
  handler: ({ name }, c) => callAs(c.var.claims, "edge_api.org_create", { p_name: name }),
});

endpoint(app, {
  method: "get",
  path: "/members",
  summary: "Members and pending invitations of an organization",
  input: z.strictObject({ orgId: fields.uuid }),
  output: z.array(member),
  handler: ({ orgId }, c) => callAs(c.var.claims, "edge_api.org_members", { p_org_id: orgId }),
});

endpoint(app, {
  method: "post",
  path: "/members",
  summary: "Invite an existing user by email (admin and above); stored as invite_<role> until accepted",
  input: z.strictObject({ orgId: fields.uuid, email, role: roles, app_id: fields.appId.optional() }),
  output: acknowledgement("OK"),
  handler: ({ orgId, email, role, app_id }, c) =>
    callAs(c.var.claims, "edge_api.org_member_invite", {
      p_org_id: orgId,
      p_email: email,
      p_role: role,
      p_app_id: app_id,
    }),
});

endpoint(app, {
  method: "post",
  path: "/members/accept",
  summary: "Accept an invitation to an organization (the invited user)",
  input: z.strictObject({ orgId: fields.uuid }),
  output: acknowledgement("OK"),
  handler: ({ orgId }, c) => callAs(c.var.claims, "edge_api.org_member_accept", { p_org_id: orgId }),
});

endpoint(app, {
  method: "delete",
  path: "/members",
  summary: "Remove a member or invitation (admin and above, or yourself); the last super_admin stays",
  input: z.strictObject({ orgId: fields.uuid, email }),
  output: acknowledgement("OK"),
  handler: ({ orgId, email }, c) =>
    callAs(c.var.claims, "edge_api.org_member_delete", { p_org_id: orgId, p_email: email }),
});

export default app;
