/** @module SQL for apps. */
import type { Sql, Tx } from "../../common/db.ts";

/** An app as returned by the API. */
export interface AppRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds an app by id or slug. */
export async function findApp(sql: Sql | Tx, idOrSlug: string): Promise<AppRow | null> {
  const rows = uuidRe.test(idOrSlug)
    ? await sql<AppRow[]>`select id, slug, name, created_at from apps where id = ${idOrSlug}`
    : await sql<AppRow[]>`select id, slug, name, created_at from apps where slug = ${idOrSlug}`;
  return rows[0] ?? null;
}

/** Apps by slug: all of them, or those with the given ids. */
export async function listApps(sql: Sql, ids: string[] | null): Promise<AppRow[]> {
  return [
    ...await sql<AppRow[]>`
      select id, slug, name, created_at from apps
      where ${ids === null ? sql`true` : sql`id = any(${ids}::uuid[])`}
      order by slug`,
  ];
}
