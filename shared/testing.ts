/**
 * What the Deno tests share: a supabase-js client pointed at the running functions, users made the way the auth
 * admin API would (rows in auth.users), JWTs signed with the local secret, and an invoke() that returns status + body.
 */
import { createClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import postgres from "postgres";
import { LOCAL_JWT_SECRET } from "../supabase/functions/_shared/secrets.ts";

const supabaseUrl = Deno.env.get("SUPABASE_URL") ?? "http://127.0.0.1:54321";
const databaseUrl = Deno.env.get("SUPABASE_DB_URL");
if (!databaseUrl) throw new Error("SUPABASE_DB_URL is not set: run the tests through `npm test`");

/** Direct database access, for fixtures only (as an admin script would); assertions go through HTTP. */
export const adminDb = postgres(databaseUrl, { max: 2, onnotice: () => {} });

const secret = new TextEncoder().encode(LOCAL_JWT_SECRET);

export function signJwt(claims: Record<string, unknown>, expiresIn = "1h"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setExpirationTime(expiresIn)
    .sign(secret);
}

export const supabase = createClient(supabaseUrl, await signJwt({ role: "anon" }, "10y"), {
  auth: { persistSession: false, autoRefreshToken: false },
});

export interface TestUser {
  id: string;
  email: string;
  /** A signed-in session token for this user. */
  jwt: string;
}

export async function createUser(handle: string): Promise<TestUser> {
  const email = `${handle}-${crypto.randomUUID().slice(0, 8)}@test.local`;
  const [{ id }] = await adminDb`insert into auth.users (email) values (${email}) returning id`;
  const jwt = await signJwt({ sub: id, role: "authenticated", aud: "authenticated", email });
  return { id, email, jwt };
}

// deno-lint-ignore no-explicit-any
export interface Reply<T = any> {
  status: number;
  data: T;
  contentType: string | null;
}

/**
 * Calls a function as a user would, through supabase.functions.invoke. `credential` is an API key or a user JWT,
 * sent in `authorization` (or in the header named by `header`).
 */
// deno-lint-ignore no-explicit-any
export async function invoke<T = any>(
  path: string,
  options: {
    method?: "GET" | "POST" | "PUT" | "DELETE";
    credential?: string;
    header?: "authorization" | "capgkey" | "x-api-key";
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.credential) headers[options.header ?? "authorization"] = options.credential;
  const { data, error, response } = await supabase.functions.invoke(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body as Record<string, unknown> | undefined,
  });
  if (!response) throw error;
  if (error) {
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, data: parsed as T, contentType: response.headers.get("content-type") };
  }
  return { status: response.status, data: data as T, contentType: response.headers.get("content-type") };
}

/** The functions' base URL, for calls that need what supabase-js hides (response headers) or must not send. */
export const functionsUrl = `${supabaseUrl}/functions/v1`;

/** A plain HTTP call to a function: status, parsed JSON body (or text) and headers. */
// deno-lint-ignore no-explicit-any
export async function call<T = any>(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply<T> & { headers: Headers }> {
  const response = await fetch(`${functionsUrl}/${path}`, {
    method: init.method ?? "GET",
    headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let data: unknown = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.status,
    data: data as T,
    contentType: response.headers.get("content-type"),
    headers: response.headers,
  };
}

/** Deno.test with the sanitizers off: the shared connection pools live across tests. */
export function test(name: string, fn: () => Promise<void>) {
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });
}

/** A user with an organization created over HTTP, and an API key of the given mode on it. */
export async function createOrgWithKey(handle: string, mode: "read" | "upload" | "write" | "all" = "all") {
  const owner = await createUser(handle);
  const created = await invoke<{ id: string }>("organization", {
    method: "PUT",
    credential: owner.jwt,
    body: { name: `${handle} org` },
  });
  if (created.status !== 200) throw new Error(`org create failed: ${JSON.stringify(created.data)}`);
  const key = await createKey(owner.jwt, { org_id: created.data.id, mode });
  return { owner, orgId: created.data.id, key };
}

/** Creates an API key over HTTP and returns its secret. */
export async function createKey(credential: string, body: Record<string, unknown>): Promise<string> {
  const reply = await invoke<{ apikey: { key: string } }>("apikey", { method: "POST", credential, body });
  if (reply.status !== 200) throw new Error(`key create failed: ${JSON.stringify(reply.data)}`);
  return reply.data.apikey.key;
}

/** createOrgWithKey plus one app created over HTTP, with a unique reverse-domain id. */
export async function createOrgWithApp(handle: string) {
  const org = await createOrgWithKey(handle);
  const appId = `com.test.${handle.replaceAll("-", "")}${crypto.randomUUID().slice(0, 8)}`;
  const created = await invoke("app", {
    method: "POST",
    credential: org.key,
    body: { owner_org: org.orgId, app_id: appId, name: handle },
  });
  if (created.status !== 200) throw new Error(`app create failed: ${JSON.stringify(created.data)}`);
  return { ...org, appId };
}
