import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { deviceGetOutput, deviceStatusOutput } from "./schemas.ts";

const app = createFunctionApp("device");

const deviceId = z.string().min(1).max(128);

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The app's devices, 50 per page (page=0, 1, ...), or one with device_id",
  input: z.strictObject({ app_id: fields.appId, device_id: deviceId.optional(), page: fields.page }),
  output: deviceGetOutput,
  handler: ({ app_id, device_id, page }, c) =>
    callAs(c.var.claims, "edge_api.device_get", { p_app_id: app_id, p_device_id: device_id, p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Force a bundle (version_id: its version name) and/or a channel on a device (write and above)",
  input: z.strictObject({
    app_id: fields.appId,
    device_id: deviceId,
    version_id: z.string().min(1).max(128).optional(),
    channel: z.string().min(1).max(128).optional(),
  }).refine((input) => input.version_id !== undefined || input.channel !== undefined, {
    message: "version_id or channel is required",
  }),
  output: deviceStatusOutput,
  handler: ({ app_id, device_id, version_id, channel }, c) =>
    callAs(c.var.claims, "edge_api.device_link", {
      p_app_id: app_id,
      p_device_id: device_id,
      p_version_id: version_id,
      p_channel: channel,
    }),
});

endpoint(app, {
  method: "delete",
  path: "/",
  summary: "Remove a device's bundle and channel overrides (write and above); devices are never deleted",
  input: z.strictObject({ app_id: fields.appId, device_id: deviceId }),
  output: deviceStatusOutput,
  handler: ({ app_id, device_id }, c) =>
    callAs(c.var.claims, "edge_api.device_unlink", { p_app_id: app_id, p_device_id: device_id }),
});

export default app;
