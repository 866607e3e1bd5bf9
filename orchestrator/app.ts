/** @module The HTTP entry: console paths on console hosts go to the control plane, the rest to tenants. */
import { Hono } from "hono";
import { notFound, onApiError } from "../common/errors.ts";
import type { Logger } from "../common/logging.ts";
import { remoteAddrOf } from "../manager/remote_addr.ts";
import { normalizeHost } from "./domain_pattern.ts";
import type { TenantHandler } from "./tenant.ts";

/** What the entry routes between. */
export interface AppParts {
  /** Hosts that serve `/api/v1/*` and `/admin/*`; empty means every host. */
  consoleHosts: string[];
  /** The `/api/v1` router. */
  consoleApi: Hono;
  tenant: TenantHandler;
  log: Logger;
}

const consolePath = /^\/(api\/v1|admin)(\/|$)/;

/** Builds the root Hono app. */
export function createApp(parts: AppParts): Hono {
  const consoleHosts = new Set(parts.consoleHosts);
  const app = new Hono();
  app.onError(onApiError((err) => parts.log.error("unhandled error", { err })));

  app.use(async (c, next) => {
    if (consolePath.test(c.req.path)) {
      const host = normalizeHost(c.req.header("host") ?? new URL(c.req.url).host);
      if (consoleHosts.size === 0 || (host !== null && consoleHosts.has(host))) return await next();
    }
    return await parts.tenant(c.req.raw, remoteAddrOf(c));
  });

  app.route("/api/v1", parts.consoleApi);
  app.notFound(notFound);
  return app;
}
