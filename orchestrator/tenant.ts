/** @module Tenant traffic: Host → app → route → dispatch. */
import { errorResponse, invalidHostResponse } from "../common/errors.ts";
import type { InvokeOptions } from "../executor/mod.ts";
import { dispatch, type DispatchDeps, type DispatchInput } from "./dispatch.ts";
import { normalizeHost } from "./domain_pattern.ts";
import type { Routing } from "./routing.ts";

/** Handles a request for a tenant host. */
export type TenantHandler = (
  req: Request,
  remoteAddr: InvokeOptions["remoteAddr"],
) => Promise<Response>;

/** Creates the tenant handler over the live routing snapshot. */
export function createTenantHandler(routing: Routing, deps: DispatchDeps): TenantHandler {
  // A plain function (each answer a promise): an async one would cost a saved frame per request.
  return (req, remoteAddr) => {
    const target = route(routing, req);
    if (target instanceof Response) return Promise.resolve(target);
    return dispatch(deps, req, { ...target, trigger: "http", remoteAddr });
  };
}

/** Host → app → route → script for `req`, or the platform's answer when there is none. */
function route(
  routing: Routing,
  req: Request,
): Response | Omit<DispatchInput, "trigger" | "remoteAddr"> {
  // The Host header is checked before anything parses the URL built from it: `a b`, `[::1`,
  // `a:99999` or `%00` make that URL unparseable.
  const header = req.headers.get("host");
  let url: URL | null = null;
  try {
    url = new URL(req.url);
  } catch { /* answered below */ }
  const host = normalizeHost(header ?? url?.host ?? "");
  if (host === null || url === null) return invalidHostResponse();
  const snap = routing.current();
  const hostMatch = snap.hosts.match(host);
  const app = hostMatch && snap.apps.get(hostMatch.appId);
  if (!app) return errorResponse("unknown_host", `No app claims the host ${host}`, { host });
  const routeMatch = snap.routes.match(app.id, req.method, url.pathname, host);
  if (routeMatch === null) {
    return errorResponse("no_route", `No route for ${req.method} ${url.pathname}`, {
      app: app.slug,
      method: req.method,
      path: url.pathname,
    });
  }
  if ("methodNotAllowed" in routeMatch) {
    const res = errorResponse(
      "method_not_allowed",
      `${req.method} is not routed for ${url.pathname}`,
      { allow: routeMatch.allow },
    );
    res.headers.set("allow", routeMatch.allow.join(", "));
    return res;
  }
  const script = snap.scripts.get(routeMatch.route.scriptId);
  if (!script) return errorResponse("no_route", `No route for ${req.method} ${url.pathname}`);
  return { script, app, params: { ...hostMatch.params, ...routeMatch.params }, host, url };
}
