import { createMiddleware } from "hono/factory";
import { jwtVerify } from "jose";
import { ApiError } from "./errors.ts";
import { apiKeyClaims, type Claims } from "./db.ts";
import { enforceRateLimit, type RateLimit, type RateVerdict, takeRateLimit } from "./rate-limit.ts";

/** The JWT secret `supabase start` uses. Local only: hosted projects set JWT_SECRET / SUPABASE_JWT_SECRET. */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export type AuthEnv = {
  Variables: {
    /** The caller's claims, on routes that need a credential. */
    claims: Claims;
    /** The keyed hash of a public caller (see client-identity.ts), on public routes. */
    client: Uint8Array;
  };
};

const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

export function jwtSecret(): Uint8Array<ArrayBuffer> {
  const secret = Deno.env.get("JWT_SECRET") ?? Deno.env.get("SUPABASE_JWT_SECRET") ?? LOCAL_JWT_SECRET;
  return new TextEncoder().encode(secret);
}

/** Claims of a signed-in user's token; undefined for anon/service tokens, which identify no user. */
async function userJwtClaims(token: string): Promise<Claims | undefined> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, jwtSecret(), { algorithms: ["HS256"] }));
  } catch {
    throw new ApiError(401, "Invalid API key");
  }
  if (payload.role !== "authenticated" || typeof payload.sub !== "string") return undefined;
  return { sub: payload.sub, role: "authenticated", email: payload.email };
}

/** A credential's claims and its rate-limit verdict, or undefined for the project's anon token. */
async function resolveCredential(
  credential: string,
  limit: RateLimit,
): Promise<{ claims: Claims; verdict: RateVerdict } | undefined> {
  if (looksLikeJwt(credential)) {
    const claims = await userJwtClaims(credential);
    return claims && { claims, verdict: await takeRateLimit(`user:${claims.sub}`, limit) };
  }
  const resolved = credential.length <= 200 ? await apiKeyClaims(credential, limit) : null;
  if (!resolved) throw new ApiError(401, "Invalid API key");
  return resolved;
}

/**
 * Reads the credential from `capgkey`, `x-api-key` or `authorization` (raw or `Bearer <key>`), and resolves it once:
 * a signed-in user's JWT acts with that user's full rights; an API key acts as its owner within its mode and limits.
 * The explicit key headers win because supabase-js always sends the project's anon key in `authorization`. The
 * request counts against the key's (or user's) rate limit.
 */
export function requireCredential(limit: RateLimit) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "").trim();
    const candidates = [c.req.header("capgkey"), c.req.header("x-api-key"), bearer]
      .map((value) => value?.trim())
      .filter((value): value is string => !!value);
    let resolved: Awaited<ReturnType<typeof resolveCredential>>;
    for (const credential of candidates) {
      resolved = await resolveCredential(credential, limit);
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
