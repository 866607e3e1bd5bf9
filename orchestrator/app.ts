/** @module The HTTP entry: console paths on console hosts go to the control plane, the rest to tenants. */
import { Hono } from "hono";
import { errorBody, notFound, onApiError } from "../common/errors.ts";
import type { Logger } from "../common/logging.ts";
import { remoteAddrOf } from "../manager/remote_addr.ts";
import { normalizeHost } from "./domain_pattern.ts";
import type { Routing } from "./routing.ts";
import type { TenantHandler } from "./tenant.ts";

/** What the entry routes between. */
export interface AppParts {
  /** Hosts that serve `/api/v1/*` and `/admin/*`; empty means every host. */
  consoleHosts: string[];
  /** The `/api/v1` router. */
  consoleApi: Hono;
  tenant: TenantHandler;
  routing: Routing;
  log: Logger;
}

const consolePath = /^\/(api\/v1|admin)(\/|$)/;

/** Builds the root Hono app. */
export function createApp(parts: AppParts): Hono {
  const consoleHosts = new Set(parts.consoleHosts);
  const app = new Hono();
  app.onError(onApiError((err) => parts.log.error("unhandled error", { err })));

  // Registered before the console-host check: Caddy asks with its own Host header.
  // Caddy's on-demand TLS asks before issuing a certificate: 200 only for a claimed host, and
  // only to a loopback peer, so the set of claimed domains cannot be probed from outside.
  app.get("/api/v1/internal/tls-ask", (c) => {
    const peer = remoteAddrOf(c).hostname;
    if (!isLoopback(peer)) return notFound(c);
    const host = normalizeHost(c.req.query("domain") ?? "");
    const claimed = host !== null && parts.routing.current().hosts.match(host) !== null;
    return claimed
      ? c.json({ claimed: true })
      : c.json(errorBody("unknown_host", "No app claims this host"), 404);
  });
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

function isLoopback(addr: string): boolean {
  return addr === "::1" || addr.startsWith("127.") || addr.startsWith("::ffff:127.");
}
