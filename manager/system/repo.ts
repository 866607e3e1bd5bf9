/** @module SQL for the system overview: the schema version and the apps' slugs by id. */
import type { Sql } from "../../common/db.ts";

/** The newest applied migration (0 before any). */
export async function schemaVersion(sql: Sql): Promise<number> {
  const [{ v }] = await sql<{ v: number }[]>`
    select coalesce(max(version), 0)::int as v from schema_migrations`;
  return v;
}

/** The slugs of the given apps, by id (deleted apps are missing). */
export async function appSlugs(sql: Sql, ids: string[]): Promise<Map<string, string>> {
  const uuids = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (uuids.length === 0) return new Map();
  const rows = await sql<{ id: string; slug: string }[]>`
    select id, slug from apps where id = any(${uuids}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.slug]));
}
