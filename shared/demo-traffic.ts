/**
 * LOCAL ONLY demo API traffic for the demo organization, so that a first `npm run dev` answers the traffic route:
 * 90 days of api.request events of three spaces (the newest days' bytes not yet measured), each with an id derived
 * from its day and space: a second run adds nothing.
 */
import { addDays, subDays } from "date-fns";
import { dayString, utcDay } from "./days.ts";
import { DEMO_ORG_ID, ingestAsDemo } from "./demo.ts";
import { randomFor } from "./random.ts";
import { DEMO_DAYS, type DemoEvent } from "./demo-usage.ts";

export const DEMO_SPACES = [
  { space_id: 101, requestsPerDay: 4000, bytesPerRequest: 12_000 },
  { space_id: 202, requestsPerDay: 1500, bytesPerRequest: 30_000 },
  { space_id: 303, requestsPerDay: 300, bytesPerRequest: 8_000 },
];

/** Each space's requests of each day up to yesterday, fewer at weekends; the last two days without bytes. */
export function demoTraffic(today: string): DemoEvent[] {
  const windowStart = subDays(utcDay(today), DEMO_DAYS - 1);
  return DEMO_SPACES.flatMap(({ space_id, requestsPerDay, bytesPerRequest }) =>
    Array.from({ length: DEMO_DAYS - 1 }, (_, offset) => {
      const date = addDays(windowStart, offset);
      const day = dayString(date);
      const weekend = [0, 6].includes(date.getUTCDay());
      const requests = Math.round(
        requestsPerDay * (weekend ? 0.5 : 1) * (0.7 + randomFor(`${space_id} ${day}`)() * 0.6),
      );
      const measured = offset < DEMO_DAYS - 3;
      return {
        type: "api.request",
        id: `demo:traffic:${day}:${space_id}`,
        timestamp: `${day}T12:00:00Z`,
        space_id,
        requests,
        ...(measured ? { bytes: requests * bytesPerRequest } : {}),
      };
    })
  );
}

/** Imports the demo traffic through the functions at `functionsUrl`; returns the events new to the database. */
export async function seedDemoTraffic(functionsUrl: string, today: string): Promise<number> {
  return (await ingestAsDemo(functionsUrl, demoTraffic(today), { orgId: DEMO_ORG_ID })).accepted;
}
