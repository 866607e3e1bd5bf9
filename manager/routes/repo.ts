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

/** Locks and returns a route inside a transaction; null when it is gone. */
export async function lockRoute(tx: Tx, id: string): Promise<RouteRow | null> {
  const [row] = await tx<RouteRow[]>`
    select id, app_id, script_id, method, path, host, created_at from routes
    where id = ${id} for update`;
  return row ?? null;
}

/**
 * Rewrites a route; null when an equivalent route exists in the app. The update runs in a
 * savepoint so the unique violation a concurrent writer can cause leaves the transaction usable.
 */
export async function updateRoute(
  tx: Tx,
  r: {
    id: string;
    scriptId: string;
    method: string;
    path: string;
    host: string | null;
    shapeKey: string;
  },
): Promise<RouteRow | null> {
  try {
    return await tx.savepoint(async (sp) => {
      const [row] = await sp<RouteRow[]>`
        update routes set script_id = ${r.scriptId}, method = ${r.method}, path = ${r.path},
          host = ${r.host}, shape_key = ${r.shapeKey}
        where id = ${r.id}
        returning id, app_id, script_id, method, path, host, created_at`;
      return row ?? null;
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === "23505") return null;
    throw err;
  }
}
