/** The JWT secret `supabase start` uses. Local only: hosted projects set JWT_SECRET / SUPABASE_JWT_SECRET. */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export function jwtSecret(): Uint8Array<ArrayBuffer> {
  const secret = Deno.env.get("JWT_SECRET") ?? Deno.env.get("SUPABASE_JWT_SECRET") ?? LOCAL_JWT_SECRET;
  return new TextEncoder().encode(secret);
}
