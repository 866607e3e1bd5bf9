/**
 * @module `/api/v1/admin/apps`: the apps the caller can see, each with `my_role`, plus the
 * members sub-resource. Apps a member does not belong to are 404, not 403.
 */
import { Hono } from "hono";
import { ApiError } from "../../common/errors.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { effectiveAppRole, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { bindMembersApi } from "../members/api.ts";
import { findApp, listApps } from "./repo.ts";

/** Binds `/apps` under the admin router. */
export function bindAppsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "app.list");
    const apps = await listApps(deps.sql, visibleAppIds(p));
    return c.json({ items: apps.map((a) => ({ ...a, my_role: effectiveAppRole(p, a.id) })) });
  });

  api.get("/:app", async (c) => {
    authorize(c, "me.read");
    const ref = c.req.param("app");
    const app = await findApp(deps.sql, ref);
    const notFound = new ApiError(404, "app_not_found", `No app ${ref}`);
    if (!app) throw notFound;
    const p = authorize(c, "app.read", { appId: app.id, notFound });
    return c.json({ ...app, my_role: effectiveAppRole(p, app.id) });
  });

  api.route("/", bindMembersApi(deps));
  return api;
}
