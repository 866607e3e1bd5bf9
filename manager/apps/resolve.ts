/** @module Resolves the `{id_or_slug}` of an app-scoped endpoint and enforces its action. */
import type { Context } from "hono";
import { ApiError } from "../../common/errors.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { Action, Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { type AppRow, findApp } from "./repo.ts";

/** 404 for an app that does not exist or that the caller cannot see. */
export function appNotFound(ref: string): ApiError {
  return new ApiError("app_not_found", `No app ${ref}`);
}

/** The app named by the `:app` path parameter, with the principal allowed `action` on it. */
export async function resolveApp(
  deps: Pick<ManagerDeps, "sql">,
  c: Context<AuthEnv>,
  action: Action,
): Promise<{ app: AppRow; p: Principal }> {
  authorize(c, "me.read");
  const ref = c.req.param("app") ?? "";
  const app = await findApp(deps.sql, ref);
  if (!app) throw appNotFound(ref);
  return { app, p: authorize(c, action, { appId: app.id, notFound: appNotFound(ref) }) };
}
