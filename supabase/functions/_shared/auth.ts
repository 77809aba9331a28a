import { createMiddleware } from "hono/factory";
import { jwtVerify } from "jose";
import { ApiError } from "./errors.ts";
import { apiKeyClaims, type Claims } from "./db.ts";

/** The JWT secret `supabase start` uses. Local only: hosted projects set JWT_SECRET / SUPABASE_JWT_SECRET. */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export type AuthEnv = { Variables: { claims: Claims } };

const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

function jwtSecret(): Uint8Array {
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

/**
 * Reads the credential from `capgkey`, `x-api-key` or `authorization` (raw or `Bearer <key>`), and resolves it once:
 * a signed-in user's JWT acts with that user's full rights; an API key acts as its owner within its mode and limits.
 * The explicit key headers win because supabase-js always sends the project's anon key in `authorization`.
 */
export const authenticate = createMiddleware<AuthEnv>(async (c, next) => {
  const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "").trim();
  const candidates = [c.req.header("capgkey"), c.req.header("x-api-key"), bearer]
    .map((value) => value?.trim())
    .filter((value): value is string => !!value);
  let claims: Claims | undefined;
  for (const credential of candidates) {
    claims = looksLikeJwt(credential) ? await userJwtClaims(credential) : await resolveKey(credential);
    if (claims) break;
  }
  // A wrong key or token has thrown already: what is left is no credential, or only the project's anon token.
  if (!claims) throw new ApiError(401, "Invalid API key", undefined, { reason: "no_credentials" });
  c.set("claims", claims);
  await next();
});

async function resolveKey(secret: string): Promise<Claims> {
  if (secret.length > 200) throw new ApiError(401, "Invalid API key");
  const claims = await apiKeyClaims(secret);
  if (!claims) throw new ApiError(401, "Invalid API key");
  return claims;
}
