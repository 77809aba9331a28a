import { z } from "@hono/zod-openapi";

/** A UTC timestamp as private.iso_utc writes it: "2026-11-24T01:02:03.456Z". */
const timestamp = z.iso.datetime();

/** private.device_json: a device as the API's Device object. */
export const device = z.object({
  created_at: timestamp,
  updated_at: timestamp,
  device_id: z.string(),
  custom_id: z.string(),
  version: z.object({ id: z.number().int(), name: z.string() }).nullable().describe(
    "The bundle forced on the device, else the live bundle it last reported, else null",
  ),
  app_id: z.string(),
  platform: z.enum(["ios", "android"]).nullable(),
  plugin_version: z.string(),
  os_version: z.string().nullable(),
  version_build: z.string(),
  is_prod: z.boolean(),
  is_emulator: z.boolean(),
  channel: z.string().nullable().describe("The name of the channel forced on the device, or null"),
});

/** GET /device: a page of devices, or the one named by `device_id`. */
export const deviceGetOutput = z.union([z.array(device), device]).describe(
  "A page of devices (up to 50), or one device when `device_id` is given",
);

/** POST and DELETE /device. */
export const deviceStatusOutput = z.object({ status: z.literal("ok") });
