import { requestOrganization } from "../_shared/auth.ts";
import { callAnonymously, callAs, readAnonymously } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { fastifyErrors } from "../_shared/fastify-errors.ts";
import { createFunctionApp, endpoint } from "../_shared/function-app.ts";
import { identifierInPath, packageBody, packageNotFound, packagePath, statsQuery } from "./input.ts";
import { packageOutput, statsOutput } from "./schemas.ts";

const app = createFunctionApp("v2", { errorShape: fastifyErrors });

const EPOCH = new Date(0);

endpoint(app, {
  method: "get",
  path: "/stats",
  access: "public",
  summary:
    'Views of the package route per day, ISO week or month: `{"Stats": {"Id", "Data": [{"Period", "Value"}]}}`, oldest first, bins without views left out, at most 1000 bins',
  input: statsQuery,
  output: statsOutput,
  handler: async ({ packageId, resolution, after = EPOCH, before = new Date() }) => {
    const stats = await readAnonymously<{ Id: string; Data: [day: string, views: number][] }>(
      "edge_api.package_stats",
      {
        p_identifier: packageId,
        p_resolution: resolution,
        p_after: after.toISOString(),
        p_before: before.toISOString(),
      },
    );
    return {
      Stats: {
        Id: stats.Id,
        Data: stats.Data.map(([day, views]) => ({ Period: `${day}T00:00:00.000Z`, Value: views })),
      },
    };
  },
});

endpoint(app, {
  method: "get",
  path: "/packages/:publisher/:name",
  access: "public",
  summary: "One package; counts one view per client (address and user agent), package and UTC day",
  input: packagePath,
  output: packageOutput,
  handler: async (path, c) => {
    const document = await callAnonymously("edge_api.count_package_view", {
      p_identifier: identifierInPath(path),
      p_client: c.var.client,
    });
    if (!document) throw packageNotFound();
    return document;
  },
});

endpoint(app, {
  method: "post",
  path: "/packages",
  summary:
    "Creates or updates a package of the organization (API key of mode write); returns it, without counting a view",
  input: packageBody,
  output: packageOutput,
  handler: ({ org_id, ...fields }, c) => {
    const organization = requestOrganization(c.var.claims, org_id);
    if (!organization) {
      throw new ApiError(400, "body must have required property 'org_id' (the key reaches several organizations)");
    }
    return callAs(c.var.claims, "edge_api.put_package", { p_org_id: organization, p_package: fields });
  },
});

endpoint(app, {
  method: "delete",
  path: "/packages/:publisher/:name",
  summary: "Deletes a package and its views (API key of mode write on its organization)",
  successStatus: 204,
  input: packagePath,
  handler: async (path, c) => {
    await callAs(c.var.claims, "edge_api.delete_package", { p_identifier: identifierInPath(path) });
    return c.body(null, 204);
  },
});

export default app;
