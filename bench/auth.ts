/**
 * Failed key authentication in the benchmark: p50 of a request with each kind of wrong secret (all answered 401 after
 * the same one query), interleaved with the trivial endpoint, so that a difference in time between the kinds shows.
 */
import postgres from "postgres";
import type { Latency, Measure } from "./latency.ts";

const EXPIRED_KEY = "tally_bench-expired-key-0000000000000000";

/** A key of the bench user that expired a minute ago (added to a kept database too). */
export async function prepareWrongKeys(databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`insert into public.apikeys (user_id, key_hash, key_prefix, name, mode, expires_at)
    select user_id, private.secret_hash(${EXPIRED_KEY}), 'tally_bench-', 'expired', 'read', now() - interval '1 minute'
    from public.apikeys where id = 1
    on conflict (key_hash) do update set expires_at = excluded.expires_at`;
  await sql.end();
}

export async function measureWrongKeys(latency: Measure): Promise<Record<string, Latency>> {
  const kinds: Record<string, string> = {
    "malformed key": "not a key",
    "malformed key, 5,000 characters": "k".repeat(5_000),
    "unknown key": `tally_${crypto.randomUUID()}`,
    "expired key": EXPIRED_KEY,
    "token that does not verify": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  };
  const measures: Record<string, Latency> = {};
  for (const [kind, secret] of Object.entries(kinds)) {
    measures[`401, ${kind}`] = await latency("app?app_id=com.bench.big", {
      headers: () => ({ authorization: secret }),
      status: 401,
    });
  }
  return measures;
}
