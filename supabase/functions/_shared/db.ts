import postgres from "postgres";
import type { RateLimit, RateVerdict } from "./rate-limit.ts";

/** Claims the request acts with, as PostgREST would put them in request.jwt.claims. */
export type Claims = { sub: string; role: "authenticated" } & Record<string, unknown>;

let pool: postgres.Sql | undefined;
let readPool: postgres.Sql | undefined;

function openPool(url: string, applicationName: string): postgres.Sql {
  return postgres(url, {
    max: Number(Deno.env.get("TALLY_DB_POOL_SIZE") ?? 10),
    prepare: true,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
}

/** The connection pool to SUPABASE_DB_URL, opened on first use. */
export function database(): postgres.Sql {
  if (!pool) {
    const url = Deno.env.get("SUPABASE_DB_URL");
    if (!url) throw new Error("SUPABASE_DB_URL is not set");
    pool = openPool(url, "tally-functions");
  }
  return pool;
}

/**
 * The pool statistics are read through: SUPABASE_READ_DB_URL (a read replica's URL) when it is set, else the
 * primary's. Only readAs() and readAnonymously() use it; authentication and rate limits write, so they stay on
 * the primary.
 */
function readDatabase(): postgres.Sql {
  const url = Deno.env.get("SUPABASE_READ_DB_URL");
  if (!url) return database();
  readPool ??= openPool(url, "tally-functions-read");
  return readPool;
}

export async function closeDatabase() {
  await Promise.all([pool?.end({ timeout: 5 }), readPool?.end({ timeout: 5 })]);
  pool = readPool = undefined;
}

/**
 * Calls one SQL function as the caller: inside one transaction, switch to role authenticated and set
 * request.jwt.claims (both local to the transaction), exactly as PostgREST does, so row-level security decides.
 * Arguments are passed by name, as supabase.rpc() does.
 */
export function callAs<T = unknown>(claims: Claims, sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("authenticated", claims, sqlFunction, args, "primary");
}

/** Calls one SQL function as PostgREST does for a request without credentials: role anon. */
export function callAnonymously<T = unknown>(sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("anon", { role: "anon" }, sqlFunction, args, "primary");
}

/**
 * callAs() for statistics: in a read-only transaction, through the read replica when SUPABASE_READ_DB_URL is set.
 */
export function readAs<T = unknown>(claims: Claims, sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("authenticated", claims, sqlFunction, args, "replica");
}

/** callAnonymously() for statistics, as readAs(). */
export function readAnonymously<T = unknown>(sqlFunction: string, args: Record<string, unknown> = {}) {
  return callWithRole<T>("anon", { role: "anon" }, sqlFunction, args, "replica");
}

async function callWithRole<T>(
  role: "authenticated" | "anon",
  claims: Record<string, unknown>,
  sqlFunction: string,
  args: Record<string, unknown>,
  target: "primary" | "replica",
): Promise<T> {
  if (!/^[a-z_]+\.[a-z_]+$/.test(sqlFunction)) throw new Error(`not a function name: ${sqlFunction}`);
  const defined = Object.entries(args).filter(([, value]) => value !== undefined);
  const argList = defined.map(([name], i) => {
    if (!/^p_[a-z_]+$/.test(name)) throw new Error(`not an argument name: ${name}`);
    return `${name} => $${i + 1}`;
  }).join(", ");
  const values = defined.map(([, value]) => value) as postgres.ParameterOrJSON<never>[];
  const statements = (tx: postgres.TransactionSql) => [
    tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`,
    tx.unsafe(`select ${sqlFunction}(${argList}) as result`, values),
  ];
  // Both statements go in one pipeline (the server runs them in order): one round trip fewer per call.
  const [, rows] = target === "replica"
    ? await readDatabase().begin("read only", statements)
    : await database().begin(statements);
  return rows[0].result as T;
}

/** What private.resolve_api_key decided: the key's claims (null for a failure) and the verdict of the limit taken. */
export interface KeyResolution extends RateVerdict {
  claims: Claims | null;
  too_many_failures: boolean;
}

/**
 * Resolves an API key secret to its claims and counts the request against the key's rate limit, in one round trip.
 * A secret that resolves to nothing (malformed, unknown, expired or deleted: one path for all) counts a failure of
 * the client's bucket instead; a client over its failure limit is refused before any lookup. Runs as the pool's role.
 */
export async function resolveApiKey(
  secret: string,
  keyLimit: RateLimit,
  clientBucket: string,
  failureLimit: RateLimit,
): Promise<KeyResolution> {
  const [row] = await database()<KeyResolution[]>`
    select * from private.resolve_api_key(${secret}, ${keyLimit.limit}::integer, ${keyLimit.windowSeconds}::integer,
      ${clientBucket}, ${failureLimit.limit}::integer, ${failureLimit.windowSeconds}::integer)`;
  return row;
}
