/** @module SQL of backups and restores: the schema version a database is at. */
import type { Sql } from "../common/db.ts";

/** The newest applied migration (0 before any, or when the table does not exist yet). */
export async function schemaVersionOf(sql: Sql): Promise<number> {
  const [{ exists }] = await sql<{ exists: boolean }[]>`
    select to_regclass('schema_migrations') is not null as exists`;
  if (!exists) return 0;
  const [{ v }] = await sql<{ v: number }[]>`
    select coalesce(max(version), 0)::int as v from schema_migrations`;
  return v;
}
