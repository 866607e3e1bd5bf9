/**
 * @module The route preview: which route and params a URL reaches in an app, answered from the
 * data plane's own host and route tables (needs app viewer). No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { normalizeHost } from "../../orchestrator/mod.ts";
import { appFor } from "../apps/service.ts";
import type { Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";

/** What a previewed URL reaches: the route, the claim its host matched and every parameter. */
export interface RoutePreview {
  route_id: string;
  script_id: string;
  method: string;
  path: string;
  claim: string;
  params: Record<string, string>;
}

/**
 * The route `method url` reaches in the app: 404 `unclaimed_host` when the host does not reach
 * the app, 404 `no_route`, 405 `method_not_allowed` (the path is routed for other methods).
 */
export async function previewRoute(
  deps: Pick<ManagerDeps, "sql" | "routing">,
  p: Principal,
  ref: string,
  input: { method: string; url: string },
): Promise<RoutePreview> {
  const app = await appFor(deps, p, ref, "route.read");
  const url = new URL(input.url);
  const host = normalizeHost(url.host);
  const snap = deps.routing.current();
  const hostMatch = host === null ? null : snap.hosts.match(host);
  // A host another app claims (even more specifically) does not reach this app either.
  if (host === null || hostMatch?.appId !== app.id) {
    throw new ApiError("unclaimed_host", `Requests for ${url.hostname} do not reach ${app.slug}`, {
      host: host ?? url.hostname,
    });
  }
  const m = snap.routes.match(app.id, input.method, url.pathname, host);
  if (m === null) {
    throw new ApiError("no_route", `No route for ${input.method} ${url.pathname}`, {
      app: app.slug,
      method: input.method,
      path: url.pathname,
    });
  }
  if ("methodNotAllowed" in m) {
    // The same answer, `Allow` included, as the tenant side would give the request itself.
    throw new ApiError(
      "method_not_allowed",
      `${input.method} is not routed for ${url.pathname}`,
      { allow: m.allow },
      { allow: m.allow.join(", ") },
    );
  }
  return {
    route_id: m.route.id,
    script_id: m.route.scriptId,
    method: m.route.method,
    path: m.route.path,
    claim: hostMatch.pattern,
    params: { ...hostMatch.params, ...m.params },
  };
}
