import type { Context } from "hono";
import { readAs } from "../_shared/db.ts";
import { createFunctionApp, endpoint, fields } from "../_shared/function-app.ts";
import { type Metric, renderChart, type StatsRow } from "./chart.ts";
import { orgStatsQuery, statsQuery } from "./query.ts";
import { orgStatsOutput, statsRows } from "./schemas.ts";

const app = createFunctionApp("statistics");

type OrgBreakdown<Row = StatsRow> = { global: Row[]; byApp: { app_id: string; data: Row[] }[] };
/** The SQL readers' form of a day: [date, mau, storage, bandwidth]. */
type StatsTuple = [date: string, mau: number, storage: number, bandwidth: number];

const rowsOf = (tuples: StatsTuple[]): StatsRow[] =>
  tuples.map(([date, mau, storage, bandwidth]) => ({ date, mau, storage, bandwidth }));

type Output = { graph?: Metric; format?: "json" | "csv"; from: string; to: string };

function toCsv(rows: (StatsRow & { app_id?: string })[], withApp: boolean): string {
  const header = withApp ? "app_id,date,mau,storage,bandwidth" : "date,mau,storage,bandwidth";
  const lines = rows.map((r) => `${withApp ? `${r.app_id},` : ""}${r.date},${r.mau},${r.storage},${r.bandwidth}`);
  return [header, ...lines].join("\n") + "\n";
}

/** JSON by default; `graph=` an SVG chart of the (global) rows; `format=csv` or `Accept: text/csv` CSV. */
function respond(c: Context, result: StatsRow[] | OrgBreakdown, subject: string, output: Output) {
  const global = Array.isArray(result) ? result : result.global;
  if (output.graph) {
    c.header("content-type", "image/svg+xml; charset=utf-8");
    return c.body(renderChart(global, output.graph, subject, output.from, output.to));
  }
  const wantsCsv = output.format === "csv" || (!output.format && c.req.header("accept")?.includes("text/csv"));
  if (wantsCsv) {
    c.header("content-type", "text/csv; charset=utf-8");
    if (Array.isArray(result)) return c.body(toCsv(result, false));
    const perApp = result.byApp.flatMap(({ app_id, data }) => data.map((row) => ({ ...row, app_id })));
    return c.body(toCsv([...result.global.map((row) => ({ ...row, app_id: "*" })), ...perApp], true));
  }
  return c.json(result);
}

endpoint(app, {
  method: "get",
  path: "/app/:app_id",
  summary: "Daily MAU, storage and bandwidth of one app (JSON, CSV or an SVG graph)",
  input: statsQuery.safeExtend({ app_id: fields.appId }),
  output: statsRows,
  alsoAnswers: ["text/csv", "image/svg+xml"],
  handler: async ({ app_id, from, to, ...output }, c) => {
    const tuples = await readAs<StatsTuple[]>(c.var.claims, "edge_api.statistics_app", {
      p_app_id: app_id,
      p_from: from,
      p_to: to,
    });
    return respond(c, rowsOf(tuples), app_id, { ...output, from, to });
  },
});

endpoint(app, {
  method: "get",
  path: "/org/:org_id",
  summary: "Daily figures summed over an organization's apps; breakdown=true adds them per app",
  input: orgStatsQuery.safeExtend({ org_id: fields.uuid }),
  output: orgStatsOutput,
  alsoAnswers: ["text/csv", "image/svg+xml"],
  handler: async ({ org_id, from, to, breakdown, ...output }, c) => {
    const result = await readAs<StatsTuple[] | OrgBreakdown<StatsTuple>>(c.var.claims, "edge_api.statistics_org", {
      p_org_id: org_id,
      p_from: from,
      p_to: to,
      p_breakdown: breakdown ?? false,
    });
    const shaped = Array.isArray(result) ? rowsOf(result) : {
      global: rowsOf(result.global),
      byApp: result.byApp.map(({ app_id, data }) => ({ app_id, data: rowsOf(data) })),
    };
    return respond(c, shaped, `organization ${org_id}`, { ...output, from, to });
  },
});

endpoint(app, {
  method: "get",
  path: "/user",
  summary: "Daily figures summed over every app you can read",
  input: statsQuery,
  output: statsRows,
  alsoAnswers: ["text/csv", "image/svg+xml"],
  handler: async ({ from, to, ...output }, c) => {
    const tuples = await readAs<StatsTuple[]>(c.var.claims, "edge_api.statistics_user", { p_from: from, p_to: to });
    return respond(c, rowsOf(tuples), "all your apps", { ...output, from, to });
  },
});

export default app;
