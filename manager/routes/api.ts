/** @module REST endpoints for routes: read needs app viewer; create, change and delete app editor. */
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
import type { EndpointDoc } from "../openapi_types.ts";
import { previewDoc } from "./preview_api.ts";
import { jsonBody } from "../validate.ts";
import {
  appClaimPatterns,
  deleteRoute,
  findRoute,
  insertRoute,
  listRoutes,
  lockRoute,
  type RouteRow,
  updateRoute,
} from "./repo.ts";

const routeMethod = z.string().transform((m) => m.toUpperCase()).pipe(z.enum(ROUTE_METHODS));
const routePath = z.string().min(1).max(1024).describe("`/users/:id`, `/files/*`");
const routeHost = z.string().min(1).max(300).describe(
  "One of the app's claims, or a concrete host one of them matches",
);

/** `POST /routes`. */
export const createRouteBody = z.strictObject({
  app_id: z.string().min(1).max(200).default("default").describe("The app's id or slug"),
  script_id: z.uuid(),
  method: routeMethod,
  path: routePath,
  host: routeHost.nullable().default(null),
});

/** `PATCH /routes/{id}`: any subset; `host: null` lifts the host restriction. */
export const updateRouteBody = z.strictObject({
  script_id: z.uuid().optional(),
  method: routeMethod.optional(),
  path: routePath.optional(),
  host: routeHost.nullable().optional(),
}).refine(
  (b) => Object.values(b).some((v) => v !== undefined),
  "Give script_id, method, path or host",
);

/** A route as returned. */
export const routeSchema = z.object({
  id: z.uuid(),
  app_id: z.uuid(),
  script_id: z.uuid(),
  method: z.enum(ROUTE_METHODS),
  path: z.string(),
  host: z.string().nullable(),
  created_at: z.iso.datetime({ offset: true }),
}).meta({ id: "Route" });

const uuid = z.uuid();

