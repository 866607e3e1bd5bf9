/** @module The control plane: `/api/v1/*` for console hosts. */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { AuthConfig } from "../common/config.ts";
import { ApiError } from "../common/errors.ts";
import type { DispatchDeps } from "../orchestrator/mod.ts";
import { bindApiKeysApi } from "./api_keys/api.ts";
import { bindAppsApi } from "./apps/api.ts";
import { bindAuditApi } from "./audit/api.ts";
import { bindBackupApi } from "./backup/api.ts";
import { authenticate, principalOf } from "./authn.ts";
import type { ManagerDeps } from "./deps.ts";
import { Routes } from "./endpoint.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { bindExecuteApi } from "./execute_api.ts";
import { createPasswordHasher } from "./passwords.ts";
import { createFailureLimiter } from "./rate_limit.ts";
import { bindReferenceApi } from "./reference_api.ts";
import { bindRoutesApi } from "./routes/api.ts";
import { bindSchedulesApi } from "./schedules/api.ts";
import { bindScriptsApi } from "./scripts/api.ts";
import { bindSessionsApi } from "./sessions/api.ts";
import { bindSetupApi } from "./setup/api.ts";
import { bindSystemApi } from "./system/api.ts";
import { bindUsersApi } from "./users/api.ts";
import { urlGuard } from "./validate.ts";

export { bootstrapIdentity } from "./setup/bootstrap.ts";

/**
 * Largest request body of a signed-in caller, in bytes (a script source is at most 5 MiB,
 * JSON-escaped).
 */
export const ADMIN_MAX_BODY_BYTES = 12 * 1024 * 1024;

/**
 * Largest request body before the caller is known, in bytes: setup, login, the reference and
 * any unknown path, and every admin request without valid credentials.
 */
export const ANONYMOUS_MAX_BODY_BYTES = 64 * 1024;

/**
 * A body limit counted while the body is read (Content-Length first, then the streamed bytes;
 * reading stops at the limit and at most `maxBytes` are buffered) → 413 `body_too_large`.
 */
function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("body_too_large", "The request body is too large", {
        limit_bytes: maxBytes,
      });
    },
  });
}

/** The password hasher and login failure limiters, built by the composition root. */
export function createIdentityParts(auth: AuthConfig): Pick<
  ManagerDeps,
  "passwords" | "loginLimits"
> {
  return {
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
      perDevice: createFailureLimiter({
        maxFailures: auth.loginMaxFailures,
        windowMs: auth.loginWindowMs,
      }),
      currentPassword: createFailureLimiter({
        maxFailures: auth.loginMaxFailures,
        windowMs: auth.loginWindowMs,
      }),
    },
  };
}

/** The `/api/v1` router and every endpoint declared on it. */
export interface ConsoleApi {
  api: Hono;
  /** The declarations the OpenAPI document and the authorization matrix are built from. */
  endpoints: () => EndpointDoc[];
}

/** Builds the `/api/v1` router. */
export function createConsoleApi(deps: ManagerDeps, dispatchDeps: DispatchDeps): ConsoleApi {
  const root = new Routes("/api/v1");
  const api = root.hono as unknown as Hono;
  const anonymousLimit = limitBody(ANONYMOUS_MAX_BODY_BYTES);
  const adminLimit = limitBody(ADMIN_MAX_BODY_BYTES);
  const guard = urlGuard();
  // Every answer carries `X-Request-Id` (the client's, when it sent a sane one), and so does
  // every error body: the id is in the server's log line of a 500.
  api.use("*", requestId());
  // Before any other work: the small limit for everything but the routers that authenticate
  // first (admin: the large limit only for a known caller; execute: the script's own limit,
  // enforced by the executor while streaming).
  api.use("*", async (c, next) => {
    const rest = c.req.path.slice(c.req.path.indexOf("/api/v1") + "/api/v1".length);
    if (/^\/execute(\/|$)/.test(rest)) return await next();
    if (!/^\/admin(\/|$)/.test(rest)) {
      return await anonymousLimit(c, async () => {
        await guard(c, next);
      });
    }
    // A declared size above even the large limit is refused before authenticating.
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > ADMIN_MAX_BODY_BYTES) return await adminLimit(c, next);
    await guard(c, next);
  });
  bindReferenceApi(root);
  root.mount("/setup", (r) => bindSetupApi(r, deps));

  root.mount("/admin", (admin) => {
    admin.hono.use(authenticate(deps));
    // Authentication reads no body; login and anything sent without valid credentials get the
    // small limit, so Argon2 and the database never see a large anonymous body.
    admin.hono.use((c, next) => (principalOf(c) ? adminLimit : anonymousLimit)(c, next));
    admin.mount("", (r) => bindSessionsApi(r, deps));
    admin.mount("/users", (r) => bindUsersApi(r, deps));
    admin.mount("/api-keys", (r) => bindApiKeysApi(r, deps));
    admin.mount("/apps", (r) => bindAppsApi(r, deps));
    admin.mount("/audit", (r) => bindAuditApi(r, deps));
    admin.mount("/system", (r) => bindSystemApi(r, deps));
    admin.mount("/backup", (r) => bindBackupApi(r, deps));
    admin.mount("/scripts", (r) => bindScriptsApi(r, deps));
    admin.mount("/routes", (r) => bindRoutesApi(r, deps));
    admin.mount("/schedules", (r) => bindSchedulesApi(r, deps));
  });

  // No body limit here: the executor enforces the script's own limit while streaming.
  root.mount("/execute", (execute) => {
    execute.hono.use(authenticate(deps));
    bindExecuteApi(execute, deps, dispatchDeps);
  });
  return { api, endpoints: () => [...root.declared] };
}
export { bundlerStats } from "./scripts/bundle.ts";
