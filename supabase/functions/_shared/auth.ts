import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { jwtVerify } from "jose";
import { ApiError } from "./errors.ts";
import { type Claims, resolveApiKey } from "./db.ts";
import { authFailureBucket } from "./client-identity.ts";
import { enforceRateLimit, type RateLimit, type RateVerdict, takeRateLimit } from "./rate-limit.ts";
import { jwtSecret } from "./secrets.ts";

export type AuthEnv = {
  Variables: {
    /** The caller's claims, on routes that need a credential. */
    claims: Claims;
    /** The keyed hash of a public caller (see client-identity.ts), on public routes. */
    client: Uint8Array;
  };
};

/** Longer than any key Tally issues: such a secret takes the same path as any other wrong one, cut to this length. */
const LONGEST_SECRET = 200;

const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

/**
 * Claims of a signed-in user's token; undefined for anon/service tokens, which identify no user; null for a token
 * that does not verify, which is then treated as any other wrong secret.
 */
async function userJwtClaims(token: string): Promise<Claims | undefined | null> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, jwtSecret(), { algorithms: ["HS256"] }));
  } catch {
    return null;
  }
  if (payload.role !== "authenticated" || typeof payload.sub !== "string") return undefined;
  return { sub: payload.sub, role: "authenticated", email: payload.email };
}

/**
 * A credential's claims and its rate-limit verdict, or undefined for the project's anon token. Every wrong secret
 * (malformed, unknown, expired, deleted, or a token that does not verify) gets the same 401 after the same one query,
 * and counts against the client's failure limit: past it, a 429 whatever the client sends.
 */
async function resolveCredential(
  c: Context,
  credential: string,
  limit: RateLimit,
  failureLimit: RateLimit,
): Promise<{ claims: Claims; verdict: RateVerdict } | undefined> {
  if (looksLikeJwt(credential)) {
    const claims = await userJwtClaims(credential);
    if (claims === undefined) return undefined;
    if (claims) return { claims, verdict: await takeRateLimit(`user:${claims.sub}`, limit) };
  }
  const resolution = await resolveApiKey(
    credential.slice(0, LONGEST_SECRET + 1),
    limit,
    await authFailureBucket(c),
    failureLimit,
  );
  if (resolution.claims) return { claims: resolution.claims, verdict: resolution };
  if (resolution.too_many_failures) enforceRateLimit(c, failureLimit, resolution);
  throw new ApiError(401, "Invalid API key");
}

/**
 * Reads the credential from `capgkey`, `x-api-key` or `authorization` (raw or `Bearer <key>`), and resolves it once:
 * a signed-in user's JWT acts with that user's full rights; an API key acts as its owner within its mode and limits.
 * The explicit key headers win because supabase-js always sends the project's anon key in `authorization`. The
 * request counts against the key's (or user's) rate limit; a wrong secret against its client's failure limit.
 */
export function requireCredential(limit: RateLimit, failureLimit: RateLimit) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "").trim();
    const candidates = [c.req.header("capgkey"), c.req.header("x-api-key"), bearer]
      .map((value) => value?.trim())
      .filter((value): value is string => !!value);
    let resolved: Awaited<ReturnType<typeof resolveCredential>>;
    for (const credential of candidates) {
      resolved = await resolveCredential(c, credential, limit, failureLimit);
      if (resolved) break;
    }
    // A wrong key or token has thrown already: what is left is no credential, or only the project's anon token.
    if (!resolved) throw new ApiError(401, "Invalid API key", undefined, { reason: "no_credentials" });
    enforceRateLimit(c, limit, resolved.verdict);
    c.set("claims", resolved.claims);
    await next();
  });
}

/** The organization a request is about: the one asked for, or the key's when it is limited to exactly one. */
export function requestOrganization(claims: Claims, orgId: string | undefined): string | undefined {
  const keyOrgs = Array.isArray(claims.key_orgs) ? claims.key_orgs as string[] : [];
  return orgId ?? (keyOrgs.length === 1 ? keyOrgs[0] : undefined);
}
