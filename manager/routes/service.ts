/**
 * @module The routes service: list, create, change and delete routes (a method, path and optional
 * claimed host leading to a script of the same app). Reading needs app viewer, writing app editor;
 * every change is audited and notifies routing. No HTTP here.
 */
import type { Tx } from "../../common/db.ts";
import { ApiError } from "../../common/errors.ts";
import { parseDomainPattern } from "../../orchestrator/mod.ts";
import { matchDomainPattern } from "../../orchestrator/mod.ts";
import { routeShapeKey } from "../../orchestrator/mod.ts";
import { findApp } from "../apps/repo.ts";
import { appFor } from "../apps/service.ts";
import { UUID_SHAPE } from "../apps/slugs.ts";
import { recordChange } from "../audit/service.ts";
import { assertCan, type Principal, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { findScript } from "../scripts/repo.ts";
import {
  appClaimPatterns,
  deleteRoute as deleteRouteRow,
  findRoute,
  insertRoute,
  listRoutes as listRouteRows,
  lockRoute,
  type RouteRow,
  updateRoute as updateRouteRow,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing">;

/** The routes of one app (by id or slug), or of every app the caller can see. */
export async function listRoutes(
  deps: Pick<Deps, "sql">,
  p: Principal,
  appRef?: string,
): Promise<RouteRow[]> {
  if (!appRef) return await listRouteRows(deps.sql, visibleAppIds(p));
  const app = await appFor(deps, p, appRef, "route.read");
  return await listRouteRows(deps.sql, [app.id]);
}

/** A new route to a script of the app; its host must be one the app claims. */
export async function createRoute(
  deps: Deps,
  p: Principal,
  input: { app_id: string; script_id: string; method: string; path: string; host: string | null },
): Promise<RouteRow> {
  // The pattern's own errors (400) come before the app is looked up, as they always have.
  const host = input.host === null ? null : parseDomainPattern(input.host).pattern;
  const shapeKey = routeShapeKey(input.method, input.path, host);
  const app = await appFor(deps, p, input.app_id, "route.write");
  const route = await deps.sql.begin(async (tx) => {
    const scriptId = await assertScriptIn(tx, input.script_id, app);
    if (host !== null) await assertHostClaimed(tx, app, host);
    const row = await insertRoute(tx, {
      appId: app.id,
      scriptId,
      method: input.method,
      path: input.path,
      host,
      shapeKey,
    });
    if (!row) throw routeConflict(app.slug, input);
    await recordChange(tx, p, {
      action: "route.create",
      resourceId: row.id,
      appId: app.id,
      before: null,
      after: row,
    });
    return row;
  });
  await deps.routing.notifyChanged();
  return route;
}

/** Changes a route's script, method, path or host (`host: null` lifts the restriction). */
export async function updateRoute(
  deps: Deps,
  p: Principal,
  id: string,
  input: { script_id?: string; method?: string; path?: string; host?: string | null },
): Promise<RouteRow> {
  const found = await routeFor(deps, p, id);
  const host = input.host ? parseDomainPattern(input.host).pattern : input.host;
  const app = await findApp(deps.sql, found.app_id);
  if (!app) throw routeNotFound(id);
  const route = await deps.sql.begin(async (tx) => {
    const before = await lockRoute(tx, id);
    if (!before) throw routeNotFound(id);
    const next = {
      scriptId: input.script_id ?? before.script_id,
      method: input.method ?? before.method,
      path: input.path ?? before.path,
      host: host === undefined ? before.host : host,
    };
    const shapeKey = routeShapeKey(next.method, next.path, next.host);
    if (next.scriptId !== before.script_id) await assertScriptIn(tx, next.scriptId, app);
    if (next.host !== null && next.host !== before.host) {
      await assertHostClaimed(tx, app, next.host);
    }
    const after = await updateRouteRow(tx, { id, ...next, shapeKey });
    if (!after) throw routeConflict(app.slug, next);
    await recordChange(tx, p, {
      action: "route.update",
      resourceId: id,
      appId: app.id,
      before,
      after,
    });
    return after;
  });
  await deps.routing.notifyChanged();
  return route;
}

/** Deletes a route. */
export async function deleteRoute(deps: Deps, p: Principal, id: string): Promise<void> {
  await routeFor(deps, p, id);
  const gone = await deps.sql.begin(async (tx) => {
    const row = await deleteRouteRow(tx, id);
    if (row) {
      await recordChange(tx, p, {
        action: "route.delete",
        resourceId: id,
        appId: row.app_id,
        before: row,
        after: null,
      });
    }
    return row;
  });
  if (!gone) throw routeNotFound(id);
  await deps.routing.notifyChanged();
}

/** The route, when the caller may change it (a route of an invisible app is not found). */
async function routeFor(deps: Pick<Deps, "sql">, p: Principal, id: string): Promise<RouteRow> {
  const found = UUID_SHAPE.test(id) ? await findRoute(deps.sql, id) : null;
  if (!found) throw routeNotFound(id);
  assertCan(p, "route.write", { appId: found.app_id, notFound: routeNotFound(id) });
  return found;
}

/** The id of the app's script `scriptId`; 404 `script_not_found` when the app has no such script. */
async function assertScriptIn(tx: Tx, scriptId: string, app: { id: string; slug: string }) {
  const script = await findScript(tx, scriptId);
  if (!script || script.app_id !== app.id) {
    throw new ApiError("script_not_found", `No script ${scriptId} in ${app.slug}`);
  }
  return script.id;
}

/** A route's host must be one of the app's claims, or a concrete host one of them matches. */
async function assertHostClaimed(tx: Tx, app: { id: string; slug: string }, host: string) {
  const claims = await appClaimPatterns(tx, app.id);
  const ok = claims.some((c) => c === host || matchDomainPattern(parseDomainPattern(c), host));
  if (!ok) {
    throw new ApiError("host_not_claimed", `The app ${app.slug} does not claim ${host}`, {
      claims,
    });
  }
}

function routeNotFound(id: string) {
  return new ApiError("route_not_found", `No route ${id}`);
}

function routeConflict(slug: string, r: Pick<RouteRow, "method" | "path">) {
  return new ApiError("route_conflict", `An equivalent route already exists in ${slug}`, {
    method: r.method,
    path: r.path,
  });
}
