/**
 * The package surface in the benchmark: bench/packages.sql's 10,000 packages (added to a kept database too), then
 * p50/p99 of /v2/stats for a hot package at 1,000 daily, 156 weekly and 36 monthly bins, of the counted package
 * route (each call a new client, so each one counts a view), and of a trivial public route (an unknown package:
 * rate limit and one index probe), which isolates what counting costs.
 */
import { subDays, subMonths, subWeeks } from "date-fns";
import { repoRoot, runSql } from "../shared/database.ts";
import type { Latency, Measure } from "./latency.ts";

export async function preparePackages(databaseUrl: string) {
  await runSql(databaseUrl, await Deno.readTextFile(`${repoRoot}bench/packages.sql`));
}

export async function measurePackages(latency: Measure): Promise<Record<string, Latency>> {
  const hot = "BenchHot0.Package";
  const stats = (resolution: string, after: Date) =>
    latency(`v2/stats?packageId=${hot}&resolution=${resolution}&after=${after.toISOString()}`);
  const now = new Date();
  const run = Date.now().toString(36);
  return {
    "v2_stats day 1000 bins": await stats("day", subDays(now, 999)),
    "v2_stats isoWeek 156 bins": await stats("isoWeek", subWeeks(now, 155)),
    "v2_stats month 36 bins": await stats("month", subMonths(now, 35)),
    "v2_packages counted (new client each call)": await latency("v2/packages/BenchHot1/Package", {
      headers: (call) => ({ "user-agent": `bench-${run}-${call}` }),
    }),
    "trivial public route (unknown package)": await latency("v2/packages/BenchNobody/Package", { status: 404 }),
  };
}
