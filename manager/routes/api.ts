/** @module REST endpoints for routes: read needs app viewer, create and delete app editor. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { parseDomainPattern } from "../../orchestrator/domain_pattern.ts";
import { matchDomainPattern } from "../../orchestrator/host_table.ts";
import { ROUTE_METHODS, routeShapeKey } from "../../orchestrator/route_table.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { findScript } from "../scripts/repo.ts";
import { jsonBody } from "../validate.ts";
import { appClaimPatterns, deleteRoute, findRoute, insertRoute, listRoutes } from "./repo.ts";

const createRoute = z.strictObject({
  app_id: z.string().min(1).max(200).default("default"),
  script_id: z.uuid(),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(ROUTE_METHODS)),
  path: z.string().min(1).max(1024),
  host: z.string().min(1).max(300).nullable().default(null),
});

/** Binds `/routes` under the admin router. */
export function bindRoutesApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "me.read");
    const appParam = c.req.query("app");
    if (!appParam) return c.json({ items: await listRoutes(deps.sql, visibleAppIds(p)) });
    const app = await findApp(deps.sql, appParam);
    const notFound = new ApiError(404, "app_not_found", `No app ${appParam}`);
    if (!app) throw notFound;
    authorize(c, "route.read", { appId: app.id, notFound });
    return c.json({ items: await listRoutes(deps.sql, [app.id]) });
  });

  api.post("/", async (c) => {
    authorize(c, "me.read");
    const input = await jsonBody(c, createRoute);
    const host = input.host === null ? null : parseDomainPattern(input.host).pattern;
    const shapeKey = routeShapeKey(input.method, input.path, host);
    const app = await findApp(deps.sql, input.app_id);
    const notFound = new ApiError(404, "app_not_found", `No app ${input.app_id}`);
    if (!app) throw notFound;
    const p = authorize(c, "route.write", { appId: app.id, notFound });
    const route = await deps.sql.begin(async (tx) => {
      const script = await findScript(tx, input.script_id);
      if (!script || script.app_id !== app.id) {
        throw new ApiError(404, "script_not_found", `No script ${input.script_id} in ${app.slug}`);
      }
      if (host !== null) await assertHostClaimed(tx, app, host);
      const row = await insertRoute(tx, {
        appId: app.id,
        scriptId: script.id,
        method: input.method,
        path: input.path,
        host,
        shapeKey,
      });
      if (!row) {
        throw new ApiError(
          409,
          "route_conflict",
          `An equivalent route already exists in ${app.slug}`,
          {
            method: input.method,
            path: input.path,
          },
        );
      }
      await writeAudit(tx, {
        ...actorOf(p),
        action: "route.create",
        resourceType: "route",
        resourceId: row.id,
        appId: app.id,
        before: null,
        after: row,
      });
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json(route, 201);
  });

  api.delete("/:id", async (c) => {
    authorize(c, "me.read");
    const id = c.req.param("id");
    const notFound = new ApiError(404, "route_not_found", `No route ${id}`);
    const found = z.uuid().safeParse(id).success ? await findRoute(deps.sql, id) : null;
    if (!found) throw notFound;
    const p = authorize(c, "route.write", { appId: found.app_id, notFound });
    const gone = await deps.sql.begin(async (tx) => {
      const row = await deleteRoute(tx, id);
      if (row) {
        await writeAudit(tx, {
          ...actorOf(p),
          action: "route.delete",
          resourceType: "route",
          resourceId: id,
          appId: row.app_id,
          before: row,
          after: null,
        });
      }
      return row;
    });
    if (!gone) throw notFound;
    await deps.routing.notifyChanged();
    return c.body(null, 204);
  });

  return api;
}

/** A route's host must be one of the app's claims, or a concrete host one of them matches. */
async function assertHostClaimed(
  tx: Parameters<typeof appClaimPatterns>[0],
  app: { id: string; slug: string },
  host: string,
) {
  const claims = await appClaimPatterns(tx, app.id);
  const ok = claims.some((p) => p === host || matchDomainPattern(parseDomainPattern(p), host));
  if (!ok) {
    throw new ApiError(422, "host_not_claimed", `The app ${app.slug} does not claim ${host}`, {
      claims,
    });
  }
}
