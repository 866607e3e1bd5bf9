/**
 * @module `GET /api/v1/admin/apps/{id_or_slug}/routes:preview`: which route and params a URL
 * reaches in an app — parse, call the preview service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { previewRoute } from "./preview_service.ts";

const requestMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** `GET /apps/{id_or_slug}/routes:preview` query. */
export const previewQuery = z.strictObject({
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(requestMethods)).default(
    "GET",
  ),
  url: z.url({ protocol: /^https?$/ }).describe(
    "An absolute http(s) URL, e.g. `https://acme.example.test/hello/ann`",
  ),
});

/** What a previewed URL reaches. */
export const previewSchema = z.object({
  route_id: z.uuid(),
  script_id: z.uuid(),
  method: z.string().describe("The route's method"),
  path: z.string().describe("The route's path pattern"),
  claim: z.string().describe("The app's domain claim the host matched"),
  params: z.record(z.string(), z.string()).describe("Host parameters, then route parameters"),
}).meta({ id: "RoutePreview" });

/** Binds `/{id_or_slug}/routes:preview` under the apps router (listed with the routes). */
export function bindRoutePreviewApi(r: Routes, deps: ManagerDeps): void {
  r.add(
    {
      method: "get",
      path: "/{id_or_slug}/routes:preview",
      summary: "Which route and params a URL reaches in this app, matched as the data plane does",
      action: "route.read",
      tag: "routes",
      params: z.object({ id_or_slug: z.string().describe("The app's id or slug") }),
      query: previewQuery,
      responses: {
        200: { description: "The route and its params", schema: previewSchema },
        400: { description: "`invalid_request`: a bad method or URL" },
        404: {
          description: "`app_not_found`; `unclaimed_host` (the URL's host does not reach this " +
            "app); `no_route`",
        },
        405: { description: "`method_not_allowed`: the path is routed for other methods" },
      },
    },
    async ({ p, params, query }, c) =>
      c.json(await previewRoute(deps, p, params.id_or_slug, query)),
  );
}
