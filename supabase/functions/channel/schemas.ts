import { z } from "@hono/zod-openapi";

/** A UTC timestamp as private.iso_utc writes it: "2026-11-24T01:02:03.456Z". */
const timestamp = z.iso.datetime();

/** private.channel_json: a channel as the API's Channel object. */
export const channel = z.object({
  id: z.number().int(),
  created_at: timestamp,
  name: z.string(),
  app_id: z.string(),
  version: z.object({ id: z.number().int(), name: z.string() }).nullable().describe(
    "The bundle the channel serves, or null",
  ),
  created_by: z.guid().nullable(),
  updated_at: timestamp,
  public: z.boolean().describe("Whether this is the app's default channel"),
  disableAutoUpdateUnderNative: z.boolean(),
  disableAutoUpdate: z.enum(["major", "minor", "version_number", "none"]),
  allow_emulator: z.boolean(),
  allow_dev: z.boolean(),
  ios: z.boolean(),
  android: z.boolean(),
  allow_device_self_set: z.boolean(),
});

/** GET /channel: a page of channels, or the one named by `channel`. */
export const channelGetOutput = z.union([z.array(channel), channel]).describe(
  "A page of channels (up to 50), or one channel when `channel` is given",
);

/** POST and DELETE /channel. */
export const channelStatusOutput = z.object({ status: z.literal("ok") });
