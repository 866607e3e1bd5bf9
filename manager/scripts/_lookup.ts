/** @module Shared by the script routers: resolve `:id` and authorize the action on its app. */
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { Action, Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { findScript, type ScriptRow } from "./repo.ts";

/** The `{id}` path parameter. */
export const scriptIdParams = z.object({ id: z.uuid() });

/** 404 `script_not_found`. */
export function scriptNotFound(id: string): ApiError {
  return new ApiError("script_not_found", `No script ${id}`);
}

/** Loads the script named by `:id` and authorizes `action` on its app (404 hides other apps). */
export async function scriptFor(
  c: Context<AuthEnv>,
  deps: ManagerDeps,
  action: Action,
): Promise<{ script: ScriptRow; p: Principal }> {
  authorize(c, "me.read");
  const id = c.req.param("id") ?? "";
  const script = scriptIdParams.safeParse({ id }).success ? await findScript(deps.sql, id) : null;
  if (!script) throw scriptNotFound(id);
  const p = authorize(c, action, { appId: script.app_id, notFound: scriptNotFound(id) });
  return { script, p };
}
