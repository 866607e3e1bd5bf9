/** @module REST endpoints for routes. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { parseDomainPattern } from "../../orchestrator/domain_pattern.ts";
import { matchDomainPattern } from "../../orchestrator/host_table.ts";
import { ROUTE_METHODS, routeShapeKey } from "../../orchestrator/route_table.ts";
import { findApp } from "../apps/repo.ts";
import type { ManagerDeps } from "../deps.ts";
import { findScript } from "../scripts/repo.ts";
import { jsonBody } from "../validate.ts";
import { appClaimPatterns, deleteRoute, insertRoute, listRoutes } from "./repo.ts";

const createRoute = z.strictObject({
  app_id: z.string().min(1).max(200).default("default"),
  script_id: z.uuid(),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(ROUTE_METHODS)),
  path: z.string().min(1).max(1024),
  host: z.string().min(1).max(300).nullable().default(null),
});

/** Binds `/routes` under the admin router. */
export function bindRoutesApi(deps: ManagerDeps): Hono {
  const api = new Hono();

  api.get("/", async (c) => {
    const appParam = c.req.query("app");
    const app = appParam ? await findApp(deps.sql, appParam) : null;
    if (appParam && !app) throw new ApiError(404, "app_not_found", `No app ${appParam}`);
    return c.json({ items: await listRoutes(deps.sql, app?.id ?? null) });
  });

  api.post("/", async (c) => {
    const input = await jsonBody(c, createRoute);
    const host = input.host === null ? null : parseDomainPattern(input.host).pattern;
    const shapeKey = routeShapeKey(input.method, input.path, host);
    const route = await deps.sql.begin(async (tx) => {
      const app = await findApp(tx, input.app_id);
      if (!app) throw new ApiError(404, "app_not_found", `No app ${input.app_id}`);
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
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json(route, 201);
  });

  api.delete("/:id", async (c) => {
    const id = c.req.param("id");
    const gone = z.uuid().safeParse(id).success && await deleteRoute(deps.sql, id);
    if (!gone) throw new ApiError(404, "route_not_found", `No route ${id}`);
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
