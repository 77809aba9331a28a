/**
 * The demo data of supabase/seed.sql. LOCAL ONLY: these values are public, so never seed them into a hosted project.
 */
export const DEMO_API_KEY = "tally_local-demo-key-NOT-SECRET-do-not-deploy";
export const DEMO_ORG_ID = "7c6b2a10-4d3e-4f5a-9b8c-1d2e3f4a5b6c";
export const DEMO_APP_ID = "com.demo.app";
export const DEMO_USER_EMAIL = "demo@tally.local";
export const DEMO_INVITEE_EMAIL = "invitee@tally.local";

/**
 * POSTs a JSON body to one of the functions at `functionsUrl` (…/functions/v1) with the demo key (or `apiKey`);
 * returns the answer, and throws with its error when the status is not 2xx.
 */
export async function postAsDemo<T = Record<string, unknown>>(
  functionsUrl: string,
  path: string,
  body: unknown,
  apiKey = DEMO_API_KEY,
): Promise<T> {
  const response = await fetch(`${functionsUrl}/${path}`, {
    method: "POST",
    headers: { authorization: apiKey, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`demo data: POST /${path} answered ${response.status} ${JSON.stringify(answer)}`);
  return answer as T;
}

/** Ingests demo events in batches of `batchSize`; returns how many were new and how many already there. */
export async function ingestAsDemo(
  functionsUrl: string,
  events: unknown[],
  options: { orgId?: string; apiKey?: string; batchSize?: number } = {},
): Promise<{ accepted: number; duplicates: number }> {
  const size = options.batchSize ?? 1000;
  const total = { accepted: 0, duplicates: 0 };
  for (let i = 0; i < events.length; i += size) {
    const batch = await postAsDemo<{ accepted: number; duplicates: number }>(
      functionsUrl,
      "ingest",
      { ...(options.orgId ? { org_id: options.orgId } : {}), events: events.slice(i, i + size) },
      options.apiKey,
    );
    total.accepted += batch.accepted;
    total.duplicates += batch.duplicates;
  }
  return total;
}
