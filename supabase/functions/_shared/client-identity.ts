/**
 * Who a public caller is, without keeping who they are: an HMAC (SHA-256, under a server secret) of the caller's
 * address and user agent. The address is the last entry of x-forwarded-for, the one the platform's proxy appends
 * (entries before it are whatever the client sent), else the connection's own address.
 *
 * The secret is TALLY_CLIENT_HASH_SECRET, else the project's JWT secret (also server-only).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { encodeBase64 } from "hono/utils/encode";
import type { AuthEnv } from "./auth.ts";
import { jwtSecret } from "./secrets.ts";
import { enforceRateLimit, type RateLimit, takeRateLimit } from "./rate-limit.ts";

let hmacKey: Promise<CryptoKey> | undefined;

function key(): Promise<CryptoKey> {
  const configured = Deno.env.get("TALLY_CLIENT_HASH_SECRET");
  hmacKey ??= crypto.subtle.importKey(
    "raw",
    configured ? new TextEncoder().encode(configured) : jwtSecret(),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hmacKey;
}

/** The caller's address as the platform saw it. */
export function clientAddress(c: Context): string {
  const forwarded = c.req.header("x-forwarded-for")?.split(",").map((entry) => entry.trim()).filter(Boolean);
  if (forwarded?.length) return forwarded[forwarded.length - 1];
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "";
}

async function keyedHash(identity: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await key(), new TextEncoder().encode(identity)));
}

/** The keyed hash of the caller's address and user agent (32 bytes). */
export function clientHash(c: Context): Promise<Uint8Array<ArrayBuffer>> {
  return keyedHash(`${clientAddress(c)}\n${c.req.header("user-agent") ?? ""}`);
}

/** The rate-limit bucket of a caller's failed key authentications: its address alone (a user agent costs nothing
 * to change). */
export async function authFailureBucket(c: Context): Promise<string> {
  return `auth-failures:${encodeBase64((await keyedHash(clientAddress(c))).buffer)}`;
}

/** A public route: no credential; the caller is known by a keyed hash, and limited by it. */
export function publicClient(limit: RateLimit) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const client = await clientHash(c);
    enforceRateLimit(c, limit, await takeRateLimit(`client:${encodeBase64(client.buffer)}`, limit));
    c.set("client", client);
    await next();
  });
}
