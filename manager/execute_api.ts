/**
 * @module `ANY /api/v1/execute/{script_id}[/{path}]`: runs a script directly, independent of any
 * domain, streaming its response. Declared action `script.execute`: app editor or above (running
 * code has side effects), and with the session cookie the same-origin proof for every method, GET
 * included. Running it (lookup, authorization, dispatch) is the execute service's.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { DispatchDeps } from "../orchestrator/mod.ts";
import { assertSameOrigin, type AuthEnv, principalOf } from "./authn.ts";
import { assertMayAttempt, type Principal } from "./authz.ts";
import type { ManagerDeps } from "./deps.ts";
import type { Routes } from "./endpoint.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { createTrustedProxies, remoteAddrOf } from "../common/remote_addr.ts";
import { scriptId } from "./scripts/schemas.ts";
import { executeScript } from "./scripts/execute_service.ts";

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const scriptParam = scriptId.describe("The script to run");
const subPathParams = z.object({
  script_id: scriptParam,
  path: z.string().describe("The rest of the URL path, passed to the script (may hold `/`)"),
});

const executeResponses: EndpointDoc["responses"] = {
  200: { description: "Whatever the script responds: any status, headers and body" },
  403: {
    description: "`forbidden`: running scripts needs app editor; `csrf_rejected`: with the " +
      "session cookie, every method needs Origin of this origin or Sec-Fetch-Site: same-origin",
  },
  404: { description: "`script_not_found`" },
  413: { description: "`body_too_large`: the request body exceeds the script's limit" },
  429: { description: "`concurrency_limit`: too many requests in flight for this script" },
  500: { description: "`script_error`: the script threw; see the execution log" },
  502: { description: "`executor_crashed` or `response_too_large`" },
  503: { description: "`no_active_version`, `memory_limit` or `executor_restarted`" },
  504: { description: "`timeout`: the script exceeded its time limit" },
};

/**
 * Binds `/{script_id}` and `/{script_id}/{path}` (the rest of the URL, any depth) for every
 * method: the five the document lists are declared; any other (OPTIONS, …) reaches the script
 * the same way.
 */
export function bindExecuteApi(r: Routes, deps: ManagerDeps, dispatchDeps: DispatchDeps): void {
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const execute = { manager: deps, dispatch: dispatchDeps };
  const run = async (p: Principal, id: string, c: Context<AuthEnv>) => {
    // Running a script is a side effect whatever the method: a cookie alone (a cross-site link
    // or navigation) never runs one.
    if (c.get("auth").viaCookie) assertSameOrigin(c, addrOpts);
    const run = await executeScript(execute, p, {
      scriptId: id,
      request: c.req.raw,
      remoteAddr: remoteAddrOf(c, addrOpts),
    });
    return run.response;
  };
  for (const method of METHODS) {
    const verb = method.toUpperCase();
    r.add({
      method,
      path: "/{script_id}",
      summary: `Run a script directly with a ${verb} request`,
      action: "script.execute",
      tag: "execute",
      params: z.object({ script_id: scriptParam }),
      responses: executeResponses,
    }, ({ p, params }, c) => run(p, params.script_id, c));
    r.add({
      method,
      path: "/{script_id}/{path}",
      restOfPath: true,
      summary: `Run a script directly with a ${verb} request to a sub-path`,
      action: "script.execute",
      tag: "execute",
      params: subPathParams,
      responses: executeResponses,
    }, ({ p, params }, c) => run(p, params.script_id, c));
  }
  // Methods the document does not list: after the declared ones, so only these reach it.
  const other = (c: Context<AuthEnv>) =>
    run(assertMayAttempt(principalOf(c), "script.execute"), c.req.param("script_id") ?? "", c);
  r.hono.all("/:script_id", other);
  r.hono.all("/:script_id/*", other);
}
