import { requestOrganization } from "../_shared/auth.ts";
import { ApiError } from "../_shared/errors.ts";
import { callAs, type Claims, readAs } from "../_shared/db.ts";
import { djangoRestErrors, REQUIRED } from "../_shared/drf-errors.ts";
import { createFunctionApp, endpoint, type RequestContext } from "../_shared/function-app.ts";
import { audienceCsv, type Figures, workspacesCsv } from "./csv.ts";
import { type AudienceArrays, audienceFigures, type WorkspaceArrays, workspaceFiguresJson } from "./figures.ts";
import { statisticsQuery, workspaceBody } from "./query.ts";
import { statisticsOutput, workspaceOutput } from "./schemas.ts";

const app = createFunctionApp("api", { errorShape: djangoRestErrors });

const csvResponse = (c: RequestContext, csv: string) => c.body(csv, 200, { "content-type": "text/csv; charset=utf-8" });

/** The organization asked for, or the key's when it is limited to exactly one. */
function organizationOf(claims: Claims, orgId: string | undefined): string {
  const organization = requestOrganization(claims, orgId);
  if (!organization) throw new ApiError(400, REQUIRED, undefined, { field: "org_id" });
  return organization;
}

endpoint(app, {
  method: "get",
  path: "/statistics",
  summary:
    "Environment activity: users, developers or workspaces figures per day, ISO week and month (JSON or format=csv: `series,year,month,week,day,count`, for workspaces `series,year,month,day,workspace_id,count`)",
  input: statisticsQuery,
  output: statisticsOutput,
  alsoAnswers: ["text/csv"],
  handler: async ({ stats_type, start, end, org_domain, org_id, format }, c) => {
    const arrays = await readAs<AudienceArrays | WorkspaceArrays>(c.var.claims, "edge_api.environment_statistics", {
      p_org_id: organizationOf(c.var.claims, org_id),
      p_stats_type: stats_type,
      p_start: start,
      p_end: end,
      p_org_domain: org_domain,
    });
    const wantsCsv = format === "csv" || (!format && c.req.header("accept")?.includes("text/csv"));
    if (stats_type === "workspaces") {
      const json = workspaceFiguresJson(arrays as WorkspaceArrays, start, end);
      if (!wantsCsv) return c.body(json, 200, { "content-type": "application/json" });
      return csvResponse(c, workspacesCsv(JSON.parse(json).workspaces));
    }
    const answer = audienceFigures(stats_type, arrays as AudienceArrays, start);
    return wantsCsv ? csvResponse(c, audienceCsv(Object.values(answer)[0] as Figures)) : answer;
  },
});

endpoint(app, {
  method: "put",
  path: "/workspaces/:workspace_id",
  summary: "Creates or updates a workspace: its name and whether it is a development or a public workspace",
  input: workspaceBody,
  output: workspaceOutput,
  handler: ({ workspace_id, org_id, name, is_development, is_public }, c) =>
    callAs(c.var.claims, "edge_api.put_workspace", {
      p_org_id: organizationOf(c.var.claims, org_id),
      p_workspace_id: workspace_id,
      p_name: name,
      p_is_development: is_development,
      p_is_public: is_public,
    }),
});

export default app;
