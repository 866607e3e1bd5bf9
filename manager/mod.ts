/** @module The control plane: `/api/v1/*` for console hosts. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../common/errors.ts";
import type { DispatchDeps } from "../orchestrator/dispatch.ts";
import { requireAdminToken } from "./auth.ts";
import type { ManagerDeps } from "./deps.ts";
import { bindExecuteApi } from "./execute_api.ts";
import { bindRoutesApi } from "./routes/api.ts";
import { bindScriptsApi } from "./scripts/api.ts";

/** Largest admin request body, in bytes (a script source is at most 5 MiB, JSON-escaped). */
const ADMIN_MAX_BODY_BYTES = 12 * 1024 * 1024;

/** Builds the `/api/v1` router. */
export function createConsoleApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono {
  const api = new Hono();
  api.get("/health", (c) => c.json({ status: "ok" }));

  const admin = new Hono();
  admin.use(requireAdminToken(deps.config.adminToken));
  admin.use(bodyLimit({
    maxSize: ADMIN_MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "body_too_large", "The request body is too large", {
        limit_bytes: ADMIN_MAX_BODY_BYTES,
      });
    },
  }));
  admin.route("/scripts", bindScriptsApi(deps));
  admin.route("/routes", bindRoutesApi(deps));
  api.route("/admin", admin);

  const execute = new Hono();
  execute.use(requireAdminToken(deps.config.adminToken));
  execute.route("/", bindExecuteApi(deps, dispatchDeps));
  api.route("/execute", execute);
  return api;
}
