import postgres from "postgres";
import type { RateLimit, RateVerdict } from "./rate-limit.ts";

/** Claims the request acts with, as PostgREST would put them in request.jwt.claims. */
export type Claims = { sub: string; role: "authenticated" } & Record<string, unknown>;

let pool: postgres.Sql | undefined;

/** The connection pool to SUPABASE_DB_URL, opened on first use. */
export function database(): postgres.Sql {
  if (!pool) {
    const url = Deno.env.get("SUPABASE_DB_URL");
    if (!url) throw new Error("SUPABASE_DB_URL is not set");
    pool = postgres(url, {
      max: Number(Deno.env.get("TALLY_DB_POOL_SIZE") ?? 10),
      prepare: true,
      onnotice: () => {},
      connection: { application_name: "tally-functions" },
    });
  }
  return pool;
}

export async function closeDatabase() {
  await pool?.end({ timeout: 5 });
  pool = undefined;
}

/**
 * Calls one SQL function as the caller: inside one transaction, switch to role authenticated and set
 * request.jwt.claims (both local to the transaction), exactly as PostgREST does, so row-level security decides.
 * Arguments are passed by name, as supabase.rpc() does.
 */
export function callAs<T = unknown>(claims: Claims, sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("authenticated", claims, sqlFunction, args);
}

/** Calls one SQL function as PostgREST does for a request without credentials: role anon. */
export function callAnonymously<T = unknown>(sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("anon", { role: "anon" }, sqlFunction, args);
}

async function callWithRole<T>(
  role: "authenticated" | "anon",
  claims: Record<string, unknown>,
  sqlFunction: string,
  args: Record<string, unknown>,
): Promise<T> {
  if (!/^[a-z_]+\.[a-z_]+$/.test(sqlFunction)) throw new Error(`not a function name: ${sqlFunction}`);
  const defined = Object.entries(args).filter(([, value]) => value !== undefined);
  const argList = defined.map(([name], i) => {
    if (!/^p_[a-z_]+$/.test(name)) throw new Error(`not an argument name: ${name}`);
    return `${name} => $${i + 1}`;
  }).join(", ");
  const values = defined.map(([, value]) => value) as postgres.ParameterOrJSON<never>[];
  // Both statements go in one pipeline (the server runs them in order): one round trip fewer per call.
  const [, rows] = await database().begin((tx) => [
    tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`,
    tx.unsafe(`select ${sqlFunction}(${argList}) as result`, values),
  ]);
  return rows[0].result as T;
}

/**
 * Resolves an API key secret to its claims and counts the request against the key's rate limit, in one round trip;
 * null when the key is unknown or expired (and then nothing is counted). Runs as the pool's own role.
 */
export async function apiKeyClaims(
  secret: string,
  { limit, windowSeconds }: RateLimit,
): Promise<{ claims: Claims; verdict: RateVerdict } | null> {
  // take_rate_limit is strict: an unknown key (null claims) counts nothing.
  const [row] = await database()`
    select k.claims, r.allowed, r.remaining, r.reset_seconds, r.retry_after_seconds
    from private.apikey_claims(${secret}) as k (claims)
    left join lateral private.take_rate_limit('key:' || (k.claims ->> 'key_id'), ${limit}::integer,
      ${windowSeconds}::integer) as r on true`;
  if (!row?.claims) return null;
  const { claims, ...verdict } = row;
  return { claims: claims as Claims, verdict: verdict as RateVerdict };
}
