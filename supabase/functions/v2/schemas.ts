/** What the package routes answer. */
import { z } from "@hono/zod-openapi";
import { fields } from "../_shared/function-app.ts";

/** A date as JavaScript writes it (private.package_document's to_char): `2026-11-23T10:00:00.000Z`. */
const jsDate = z.iso.datetime({ precision: 3 });

/** GET /v2/stats: the package's Id as stored, and its bins with views, oldest first. */
export const statsOutput = z.object({
  Stats: z.object({
    Id: fields.packageId,
    Data: z.array(z.object({
      Period: z.string().regex(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/).describe(
        "First day of the bin, YYYY-MM-DDT00:00:00.000Z",
      ),
      Value: z.number().int().positive().describe("Views in the bin"),
    })).describe("Bins with views, oldest first; [] for a package without views in range"),
  }),
});

/** GET /v2/packages/:publisher/:name and POST /v2/packages: private.package_document, public fields only. */
export const packageOutput = z.object({
  Package: z.object({
    Id: fields.packageId,
    Versions: z.array(z.string()).describe("In the order posted"),
    Latest: z.object({
      Name: z.string(),
      Publisher: z.string(),
      Tags: z.array(z.string()),
      Description: z.string(),
      Homepage: z.string(),
      License: z.string(),
      LicenseUrl: z.string(),
    }),
    Featured: z.boolean(),
    IconUrl: z.string().optional().describe("Left out when unset"),
    Banner: z.string().optional().describe("Left out when unset"),
    Logo: z.string().optional().describe("Left out when unset"),
    UpdatedAt: jsDate,
    CreatedAt: jsDate,
  }),
});
