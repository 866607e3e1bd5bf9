/** @module `ANY /api/v1/execute/{script_id}`: runs a script directly, independent of any domain. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../common/errors.ts";
import { dispatch, type DispatchDeps } from "../orchestrator/dispatch.ts";
import type { ManagerDeps } from "./deps.ts";
import { remoteAddrOf } from "./remote_addr.ts";

/** Binds `/execute/:script_id` and `/execute/:script_id/*` (the rest is passed in the URL). */
export function bindExecuteApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono {
  const api = new Hono();
  const handler = async (c: import("hono").Context) => {
    const id = c.req.param("script_id") ?? "";
    const snap = deps.routing.current();
    const script = z.uuid().safeParse(id).success ? snap.scripts.get(id) : undefined;
    const app = script ? snap.apps.get(script.appId) : undefined;
    if (!script || !app) throw new ApiError(404, "script_not_found", `No script ${id}`);
    return await dispatch(dispatchDeps, c.req.raw, {
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
