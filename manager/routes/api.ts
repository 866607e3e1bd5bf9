/**
 * @module `/api/v1/admin/routes`: list, create, change and delete routes — parse, call the routes
 * service, respond. Read needs app viewer; create, change and delete app editor.
 */
import { z } from "zod";
import { ROUTE_METHODS } from "../../orchestrator/mod.ts";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { createRoute, deleteRoute, listRoutes, updateRoute } from "./service.ts";

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

const invalid = {
  description: "`invalid_request` (field paths), `invalid_route_path`, `invalid_domain`",
};
const conflict = { description: "`route_conflict`: an equivalent route exists in the app" };
const unclaimed = { description: "`host_not_claimed`: the host is not one of the app's claims" };
// Any text: an id that is not a UUID names no route (404, as for an unknown one).
const routeParams = z.object({ id: z.string().meta({ format: "uuid" }) });

/** Binds `/routes` under the admin router. */
export function bindRoutesApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "List routes: of one app (`?app=`), or of every app the caller can see",
    action: "route.read",
    tag: "routes",
    query: z.object({ app: z.string().optional().describe("The app's id or slug") }),
    responses: {
      200: { description: "The routes", schema: z.object({ items: z.array(routeSchema) }) },
    },
  }, async ({ p, query }, c) => c.json({ items: await listRoutes(deps, p, query.app) }));

  r.add({
    method: "post",
    path: "",
    summary: "Route a method and path (optionally on one claimed host) to a script",
    action: "route.write",
    tag: "routes",
    body: createRouteBody,
    responses: {
      201: { description: "The route", schema: routeSchema },
      400: invalid,
      404: { description: "`app_not_found` or `script_not_found`" },
      409: conflict,
      422: unclaimed,
    },
  }, async ({ p, body }, c) => c.json(await createRoute(deps, p, body), 201));

  r.add({
    method: "patch",
    path: "/{id}",
    summary: "Change a route's script, method, path or host",
    action: "route.write",
    tag: "routes",
    params: routeParams,
    body: updateRouteBody,
    responses: {
      200: { description: "The route after the change", schema: routeSchema },
      400: invalid,
      404: { description: "`route_not_found` or `script_not_found`" },
      409: conflict,
      422: unclaimed,
    },
  }, async ({ p, params, body }, c) => c.json(await updateRoute(deps, p, params.id, body)));

  r.add({
    method: "delete",
    path: "/{id}",
    summary: "Delete a route",
    action: "route.write",
    tag: "routes",
    params: routeParams,
    responses: {
      204: { description: "Deleted" },
      404: { description: "`route_not_found`" },
    },
  }, async ({ p, params }, c) => {
    await deleteRoute(deps, p, params.id);
    return c.body(null, 204);
  });
}
