/**
 * @module `GET /api/v1/admin/apps/{id_or_slug}/routes:preview`: which route and params a URL
 * reaches in an app, answered from the data plane's own host and route tables.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { normalizeHost } from "../../orchestrator/mod.ts";
import { resolveApp } from "../apps/resolve.ts";
import type { AuthEnv } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { parseInput } from "../validate.ts";

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

/** Binds `/:app/routes:preview` under the apps router. */
export function bindRoutePreviewApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/:app/:op{routes:preview}", async (c) => {
    const { app } = await resolveApp(deps, c, "route.read");
    const q = parseInput(previewQuery, c.req.query());
    const url = new URL(q.url);
    const host = normalizeHost(url.host);
    const snap = deps.routing.current();
    const hostMatch = host === null ? null : snap.hosts.match(host);
    // A host another app claims (even more specifically) does not reach this app either.
    if (host === null || hostMatch?.appId !== app.id) {
      throw new ApiError(
        404,
        "unclaimed_host",
        `Requests for ${url.hostname} do not reach ${app.slug}`,
        {
          host: host ?? url.hostname,
        },
      );
    }
    const m = snap.routes.match(app.id, q.method, url.pathname, host);
    if (m === null) {
      throw new ApiError(404, "no_route", `No route for ${q.method} ${url.pathname}`, {
        app: app.slug,
        method: q.method,
        path: url.pathname,
      });
    }
    if ("methodNotAllowed" in m) {
      throw new ApiError(
        405,
        "method_not_allowed",
        `${q.method} is not routed for ${url.pathname}`,
        {
          allow: m.allow,
        },
      );
    }
    return c.json({
      route_id: m.route.id,
      script_id: m.route.scriptId,
      method: m.route.method,
      path: m.route.path,
      claim: hostMatch.pattern,
      params: { ...hostMatch.params, ...m.params },
    });
  });

  return api;
}

/** The preview's entry in the reference (listed with the routes). */
export const previewDoc: EndpointDoc = {
  method: "get",
  path: `/api/v1/admin/apps/{id_or_slug}/routes:preview`,
  summary: "Which route and params a URL reaches in this app, matched as the data plane does",
  action: "route.read",
  tag: "routes",
  params: z.object({ id_or_slug: z.string().describe("The app's id or slug") }),
  query: previewQuery,
  responses: {
    200: { description: "The route and its params", schema: previewSchema },
    400: { description: "`invalid_request`: a bad method or URL" },
    401: { description: "Not signed in (`unauthorized`)" },
    404: {
      description: "`app_not_found`; `unclaimed_host` (the URL's host does not reach this " +
        "app); `no_route`",
    },
    405: { description: "`method_not_allowed`: the path is routed for other methods" },
  },
};
