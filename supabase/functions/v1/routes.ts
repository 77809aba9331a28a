import { requestOrganization } from "../_shared/auth.ts";
import { readAs } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { createFunctionApp, endpoint, type RequestContext } from "../_shared/function-app.ts";
import { storyblokErrors } from "../_shared/storyblok-errors.ts";
import { alertsQuery, requestedRange, trafficQuery } from "./input.ts";
import { allTrafficOutput, trafficAlertsOutput } from "./schemas.ts";
import { type CompactTraffic, trafficBody } from "./traffic-response.ts";

// The original allows 3 to 6 requests per second per token.
const app = createFunctionApp("v1", {
  errorShape: storyblokErrors,
  rateLimits: { key: { limit: 6, windowSeconds: 1 } },
});

/** "me": the organization the key is limited to, unless the request names one. */
function organizationOf(c: RequestContext, orgId: string | undefined): string {
  const organization = requestOrganization(c.var.claims, orgId);
  if (!organization) throw new ApiError(400, "org_id is required: the key reaches more than one organization");
  return organization;
}

endpoint(app, {
  method: "get",
  path: "/orgs/me/statistics/all_traffic",
  summary:
    "API traffic of the organization's spaces: limits, this year's bytes, the series per day, month or year, the top 5 spaces and the others, and the raw series per space (paged: page, per_page; headers Total, Per-Page)",
  input: trafficQuery,
  output: allTrafficOutput,
  handler: async ({ org_id, group_by, page, per_page, ...dates }, c) => {
    const { start, end } = requestedRange(dates);
    const traffic = await readAs<CompactTraffic>(c.var.claims, "edge_api.traffic_statistics", {
      p_org_id: organizationOf(c, org_id),
      p_start: start,
      p_end: end,
      p_group_by: group_by,
      p_page: page,
      p_per_page: per_page,
    });
    c.header("Total", String(traffic.total));
    c.header("Per-Page", String(per_page));
    return trafficBody(traffic, group_by, start, end);
  },
});

endpoint(app, {
  method: "get",
  path: "/orgs/me/traffic_alerts",
  summary:
    "The months whose bytes crossed 80% and 100% of the organization's monthly traffic limit: `[{month, threshold, crossed_at, bytes, limit}]`",
  input: alertsQuery,
  output: trafficAlertsOutput,
  handler: ({ org_id }, c) =>
    readAs(c.var.claims, "edge_api.list_traffic_alerts", { p_org_id: organizationOf(c, org_id) }),
});

export default app;
