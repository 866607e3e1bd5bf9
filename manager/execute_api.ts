/**
 * @module `ANY /api/v1/execute/{script_id}`: runs a script directly, independent of any domain.
 * Declared action `script.execute`: app editor or above (running code has side effects).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../common/errors.ts";
import { dispatch, type DispatchDeps } from "../orchestrator/dispatch.ts";
import { type AuthEnv, authorize, withoutCredentials } from "./authn.ts";
import type { ManagerDeps } from "./deps.ts";
import { remoteAddrOf } from "./remote_addr.ts";

/** Binds `/execute/:script_id` and `/execute/:script_id/*` (the rest is passed in the URL). */
export function bindExecuteApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const handler = async (c: Context<AuthEnv>) => {
    authorize(c, "me.read");
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
      remoteAddr: remoteAddrOf(c),
      host: null,
    });
  };
  api.all("/:script_id", handler);
  api.all("/:script_id/*", handler);
  return api;
}
