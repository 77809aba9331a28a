/** The traffic route read through Storyblok's own JavaScript clients, installed from npm, pointed at Tally. */
import assert from "node:assert/strict";
import { createManagementApiClient } from "@storyblok/management-api-client";
import StoryblokClient from "storyblok-js-client";
import { functionsUrl, test } from "../../../shared/testing.ts";
import { firstDay, lastDay, today, trafficFixture } from "./traffic-fixture.ts";

const fixture = trafficFixture("traffic-clients");
const query = { start_date: firstDay, end_date: lastDay, group_by: "day" as const };
const PATH = "/v1/orgs/me/statistics/all_traffic";

test("@storyblok/management-api-client (personal access token, then OAuth token) reads the whole response", async () => {
  const { key, oracle } = await fixture;
  const expected = oracle.statistics(firstDay, lastDay, "day", 1, 100, today);
  for (const credentials of [{ personalAccessToken: key }, { oauthToken: key }]) {
    const client = createManagementApiClient({ ...credentials, baseUrl: functionsUrl });
    const { data, error, response } = await client.get(PATH, { query });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.deepStrictEqual(data, expected.body);
    assert.equal(response.headers.get("total"), String(expected.total));
  }
});

test("storyblok-js-client reads the whole response, Total and Per-Page included", async () => {
  const { key, oracle } = await fixture;
  const expected = oracle.statistics(firstDay, lastDay, "day", 2, 25, today);
  const sb = new StoryblokClient({ oauthToken: key, endpoint: `${functionsUrl}/v1` });
  const reply = await sb.get("orgs/me/statistics/all_traffic", { ...query, page: 2, per_page: 25 });
  assert.deepStrictEqual(reply.data, expected.body);
  assert.equal(reply.total, expected.total);
  assert.equal(reply.perPage, 25);
});

test("storyblok-js-client rejects errors with the body's error as message", async () => {
  const { key } = await fixture;
  const sb = new StoryblokClient({ oauthToken: key, endpoint: `${functionsUrl}/v1` });
  const weekly = { group_by: "week", page: 1 };
  await assert.rejects(sb.get("orgs/me/statistics/all_traffic", weekly), (error: unknown) => {
    assert.deepEqual(
      [(error as { status: number }).status, (error as { message: string }).message],
      [422, "group_by must be one of day, month, year"],
    );
    return true;
  });
  const stranger = new StoryblokClient({ oauthToken: "tally_not-a-key", endpoint: `${functionsUrl}/v1` });
  await assert.rejects(stranger.get("orgs/me/statistics/all_traffic", {}), { status: 401, message: "Unauthorized" });
});

test("@storyblok/management-api-client does not throw on errors: error holds the body, response the status", async () => {
  const client = createManagementApiClient({ personalAccessToken: "tally_not-a-key", baseUrl: functionsUrl });
  const { data, error, response } = await client.get(PATH, { query });
  assert.equal(data, undefined);
  // A ClientError holding the body as `data`.
  assert.deepEqual((error as unknown as { response: unknown }).response, {
    data: { error: "Unauthorized" },
    status: 401,
    statusText: "Unauthorized",
  });
  assert.equal(response.status, 401);
});

test("over 6 requests a second: 429 with Retry-After, which the management client waits for, retries and succeeds", async () => {
  const { key, oracle } = await fixture;
  const expected = oracle.statistics(firstDay, lastDay, "day", 1, 100, today).body;
  const seen: { status: number; retryAfter: string | null; body: unknown }[] = [];
  const recordingFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, init);
    seen.push({
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      body: await response.clone().json(),
    });
    return response;
  };
  // Its own throttle off, the client sends all ten at once.
  const client = createManagementApiClient({ personalAccessToken: key, baseUrl: functionsUrl, rateLimit: false });
  const replies = await Promise.all(
    Array.from({ length: 10 }, () => client.get(PATH, { query, fetchOptions: { fetch: recordingFetch } })),
  );
  for (const { data, error } of replies) {
    assert.equal(error, undefined);
    assert.deepStrictEqual(data, expected);
  }
  const refused = seen.filter(({ status }) => status === 429);
  assert.ok(refused.length >= 4, `expected at least 4 refusals, saw ${refused.length}`);
  assert.equal(seen.filter(({ status }) => status === 200).length, 10);
  for (const { retryAfter, body } of refused) {
    assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    assert.match((body as { error: string }).error, /^Rate limit exceeded, retry in \d+ seconds?$/);
  }
});
