/**
 * Request rate limits, kept in Postgres (private.take_rate_limit) so that they hold across edge instances and
 * restarts. Every limited response carries the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers):
 * RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds until the quota is whole again) and
 * RateLimit-Policy; a refused request is a 429 with Retry-After, and its handler never runs.
 *
 * Configuration (environment, `<requests>/<seconds>s`, e.g. `100/1s`), most specific first:
 * TALLY_RATE_LIMIT_<KIND>_<FUNCTION>, then TALLY_RATE_LIMIT_<KIND>, then the function's own default, then 100 per
 * second per key, 60 per minute per public client and 10 failed key authentications per minute per client address
 * (KIND: KEY, PUBLIC, AUTH_FAILURES).
 */
import type { Context } from "hono";
import { database } from "./db.ts";
import { ApiError } from "./errors.ts";

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** What the database decided for one request. */
export interface RateVerdict {
  allowed: boolean;
  remaining: number;
  reset_seconds: number;
  retry_after_seconds: number;
}

export const DEFAULT_KEY_RATE_LIMIT: RateLimit = { limit: 100, windowSeconds: 1 };
export const DEFAULT_PUBLIC_RATE_LIMIT: RateLimit = { limit: 60, windowSeconds: 60 };
export const DEFAULT_AUTH_FAILURE_RATE_LIMIT: RateLimit = { limit: 10, windowSeconds: 60 };

const DEFAULTS = {
  key: DEFAULT_KEY_RATE_LIMIT,
  public: DEFAULT_PUBLIC_RATE_LIMIT,
  auth_failures: DEFAULT_AUTH_FAILURE_RATE_LIMIT,
};

const SETTING = /^(\d{1,9})\/(\d{1,7})s$/;

export function parseRateLimit(name: string, text: string): RateLimit {
  const match = SETTING.exec(text.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new Error(`${name} must read <requests>/<seconds>s with both at least 1, e.g. 100/1s (got "${text}")`);
  }
  return { limit: Number(match[1]), windowSeconds: Number(match[2]) };
}

/** The limit of one kind of caller of one function, from the environment or the defaults. */
export function configuredRateLimit(
  functionName: string,
  kind: keyof typeof DEFAULTS,
  functionDefault: RateLimit | undefined,
): RateLimit {
  const general = `TALLY_RATE_LIMIT_${kind.toUpperCase()}`;
  for (const name of [`${general}_${functionName.toUpperCase()}`, general]) {
    const text = Deno.env.get(name);
    if (text) return parseRateLimit(name, text);
  }
  return functionDefault ?? DEFAULTS[kind];
}

/** Counts one request of a bucket (nothing is counted when it is refused). */
export async function takeRateLimit(bucket: string, { limit, windowSeconds }: RateLimit): Promise<RateVerdict> {
  const [verdict] = await database()<RateVerdict[]>`
    select * from private.take_rate_limit(${bucket}, ${limit}::integer, ${windowSeconds}::integer)`;
  return verdict;
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`;

/** Writes the headers; a refused request ends here with a 429 in the surface's error shape. */
export function enforceRateLimit(c: Context, { limit, windowSeconds }: RateLimit, verdict: RateVerdict) {
  c.header("RateLimit-Limit", String(limit));
  c.header("RateLimit-Remaining", String(verdict.remaining));
  c.header("RateLimit-Reset", String(verdict.reset_seconds));
  c.header("RateLimit-Policy", `${limit};w=${windowSeconds}`);
  if (verdict.allowed) return;
  const wait = verdict.retry_after_seconds;
  c.header("Retry-After", String(wait));
  throw new ApiError(429, `Rate limit exceeded, retry in ${plural(wait, "second")}`, undefined, {
    retryAfterSeconds: wait,
  });
}
