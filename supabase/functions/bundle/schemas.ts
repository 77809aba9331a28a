import { z } from "@hono/zod-openapi";

/** A UTC timestamp as private.iso_utc writes it: "2026-11-24T01:02:03.456Z". */
const timestamp = z.iso.datetime();

/** private.bundle_json: a bundle as the API's Bundle object. */
export const bundle = z.object({
  app_id: z.string(),
  bucket_id: z.null().describe("Always null: Tally stores no files"),
  checksum: z.string().nullable(),
  created_at: timestamp,
  deleted: z.boolean(),
  external_url: z.string().nullable(),
  id: z.number().int(),
  minUpdateVersion: z.string().nullable(),
  name: z.string(),
  native_packages: z.array(z.record(z.string(), z.unknown())).nullable().describe("As registered, or null"),
  owner_org: z.guid(),
  r2_path: z.null().describe("Always null: Tally stores no files"),
  session_key: z.null().describe("Always null: Tally stores no files"),
  storage_provider: z.string(),
  updated_at: timestamp,
  user_id: z.guid().nullable(),
  size: z.number().int().min(0).describe("Size in bytes"),
});

/** GET /bundle: a page of bundles, newest first, deleted ones included. */
export const bundleListOutput = z.array(bundle);

/** DELETE /bundle. */
export const bundleStatusOutput = z.object({ status: z.literal("ok") });
