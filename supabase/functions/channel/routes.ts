import { z } from "@hono/zod-openapi";
import { callAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { channelGetOutput, channelStatusOutput } from "./schemas.ts";

const app = createFunctionApp("channel");

const channelName = z.string().min(1).max(128);
const flag = fields.flag;

endpoint(app, {
  method: "get",
  path: "/",
  summary: "The app's channels, 50 per page (page=0, 1, ...), or one with channel",
  input: z.strictObject({ app_id: fields.appId, channel: channelName.optional(), page: fields.page }),
  output: channelGetOutput,
  handler: ({ app_id, channel, page }, c) =>
    callAs(c.var.claims, "edge_api.channel_get", { p_app_id: app_id, p_channel: channel, p_page: page }),
});

endpoint(app, {
  method: "post",
  path: "/",
  summary: "Create a channel, or change the fields given (write and above); public = true makes it the default",
  input: z.strictObject({
    app_id: fields.appId,
    channel: channelName,
    version: z.string().min(1).max(128).optional(),
    public: flag.optional(),
    disableAutoUpdateUnderNative: flag.optional(),
    disableAutoUpdate: z.enum(["major", "minor", "version_number", "none"]).optional(),
    ios: flag.optional(),
    android: flag.optional(),
    allow_device_self_set: flag.optional(),
    allow_emulator: flag.optional(),
    allow_dev: flag.optional(),
  }),
  output: channelStatusOutput,
  handler: (input, c) =>
    callAs(c.var.claims, "edge_api.channel_upsert", {
      p_app_id: input.app_id,
      p_channel: input.channel,
      p_version: input.version,
      p_public: input.public,
      p_disable_auto_update_under_native: input.disableAutoUpdateUnderNative,
      p_disable_auto_update: input.disableAutoUpdate,
      p_ios: input.ios,
      p_android: input.android,
      p_allow_device_self_set: input.allow_device_self_set,
      p_allow_emulator: input.allow_emulator,
      p_allow_dev: input.allow_dev,
    }),
});

endpoint(app, {
  method: "delete",
  path: "/",
  summary: "Delete a channel (write and above)",
  input: z.strictObject({ app_id: fields.appId, channel: channelName }),
  output: channelStatusOutput,
  handler: ({ app_id, channel }, c) =>
    callAs(c.var.claims, "edge_api.channel_delete", { p_app_id: app_id, p_channel: channel }),
});

export default app;
