/**
 * LOCAL ONLY demo environment activity for the demo organization, so that a first `npm run dev` answers
 * GET /api/statistics/ with figures: 60 users (a fifth of them developers too, two email domains) in four workspaces,
 * one of them development and one public, over the 90 days ending today. As the demo usage, it goes through
 * POST /ingest with the demo key, every event derived from absolute dates and carrying an id: a second run adds
 * nothing.
 */
import { addDays, subDays } from "date-fns";
import { dayString, utcDay } from "./days.ts";
import { DEMO_ORG_ID, ingestAsDemo } from "./demo.ts";
import { randomFor } from "./random.ts";
import { DEMO_DAYS, type DemoEvent } from "./demo-usage.ts";

const USERS = 60;
const WORKSPACES = [
  { workspace_id: "design", kinds: {} },
  { workspace_id: "analysis", kinds: {} },
  { workspace_id: "sandbox", kinds: { workspace_is_development: true } },
  { workspace_id: "showcase", kinds: { workspace_is_public: true } },
];

/** Each user joins on a day of the window and then works most weekdays, in one or two workspaces. */
export function demoActivity(today: string, now = new Date()): DemoEvent[] {
  const windowStart = subDays(utcDay(today), DEMO_DAYS - 1);
  const events: DemoEvent[] = [];
  for (let user = 0; user < USERS; user++) {
    const userId = `demo-user-${user}`;
    const random = randomFor(userId);
    const joined = Math.floor(random() * DEMO_DAYS * 0.8);
    const org_domain = user % 3 === 0 ? "partner.example" : "demo.example";
    const developer = user % 5 === 0;
    const home = [WORKSPACES[user % 2], WORKSPACES[2 + (user % 2)]];
    for (let offset = joined; offset < DEMO_DAYS; offset++) {
      const date = addDays(windowStart, offset);
      const day = dayString(date);
      const daily = randomFor(`${userId} ${day}`);
      if ([0, 6].includes(date.getUTCDay()) || daily() < 0.35) continue;
      const workspace = home[daily() < 0.75 ? 0 : 1];
      const at = new Date(date.getTime() + (8 + Math.floor(daily() * 10)) * 3_600_000);
      events.push({
        type: "workspace.activity",
        id: `demo:workspace:${day}:${userId}`,
        timestamp: (at > now ? now : at).toISOString(),
        workspace_id: workspace.workspace_id,
        ...workspace.kinds,
        user_id: userId,
        kind: developer && workspace.workspace_id === "sandbox" ? "developer" : "user",
        org_domain,
      });
    }
  }
  return events;
}

/** Sends the demo activity to the functions at `functionsUrl` (…/functions/v1); returns how many were new. */
export async function seedDemoActivity(functionsUrl: string, today: string, now = new Date()): Promise<number> {
  return (await ingestAsDemo(functionsUrl, demoActivity(today, now), { orgId: DEMO_ORG_ID })).accepted;
}
