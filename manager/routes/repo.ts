/** @module SQL for routes. */
import type { Sql, Tx } from "../../common/db.ts";

/** A route as returned by the API. */
export interface RouteRow {
  id: string;
  app_id: string;
  script_id: string;
  method: string;
  path: string;
  host: string | null;
  created_at: Date;
}

/** Inserts a route; returns null when an equivalent route exists in the app. */
export async function insertRoute(
  tx: Tx,
  r: {
    appId: string;
    scriptId: string;
    method: string;
    path: string;
    host: string | null;
    shapeKey: string;
  },
): Promise<RouteRow | null> {
  const [row] = await tx<RouteRow[]>`
    insert into routes (app_id, script_id, method, path, host, shape_key)
    values (${r.appId}, ${r.scriptId}, ${r.method}, ${r.path}, ${r.host}, ${r.shapeKey})
    on conflict (app_id, shape_key) do nothing
    returning id, app_id, script_id, method, path, host, created_at`;
  return row ?? null;
}

/** Routes, optionally of one app. */
export async function listRoutes(sql: Sql, appId: string | null): Promise<RouteRow[]> {
  return [
    ...await sql<RouteRow[]>`
      select id, app_id, script_id, method, path, host, created_at from routes
      where ${appId === null ? sql`true` : sql`app_id = ${appId}`}
      order by path, method`,
  ];
}

/** Deletes a route; false if it did not exist. */
export async function deleteRoute(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`delete from routes where id = ${id} returning id`;
  return rows.length > 0;
}

/** The app's domain claim patterns. */
export async function appClaimPatterns(sql: Sql | Tx, appId: string): Promise<string[]> {
  const rows = await sql<{ pattern: string }[]>`
    select pattern from app_domains where app_id = ${appId}`;
  return rows.map((r) => r.pattern);
}
