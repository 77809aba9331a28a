/**
 * The traffic surface in the benchmark: bench/traffic.sql's 1,000 spaces with two years of daily traffic (added to a
 * kept database too), then p50/p99 of GET /v1/orgs/me/statistics/all_traffic over the last whole calendar year by
 * day, month and year (the first page of the raw series, 100 rows).
 */
import { repoRoot, runSql } from "../shared/database.ts";
import type { Latency, Measure } from "./latency.ts";

const TRAFFIC_ORG = "00000000-0000-4000-8000-0000000000a4";

export async function prepareTraffic(databaseUrl: string) {
  await runSql(databaseUrl, await Deno.readTextFile(`${repoRoot}bench/traffic.sql`));
}

export async function measureTraffic(latency: Measure): Promise<Record<string, Latency>> {
  const year = new Date().getUTCFullYear() - 1;
  const measures: Record<string, Latency> = {};
  for (const group of ["day", "month", "year"]) {
    measures[`v1 all_traffic ${year} by ${group}, 1000 spaces`] = await latency(
      `v1/orgs/me/statistics/all_traffic?org_id=${TRAFFIC_ORG}&start_date=${year}-01-01&end_date=${year}-12-31&group_by=${group}`,
    );
  }
  return measures;
}
