/**
 * Failed key authentication: every wrong secret gets the same answer, failures are limited per client address
 * (npm test sets TALLY_RATE_LIMIT_AUTH_FAILURES), and no secret reaches the server's output or an error body.
 */
import assert from "node:assert/strict";
import { parseRateLimit } from "../_shared/rate-limit.ts";
import { adminDb, call, createKey, createOrgWithKey, invoke, signJwt, test } from "../../../shared/testing.ts";

const failureLimit = parseRateLimit(
  "TALLY_RATE_LIMIT_AUTH_FAILURES",
  Deno.env.get("TALLY_RATE_LIMIT_AUTH_FAILURES") ?? "",
);

/**
 * A client address of its own for every call (the last x-forwarded-for entry, the one the platform appends, is the one
 * the server reads): the failure limit counts per address, and random ones met now and then the address an earlier
 * test had just locked out.
 */
let addressesUsed = 0;
const address = () => {
  if (++addressesUsed > 254) throw new Error("out of test addresses");
  return `198.51.100.${addressesUsed}, 203.0.113.${addressesUsed}`;
};

async function keyIdOf(ownerJwt: string, secret: string): Promise<number> {
  const list = await invoke<{ id: number; key: string }[]>("apikey", { credential: ownerJwt });
  return list.data.find((k) => secret.startsWith(k.key))!.id;
}

/** Secrets that are wrong in every way: malformed, unknown, expired, deleted, a token that does not verify. */
async function wrongSecrets() {
  const { owner, orgId } = await createOrgWithKey("auth-wrong");
  const expired = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  await adminDb`update public.apikeys set expires_at = now() - interval '1 second'
    where id = ${await keyIdOf(owner.jwt, expired)}`;
  const deleted = await createKey(owner.jwt, { org_id: orgId, mode: "read" });
  await invoke(`apikey/${await keyIdOf(owner.jwt, deleted)}`, { method: "DELETE", credential: owner.jwt });
  const forged = await signJwt({ role: "authenticated", sub: owner.id });
  return {
    malformed: "not a key at all!",
    "malformed, 5,000 characters": "k".repeat(5_000),
    unknown: `tally_${crypto.randomUUID()}`,
    expired,
    deleted,
    "a token signed with another secret": `${forged.slice(0, -4)}AAAA`,
  };
}

test("a malformed, unknown, expired or deleted key gets the same 401 and body, in every surface's shape", async () => {
  const secrets = await wrongSecrets();
  for (const path of ["organization", "v1/orgs/me/statistics/all_traffic", "api/statistics/?stats_type=users"]) {
    const answers = new Set<string>();
    for (const [kind, secret] of Object.entries(secrets)) {
      const reply = await call(path, { headers: { authorization: secret, "x-forwarded-for": address() } });
      assert.equal(reply.status, 401, `${path}, ${kind}: ${JSON.stringify(reply.data)}`);
      assert.ok(!JSON.stringify(reply.data).includes(secret.slice(0, 20)), `${path}, ${kind}: the body echoes it`);
      answers.add(JSON.stringify([reply.data, reply.headers.get("content-type")]));
    }
    assert.equal(answers.size, 1, `${path}: ${[...answers].join(" | ")}`);
  }
});

test("after the limit of failed authentications a client gets 429 whatever it sends; other clients do not", async () => {
  const { key } = await createOrgWithKey("auth-limit");
  const client = address();
  for (let i = 0; i < failureLimit.limit; i++) {
    const reply = await call("organization", { headers: { authorization: `wrong-${i}`, "x-forwarded-for": client } });
    assert.equal(reply.status, 401, `failure ${i + 1} of ${failureLimit.limit}`);
  }
  const refused = await call("organization", { headers: { authorization: "wrong-again", "x-forwarded-for": client } });
  assert.equal(refused.status, 429);
  assert.equal(refused.data.status, "KO");
  assert.match(refused.data.error, /^Rate limit exceeded, retry in \d+ seconds?$/);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  // Guessing on past the limit tells nothing: the right key is refused too, from that client.
  const right = await call("organization", { headers: { authorization: key, "x-forwarded-for": client } });
  assert.equal(right.status, 429);
  const elsewhere = await call("organization", { headers: { authorization: key, "x-forwarded-for": address() } });
  assert.equal(elsewhere.status, 200);
});

test("no secret reaches the server's output or an error body while keys are used, refused and deleted", async () => {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../../shared/functions-server.ts", import.meta.url).pathname],
    env: { PORT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const collected = Promise.all([collect(server.stdout), collect(server.stderr)]);
  try {
    let base: string | undefined;
    for (let wait = 0; !base && wait < 300; wait++) {
      base = /listening on (\S+)/.exec(output)?.[1];
      if (!base) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(base, `the server did not start: ${output}`);
    const request = async (path: string, secret: string, init: RequestInit = {}) => {
      const reply = await fetch(`${base}/functions/v1/${path}`, {
        ...init,
        headers: { authorization: secret, "x-forwarded-for": address(), "content-type": "application/json" },
      });
      return { status: reply.status, body: await reply.text() };
    };

    const { owner, orgId, key } = await createOrgWithKey("auth-logs");
    const secret = await createKey(owner.jwt, { org_id: orgId, mode: "all" });
    const wrong = await wrongSecrets();
    const used = [
      await request("organization", secret),
      await request("app", secret, { method: "POST", body: JSON.stringify({ owner_org: orgId, app_id: "bad id" }) }),
      await request(`apikey/${await keyIdOf(owner.jwt, secret)}`, owner.jwt, { method: "DELETE" }),
      await request("organization", secret),
      ...await Promise.all(Object.values(wrong).map((w) => request("organization", w))),
    ];
    assert.deepEqual(used.slice(0, 4).map((reply) => reply.status), [200, 400, 200, 401]);
    for (const candidate of [secret, key, ...Object.values(wrong)]) {
      const fragment = candidate.slice(-16);
      assert.ok(!used.some((reply) => reply.body.includes(fragment)), "an error body holds a secret");
      assert.ok(!output.includes(fragment), `the server's output holds a secret:\n${output}`);
    }
  } finally {
    server.kill();
    await server.status;
    await collected;
  }
});
