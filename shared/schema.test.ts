/**
 * The drift test: a database built from supabase/migrations and one built from supabase/schemas must be the same,
 * so that the schema files stay the one current definition of every object and the migrations deploy exactly it.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { withThrowawayDatabases } from "./database.ts";
import { buildFromMigrations, buildFromSchemaFiles, schemaDiff } from "./schema.ts";

const serverUrl = Deno.env.get("SUPABASE_DB_URL");

/** Every table's columns in their physical order, which pg-delta does not compare. */
async function columnOrder(url: string): Promise<Record<string, string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ table_name: string; columns: string }[]>`
      select c.oid::regclass::text as table_name, string_agg(a.attname, ', ' order by a.attnum) as columns
      from pg_catalog.pg_class as c
      join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
      join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname in ('public', 'private') and c.relkind in ('r', 'p', 'v')
      group by c.oid`;
    return Object.fromEntries(rows.map((row) => [row.table_name, row.columns]));
  } finally {
    await sql.end();
  }
}

Deno.test("schema drift: the migrations and supabase/schemas build the same database (npm run db:diff has nothing to write)", async () => {
  if (!serverUrl) throw new Error("SUPABASE_DB_URL is not set: run the tests through `npm test`");
  await withThrowawayDatabases(
    serverUrl,
    ["drift_migrations", "drift_schemas"],
    async ([fromMigrations, fromSchemas]) => {
      await Promise.all([buildFromMigrations(fromMigrations), buildFromSchemaFiles(fromSchemas)]);

      assert.equal(await schemaDiff(fromMigrations, fromSchemas), "", "run `npm run db:diff -- <name>` and review it");
      assert.deepEqual(await columnOrder(fromSchemas), await columnOrder(fromMigrations));

      // The comparison sees what it should: one changed comment is reported.
      const sql = postgres(fromSchemas, { max: 1 });
      await sql`comment on column public.orgs.name is 'Changed by the drift test.'`;
      await sql.end();
      assert.match(await schemaDiff(fromMigrations, fromSchemas), /COMMENT ON COLUMN "public"\."orgs"\."name"/);
    },
  );
});
