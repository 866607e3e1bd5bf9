/**
 * @module `ANY /api/v1/execute/{script_id}`: runs a script directly, independent of any domain.
 * Declared action `script.execute`: app editor or above (running code has side effects), and
 * with the session cookie the same-origin proof for every method, GET included.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../common/errors.ts";
import { dispatch, type DispatchDeps } from "../orchestrator/mod.ts";
import { assertSameOrigin, type AuthEnv, authorize, withoutCredentials } from "./authn.ts";
import type { ManagerDeps } from "./deps.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { createTrustedProxies, remoteAddrOf } from "../common/remote_addr.ts";

/** Binds `/execute/:script_id` and `/execute/:script_id/*` (the rest is passed in the URL). */
export function bindExecuteApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const handler = async (c: Context<AuthEnv>) => {
    authorize(c, "me.read");
    // Running a script is a side effect whatever the method: a cookie alone (a cross-site link
    // or navigation) never runs one.
    if (c.get("auth").viaCookie) assertSameOrigin(c, addrOpts);
    const id = c.req.param("script_id") ?? "";
    const snap = deps.routing.current();
    const script = z.uuid().safeParse(id).success ? snap.scripts.get(id) : undefined;
    const app = script ? snap.apps.get(script.appId) : undefined;
    const notFound = new ApiError(404, "script_not_found", `No script ${id}`);
    if (!script || !app) throw notFound;
    authorize(c, "script.execute", { appId: app.id, notFound });
    return await dispatch(dispatchDeps, withoutCredentials(c.req.raw), {
      script,
      app,
      params: {},
      trigger: "execute",
      remoteAddr: remoteAddrOf(c, addrOpts),
      host: null,
      url: new URL(c.req.url),
    });
  };
  api.all("/:script_id", handler);
  api.all("/:script_id/*", handler);
  return api;
}

const scriptId = z.uuid().describe("The script to run");
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
 * The OpenAPI description of `/execute`: every method is passed to the script as it came (with
 * the caller's credentials removed), so each is documented for both paths.
 */
export const executeDocs: EndpointDoc[] = (["get", "post", "put", "patch", "delete"] as const)
  .flatMap((method) => [
    {
      method,
      path: "/api/v1/execute/{script_id}",
      summary: `Run a script directly with a ${method.toUpperCase()} request`,
      action: "script.execute" as const,
      tag: "execute",
      params: z.object({ script_id: scriptId }),
      responses: executeResponses,
    },
    {
      method,
      path: "/api/v1/execute/{script_id}/{path}",
      summary: `Run a script directly with a ${method.toUpperCase()} request to a sub-path`,
      action: "script.execute" as const,
      tag: "execute",
      params: z.object({
        script_id: scriptId,
        path: z.string().describe("The rest of the URL path, passed to the script (may hold `/`)"),
      }),
      responses: executeResponses,
    },
  ]);
