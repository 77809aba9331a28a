/**
 * LOCAL ONLY demo packages for the demo organization, so that a first `npm run dev` answers the package routes:
 * two packages posted with the demo key, and 90 days of imported views (package.view events, each with an id derived
 * from its day: a second run adds nothing).
 */
import { addDays, subDays } from "date-fns";
import { dayString, utcDay } from "./days.ts";
import { DEMO_ORG_ID, ingestAsDemo, postAsDemo } from "./demo.ts";
import { randomFor } from "./random.ts";
import { DEMO_DAYS, type DemoEvent } from "./demo-usage.ts";

export const DEMO_PACKAGES = [
  {
    Id: "Tally.Demo",
    Name: "Tally Demo",
    Publisher: "Tally",
    Description: "The demo package of a local Tally",
    Homepage: "https://tally.local",
    License: "MIT",
    Tags: ["demo", "statistics"],
    Versions: ["1.2.0", "1.1.0", "1.0.0"],
    Featured: true,
  },
  { Id: "Tally.Demo.Cli", Name: "Tally Demo CLI", Publisher: "Tally", Versions: ["0.9.1"], Tags: ["cli"] },
];

/** About 40 views a day for the first package and 10 for the second, fewer at weekends, up to yesterday. */
export function demoPackageViews(today: string): DemoEvent[] {
  const windowStart = subDays(utcDay(today), DEMO_DAYS - 1);
  return DEMO_PACKAGES.flatMap(({ Id }, index) =>
    Array.from({ length: DEMO_DAYS - 1 }, (_, offset) => {
      const date = addDays(windowStart, offset);
      const day = dayString(date);
      const weekend = [0, 6].includes(date.getUTCDay());
      const views = Math.round((index ? 10 : 40) * (weekend ? 0.4 : 1) * (0.6 + randomFor(`${Id} ${day}`)() * 0.8));
      return {
        type: "package.view",
        id: `demo:package:${day}:${Id}`,
        timestamp: `${day}T12:00:00Z`,
        package_id: Id,
        views,
      };
    }).filter((event) => event.views > 0)
  );
}

/** Posts the demo packages and imports their views through the functions at `functionsUrl`; returns new views. */
export async function seedDemoPackages(functionsUrl: string, today: string): Promise<number> {
  for (const demoPackage of DEMO_PACKAGES) {
    await postAsDemo(functionsUrl, "v2/packages", { org_id: DEMO_ORG_ID, ...demoPackage });
  }
  return (await ingestAsDemo(functionsUrl, demoPackageViews(today), { orgId: DEMO_ORG_ID })).accepted;
}
