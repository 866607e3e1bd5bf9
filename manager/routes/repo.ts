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

/** Routes of the given apps (null: all apps). */
export async function listRoutes(sql: Sql, appIds: string[] | null): Promise<RouteRow[]> {
  return [
    ...await sql<RouteRow[]>`
      select id, app_id, script_id, method, path, host, created_at from routes
      where ${appIds === null ? sql`true` : sql`app_id = any(${appIds}::uuid[])`}
      order by path, method`,
  ];
}

/** One route by id. */
export async function findRoute(sql: Sql, id: string): Promise<RouteRow | null> {
  const [row] = await sql<RouteRow[]>`
    select id, app_id, script_id, method, path, host, created_at from routes where id = ${id}`;
  return row ?? null;
}

/** Deletes a route; null if it did not exist. */
export async function deleteRoute(tx: Tx, id: string): Promise<RouteRow | null> {
  const [row] = await tx<RouteRow[]>`
    delete from routes where id = ${id}
    returning id, app_id, script_id, method, path, host, created_at`;
  return row ?? null;
}

/** The app's domain claim patterns. */
export async function appClaimPatterns(sql: Sql | Tx, appId: string): Promise<string[]> {
  const rows = await sql<{ pattern: string }[]>`
    select pattern from app_domains where app_id = ${appId}`;
  return rows.map((r) => r.pattern);
}