/** Binds `/routes` under the admin router. */
export function bindRoutesApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "me.read");
    const appParam = c.req.query("app");
    if (!appParam) return c.json({ items: await listRoutes(deps.sql, visibleAppIds(p)) });
    const app = await findApp(deps.sql, appParam);
    const notFound = new ApiError("app_not_found", `No app ${appParam}`);
    if (!app) throw notFound;
    authorize(c, "route.read", { appId: app.id, notFound });
    return c.json({ items: await listRoutes(deps.sql, [app.id]) });
  });

  api.post("/", async (c) => {
    authorize(c, "me.read");
    const input = await jsonBody(c, createRouteBody);
    const host = input.host === null ? null : parseDomainPattern(input.host).pattern;
    const shapeKey = routeShapeKey(input.method, input.path, host);
    const app = await findApp(deps.sql, input.app_id);
    const notFound = new ApiError("app_not_found", `No app ${input.app_id}`);
    if (!app) throw notFound;
    const p = authorize(c, "route.write", { appId: app.id, notFound });
    const route = await deps.sql.begin(async (tx) => {
      const script = await findScript(tx, input.script_id);
      if (!script || script.app_id !== app.id) {
        throw new ApiError("script_not_found", `No script ${input.script_id} in ${app.slug}`);
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
      if (!row) throw routeConflict(app.slug, input);
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

  api.patch("/:id", async (c) => {
    authorize(c, "me.read");
    const id = c.req.param("id");
    const notFound = routeNotFound(id);
    const found = uuid.safeParse(id).success ? await findRoute(deps.sql, id) : null;
    if (!found) throw notFound;
    const p = authorize(c, "route.write", { appId: found.app_id, notFound });
    const input = await jsonBody(c, updateRouteBody);
    const host = input.host ? parseDomainPattern(input.host).pattern : input.host;
    const app = await findApp(deps.sql, found.app_id);
    if (!app) throw notFound;
    const route = await deps.sql.begin(async (tx) => {
      const before = await lockRoute(tx, id);
      if (!before) throw notFound;
      const next = {
        scriptId: input.script_id ?? before.script_id,
        method: input.method ?? before.method,
        path: input.path ?? before.path,
        host: host === undefined ? before.host : host,
      };
      const shapeKey = routeShapeKey(next.method, next.path, next.host);
      if (next.scriptId !== before.script_id) {
        const script = await findScript(tx, next.scriptId);
        if (!script || script.app_id !== app.id) {
          throw new ApiError("script_not_found", `No script ${next.scriptId} in ${app.slug}`);
        }
      }
      if (next.host !== null && next.host !== before.host) {
        await assertHostClaimed(tx, app, next.host);
      }
      const after = await updateRoute(tx, { id, ...next, shapeKey });
      if (!after) throw routeConflict(app.slug, next);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "route.update",
        resourceType: "route",
        resourceId: id,
        appId: app.id,
        before,
        after,
      });
      return after;
    });
    await deps.routing.notifyChanged();
    return c.json(route);
  });

  api.delete("/:id", async (c) => {
    authorize(c, "me.read");
    const id = c.req.param("id");
    const notFound = routeNotFound(id);
    const found = uuid.safeParse(id).success ? await findRoute(deps.sql, id) : null;
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

function routeNotFound(id: string) {
  return new ApiError("route_not_found", `No route ${id}`);
}

function routeConflict(slug: string, r: Pick<RouteRow, "method" | "path">) {
  return new ApiError("route_conflict", `An equivalent route already exists in ${slug}`, {
    method: r.method,
    path: r.path,
  });
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
    throw new ApiError("host_not_claimed", `The app ${app.slug} does not claim ${host}`, {
      claims,
    });
  }
}

const admin = "/api/v1/admin";
const unauthorized = { description: "Not signed in (`unauthorized`)" };
const forbidden = { description: "The caller's role is too low (`forbidden`)" };
const invalid = {
  description: "`invalid_request` (field paths), `invalid_route_path`, `invalid_domain`",
};
const routeParams = z.object({ id: z.uuid() });

/** The endpoints of the routes router and of the route preview. */
export const routesDocs: EndpointDoc[] = [
  {
    method: "get",
    path: `${admin}/routes`,
    summary: "List routes: of one app (`?app=`), or of every app the caller can see",
    action: "route.read",
    tag: "routes",
    query: z.object({ app: z.string().optional().describe("The app's id or slug") }),
    responses: {
      200: { description: "The routes", schema: z.object({ items: z.array(routeSchema) }) },
      401: unauthorized,
      404: { description: "`app_not_found`" },
    },
  },
  {
    method: "post",
    path: `${admin}/routes`,
    summary: "Route a method and path (optionally on one claimed host) to a script",
    action: "route.write",
    tag: "routes",
    body: createRouteBody,
    responses: {
      201: { description: "The route", schema: routeSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: "`app_not_found` or `script_not_found`" },
      409: { description: "`route_conflict`: an equivalent route exists in the app" },
      422: { description: "`host_not_claimed`: the host is not one of the app's claims" },
    },
  },
  {
    method: "patch",
    path: `${admin}/routes/{id}`,
    summary: "Change a route's script, method, path or host",
    action: "route.write",
    tag: "routes",
    params: routeParams,
    body: updateRouteBody,
    responses: {
      200: { description: "The route after the change", schema: routeSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: "`route_not_found` or `script_not_found`" },
      409: { description: "`route_conflict`: an equivalent route exists in the app" },
      422: { description: "`host_not_claimed`: the host is not one of the app's claims" },
    },
  },
  {
    method: "delete",
    path: `${admin}/routes/{id}`,
    summary: "Delete a route",
    action: "route.write",
    tag: "routes",
    params: routeParams,
    responses: {
      204: { description: "Deleted" },
      401: unauthorized,
      403: forbidden,
      404: { description: "`route_not_found`" },
    },
  },
  previewDoc,
];
