/** Traffic of ten spaces ingested over HTTP and kept by an oracle, and calls of the traffic route as clients make them. */
import assert from "node:assert/strict";
import { addDays, min, subDays } from "date-fns";
import { dayString, utcDay, utcToday } from "../../../shared/days.ts";
import { seededRandom } from "../../../shared/random.ts";
import { call, createOrgWithKey } from "../../../shared/testing.ts";
import { daysBetween, TrafficOracle } from "./traffic-oracle.ts";

export const TRAFFIC_PATH = "v1/orgs/me/statistics/all_traffic";

/** GET of the traffic route; a 429 is retried after its Retry-After, as the official clients do. */
export async function getTraffic(key: string, query: string) {
  for (;;) {
    const reply = await call(`${TRAFFIC_PATH}?${query}`, { headers: { authorization: key } });
    if (reply.status !== 429) return reply;
    await new Promise((resolve) => setTimeout(resolve, Number(reply.headers.get("retry-after")) * 1000));
  }
}

interface Request {
  day: string;
  requests: number;
  bytes?: number;
}

/** A space's requests: on about half the days, one to three events, half of them measuring bytes. */
function requestsOf(random: () => number, days: string[], bytesScale: number): Request[] {
  return days.flatMap((day) => {
    if (random() < 0.5) return [];
    return Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      const requests = 1 + Math.floor(random() * 50);
      const measured = random() < 0.5;
      return {
        day,
        requests,
        ...(measured ? { bytes: requests * (100 + Math.floor(random() * 1900)) * bytesScale } : {}),
      };
    });
  });
}

export const today = dayString(utcToday());
export const yearStart = `${today.slice(0, 4)}-01-01`;
/** The traffic runs from 70 days before 1 January to 40 days after it (or today): a month and a year change. */
export const firstDay = dayString(subDays(utcDay(yearStart), 70));
export const lastDay = dayString(min([addDays(utcDay(yearStart), 40), utcToday()]));

/**
 * Spaces 1 to 10 of a new organization. Spaces 1 to 4 move twenty times the bytes of spaces 7 to 10, space 5 three
 * times. Space 6 repeats
 * space 5 exactly (a tie: the lower id ranks first); space 3 repeats space 4 plus requests without bytes (the same
 * bytes: more requests rank first).
 */
export async function trafficFixture(handle: string) {
  const { owner, orgId, key } = await createOrgWithKey(handle, "all");
  const random = seededRandom(11);
  const days = daysBetween(firstDay, lastDay);
  const bySpace = new Map<number, Request[]>();
  for (const spaceId of [1, 2, 4, 5, 7, 8, 9, 10]) {
    bySpace.set(spaceId, requestsOf(random, days, spaceId <= 4 ? 20 : spaceId === 5 ? 3 : 1));
  }
  bySpace.set(6, bySpace.get(5)!);
  bySpace.set(3, [...bySpace.get(4)!, ...requestsOf(random, days, 1).map(({ day, requests }) => ({ day, requests }))]);

  const oracle = new TrafficOracle();
  // Ids as numbers and as digits alike; times anywhere in the UTC day, none in the future.
  const events = [...bySpace].flatMap(([spaceId, requests]) =>
    requests.map(({ day, requests, bytes }, i) => ({
      type: "api.request",
      space_id: i % 2 ? spaceId : String(spaceId),
      requests,
      ...(bytes === undefined ? {} : { bytes }),
      timestamp: `${day}T${String(i % 24).padStart(2, "0")}:59:59.999Z`,
    }))
  ).filter((event) => Date.parse(event.timestamp) <= Date.now());
  for (const { space_id, timestamp, requests, bytes } of events) {
    oracle.add(Number(space_id), timestamp.slice(0, 10), requests, bytes);
  }
  for (let i = 0; i < events.length; i += 1000) {
    const reply = await call("ingest", {
      method: "POST",
      headers: { authorization: key },
      body: { events: events.slice(i, i + 1000) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
  }
  return { owner, orgId, key, oracle };
}
