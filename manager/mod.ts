/** @module The control plane: `/api/v1/*` for console hosts. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../common/errors.ts";
import type { DispatchDeps } from "../orchestrator/dispatch.ts";
import { bindApiKeysApi } from "./api_keys/api.ts";
import { bindAppsApi } from "./apps/api.ts";
import { bindAuditApi } from "./audit/api.ts";
import { authenticate, type AuthEnv } from "./authn.ts";
import type { IdentityDeps, ManagerDeps } from "./deps.ts";
import { bindExecuteApi } from "./execute_api.ts";
import { createPasswordHasher } from "./passwords.ts";
import { createFailureLimiter } from "./rate_limit.ts";
import { bindReferenceApi } from "./reference_api.ts";
import { bindRoutesApi } from "./routes/api.ts";
import { bindSchedulesApi } from "./schedules/api.ts";
import { bindScriptsApi } from "./scripts/api.ts";
import { bindSessionsApi } from "./sessions/api.ts";
import { bindSetupApi } from "./setup/api.ts";
import { bindUsersApi } from "./users/api.ts";

export { bootstrapIdentity } from "./setup/bootstrap.ts";

/** Largest admin request body, in bytes (a script source is at most 5 MiB, JSON-escaped). */
const ADMIN_MAX_BODY_BYTES = 12 * 1024 * 1024;

/** Builds the `/api/v1` router. */
export function createConsoleApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono {
  const auth = deps.config.auth;
  const identity: IdentityDeps = {
    ...deps,
    passwords: createPasswordHasher(auth.argon2),
    loginLimits: {
      perAccount: createFailureLimiter({
        maxFailures: auth.loginMaxFailures,
        windowMs: auth.loginWindowMs,
      }),
      perAddr: createFailureLimiter({
        maxFailures: auth.loginMaxFailuresPerAddr,
        windowMs: auth.loginWindowMs,
      }),
    },
  };
  const api = new Hono();
  api.get("/health", (c) => c.json({ status: "ok" }));
  api.route("/", bindReferenceApi());
  api.route("/setup", bindSetupApi(identity));

  const admin = new Hono<AuthEnv>();
  admin.use(bodyLimit({
    maxSize: ADMIN_MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "body_too_large", "The request body is too large", {
        limit_bytes: ADMIN_MAX_BODY_BYTES,
      });
    },
  }));
  admin.use(authenticate(deps));
  admin.route("/", bindSessionsApi(identity));
  admin.route("/users", bindUsersApi(identity));
  admin.route("/api-keys", bindApiKeysApi(identity));
  admin.route("/apps", bindAppsApi(deps));
  admin.route("/audit", bindAuditApi(deps));
  admin.route("/scripts", bindScriptsApi(deps));
  admin.route("/routes", bindRoutesApi(deps));
  admin.route("/schedules", bindSchedulesApi(deps));
  api.route("/admin", admin);

  const execute = new Hono<AuthEnv>();
  execute.use(authenticate(deps));
  execute.route("/", bindExecuteApi(deps, dispatchDeps));
  api.route("/execute", execute);
  return api;
}
