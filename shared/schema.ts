/**
 * The two ways a database schema is built here, and their difference. supabase/schemas/ holds the current
 * definition of every SQL object (applied in the order config.toml lists); supabase/migrations/ is what
 * `supabase db push` deploys. Building one throwaway database from each and diffing them with pg-delta
 * (`supabase db diff --use-pg-delta --from <url> --to <url>`, which needs no Docker) gives the next migration, and,
 * when nothing is pending, nothing: the drift test.
 */
import postgres from "postgres";
import { parse as parseToml } from "smol-toml";
import { bootstrapDatabase, prepareDatabase, repoRoot, supabaseCli } from "./database.ts";

/** The schema files, in the order `[db.migrations] schema_paths` of supabase/config.toml lists them. */
export async function schemaFiles(): Promise<string[]> {
  const config = parseToml(await Deno.readTextFile(`${repoRoot}supabase/config.toml`)) as {
    db?: { migrations?: { schema_paths?: string[] } };
  };
  const paths = config.db?.migrations?.schema_paths;
  if (!paths?.length) throw new Error("supabase/config.toml lists no [db.migrations] schema_paths");
  return paths.map((path) => new URL(path, `file://${repoRoot}supabase/`).pathname);
}

/** Bootstrap, then every schema file in order, in one transaction. */
export async function buildFromSchemaFiles(url: string) {
  await bootstrapDatabase(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      for (const file of await schemaFiles()) {
        try {
          await tx.unsafe(await Deno.readTextFile(file));
        } catch (error) {
          throw new Error(`${file.slice(repoRoot.length)}: ${(error as Error).message}`);
        }
      }
    });
  } finally {
    await sql.end();
  }
}

/** Bootstrap, then the migrations through `supabase db push`, as a deployment applies them (no seed). */
export function buildFromMigrations(url: string) {
  return prepareDatabase(url, { seed: false });
}

/** The SQL that turns the first database's schema into the second's; empty when they are the same. */
export async function schemaDiff(fromUrl: string, toUrl: string): Promise<string> {
  const diff = await new Deno.Command(supabaseCli, {
    args: ["db", "diff", "--use-pg-delta", "--from", fromUrl, "--to", toUrl],
    cwd: repoRoot,
    env: { PGSSLMODE: "disable", SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!diff.success) throw new Error(`supabase db diff failed:\n${decoder.decode(diff.stderr)}`);
  return decoder.decode(diff.stdout).trim();
}

/**
 * The migration that brings `currentUrl` to `wantedUrl`'s schema. pg-delta's diff is applied to the current database
 * and the two are diffed again until nothing is left: a function it re-creates is granted to anon by the project's
 * default privileges, which pg-delta does not model, so a second pass revokes that. Applying each pass also proves
 * that the migration applies.
 */
export async function migrationSql(currentUrl: string, wantedUrl: string, maxPasses = 3): Promise<string> {
  const passes: string[] = [];
  for (let pass = 0; pass < maxPasses; pass++) {
    const diff = await schemaDiff(currentUrl, wantedUrl);
    if (!diff) return passes.join("\n\n");
    const sql = postgres(currentUrl, { max: 1, onnotice: () => {} });
    try {
      await sql.begin((tx) => tx.unsafe(diff));
    } finally {
      await sql.end();
    }
    passes.push(pass === 0 ? diff : `-- Pass ${pass + 1}: what the statements above left different.\n${diff}`);
  }
  throw new Error(`the schemas still differ after ${maxPasses} passes:\n${await schemaDiff(currentUrl, wantedUrl)}`);
}
