/** Preparing a database the way hosted Supabase has it: bootstrap (local only), migrations, seed. */
import postgres from "postgres";

export const repoRoot = new URL("../", import.meta.url).pathname;
/** The PostgreSQL server where tests and `npm run db:diff` may create and drop databases. */
export const testServerUrl = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const supabaseCli = `${repoRoot}node_modules/.bin/supabase`;
const bootstrapFile = `${repoRoot}supabase/bootstrap/local_supabase.sql`;

/** Runs SQL text (several statements) on a database, as the connecting role. */
export async function runSql(url: string, sqlText: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(sqlText);
  } finally {
    await sql.end();
  }
}

const READ_ONLY_ROLE = "tally_read_only";

/**
 * `url`'s database as reached through a read replica: a role whose transactions are read-only
 * (default_transaction_read_only = on) and that may act as anon and authenticated, as PostgREST's login role may.
 * npm test gives it to the functions as SUPABASE_READ_DB_URL. The role is the server's (roles are not per
 * database) and gets the same password as `url`'s.
 */
export async function readOnlyUrl(url: string): Promise<string> {
  const target = new URL(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`do $$ begin
      if not exists (select 1 from pg_catalog.pg_roles where rolname = '${READ_ONLY_ROLE}') then
        create role ${READ_ONLY_ROLE} login;
      end if;
    end $$`);
    await sql.unsafe(`grant anon, authenticated, service_role to ${READ_ONLY_ROLE}`);
    await sql.unsafe(`alter role ${READ_ONLY_ROLE} set default_transaction_read_only = on`);
    if (target.password) {
      const [{ statement }] = await sql`select format('alter role %I password %L', ${READ_ONLY_ROLE}::text,
        ${decodeURIComponent(target.password)}::text) as statement`;
      await sql.unsafe(statement);
    }
  } finally {
    await sql.end();
  }
  target.username = READ_ONLY_ROLE;
  return target.toString();
}

/** What hosted Supabase already has (roles, auth, extensions), for a plain PostgreSQL or PGlite; idempotent. */
export async function bootstrapDatabase(url: string) {
  await runSql(url, await Deno.readTextFile(bootstrapFile));
}

/**
 * Applies the Supabase-compatible bootstrap (idempotent), then the migrations (and the seed) through the real
 * supabase CLI, as `supabase db push` does against a hosted project.
 */
export async function prepareDatabase(url: string, options: { seed: boolean }) {
  await bootstrapDatabase(url);
  const args = ["db", "push", `--db-url=${url}`, "--yes"];
  if (options.seed) args.push("--include-seed");
  const push = await new Deno.Command(supabaseCli, {
    args,
    cwd: repoRoot,
    env: { PGSSLMODE: "disable", SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!push.success) {
    const decoder = new TextDecoder();
    throw new Error(
      `supabase db push failed:\n${decoder.decode(push.stdout)}${decoder.decode(push.stderr)}`,
    );
  }
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates throwaway databases next to `serverUrl`'s, hands their URLs to `work`, and drops them afterwards,
 * whatever happens.
 */
export async function withThrowawayDatabases<T>(
  serverUrl: string,
  purposes: string[],
  work: (urls: string[]) => Promise<T>,
): Promise<T> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const stamp = `${Date.now()}_${Deno.pid}_${Math.floor(Math.random() * 1e6)}`;
  const names = purposes.map((purpose) => `tally_${purpose}_${stamp}`);
  try {
    for (const name of names) await admin.unsafe(`create database ${name}`);
    return await work(names.map((name) => withDatabase(serverUrl, name)));
  } finally {
    for (const name of names) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
