/**
 * @module The HTTP entries. Tenant traffic and the console (admin API, dashboard) are served on
 * different origins, so no tenant script can ever answer on the console's origin: by default on
 * two ports; on one shared port only when the console has host names of its own, which no app can
 * claim.
 */
import { type Context, Hono } from "hono";
import { errorResponse, invalidHostResponse, notFound, onApiError } from "../common/errors.ts";
import type { Logger } from "../common/logging.ts";
import { isConsoleCookie, withoutConsoleCookies } from "../common/console_cookies.ts";
import { createTrustedProxies, remoteAddrFrom, remoteAddrOf } from "../common/remote_addr.ts";
import { normalizeHost } from "./domain_pattern.ts";
import type { Routing } from "./routing.ts";
import type { TenantHandler } from "./tenant.ts";
import type { OpsEndpoints } from "./ops_api.ts";

/** What the entries route between. */
export interface EntryParts {
  /** Hosts that alone reach the console; empty means every host on the console's port. */
  consoleHosts: string[];
  /** Peers whose forwarding headers name the client (`PICLOUD_TRUSTED_PROXIES`). */
  trustedProxies: readonly string[];
  /** The `/api/v1` router. */
  consoleApi: Hono;
  /** The web console's pages, mounted at `/admin` (absent: `/admin` answers the JSON 404). */
  consoleUi?: Hono;
  tenant: TenantHandler;
  routing: Routing;
  log: Logger;
  /**
   * `/healthz`, `/readyz`, `/metrics` (absent: not served). On the console port they answer every
   * caller (`/metrics` only loopback or the token); on the tenant port only a direct probe — see
   * `isDirectProbe`.
   */
  ops?: OpsEndpoints;
  /** Told the status of every tenant-port response (`/metrics`). */
  onTenantResponse?: (status: number) => void;
}

/** The two front doors, and the one used when both share a port. */
export interface Entries {
  /** Every request is tenant traffic: `/api/v1/*` paths included (apps may route them). */
  tenant: Hono;
  /** The admin API and dashboard; nothing here runs a tenant script on this origin's behalf. */
  console: Hono;
  /** One port for both: console hosts go to the console, every other host to the tenants. */
  shared: Hono;
  /**
   * `tenant` without Hono in between, for the tenant listener (the data plane's hot path): the
   * same answers, one context and one router fewer per request.
   */
  tenantFetch: (req: Request, info?: unknown) => Promise<Response>;
}

const TLS_ASK = "/api/v1/internal/tls-ask";
const consolePath = /^\/(api\/v1|admin)(\/|$)/;

/** Builds the tenant, console and shared entries. */
export function createEntries(parts: EntryParts): Entries {
  const consoleHosts = new Set(parts.consoleHosts);
  const addrOpts = { trustedProxies: createTrustedProxies(parts.trustedProxies) };
  const clientOf = (c: Context) => remoteAddrOf(c, addrOpts);
  const onError = onApiError((err, requestId) =>
    parts.log.error("unhandled error", { err, requestId })
  );

  // The tenant listener's entry (the data plane's hot path, no router in between); the Hono
  // tenant entry and the shared port's tenant side call it too.
  const ops = parts.ops;
  const counted = parts.onTenantResponse;
  const failed = (err: unknown) => {
    parts.log.error("unhandled error", { err });
    return errorResponse("internal", "Internal server error");
  };
  const count = (res: Response) => {
    counted?.(res.status);
    return res;
  };
  // Plain functions and `then` on the hot path: an async function costs a saved frame per call.
  const tenantFetch = (req: Request, info?: unknown): Promise<Response> => {
    try {
      const probe = ops?.probePath(req.url);
      if (probe && isDirectProbe(info, req.headers, addrOpts)) {
        const answer = ops!.handle(probe, req, { loopback: true });
        if (answer !== null) return Promise.resolve(answer).catch(failed);
      }
      return serveTenant(parts.tenant, req, remoteAddrFrom(info, req.headers, addrOpts))
        .then(count, failed);
    } catch (err) {
      return Promise.resolve(failed(err));
    }
  };
  const tenant = new Hono();
  tenant.onError(onError);
  tenant.all("*", (c) => tenantFetch(c.req.raw, c.env));

  const console = new Hono();
  console.onError(onError);
  // Before the console-host check: Caddy asks with its own Host header (an address).
  // Caddy's on-demand TLS asks before issuing a certificate: 200 only for a claimed host, and
  // only to a loopback peer, so the set of claimed domains cannot be probed from outside.
  console.get(TLS_ASK, (c) => {
    // Behind a trusted proxy this is the forwarded client: only Caddy's own ask is loopback.
    if (!isLoopback(clientOf(c).hostname)) return notFound(c);
    const host = normalizeHost(c.req.query("domain") ?? "");
    const claimed = host !== null && parts.routing.current().hosts.match(host) !== null;
    return claimed
      ? c.json({ claimed: true })
      : errorResponse("unknown_host", "No app claims this host");
  });
  if (ops !== undefined) {
    // Before the console-host check too: a prober's Host header is often a bare address.
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      console.get(
        path,
        (c) =>
          ops.handle(path, c.req.raw, { loopback: isLoopback(clientOf(c).hostname) }) ??
            notFound(c),
      );
    }
  }
  console.use(async (c, next) => {
    const host = hostOf(c);
    if (host === null) return invalidHostResponse();
    if (consoleHosts.size > 0 && !consoleHosts.has(host)) {
      return errorResponse("not_console_host", `${host} is not a console host`, { host });
    }
    await next();
  });
  console.use("/api/v1/execute/*", async (c, next) => {
    await next();
    confineToSandbox(c.res.headers);
  });
  console.route("/api/v1", parts.consoleApi);
  if (parts.consoleUi) console.route("/admin", parts.consoleUi);
  console.notFound((c) =>
    errorResponse(
      "not_found",
      consolePath.test(c.req.path)
        ? "Not found"
        : "This is the console's address: apps are served on the tenant address",
    )
  );

  const shared = new Hono();
  shared.onError(onError);
  shared.all("*", async (c) => {
    const host = hostOf(c);
    const toConsole = (host !== null && consoleHosts.has(host)) ||
      (c.req.path === TLS_ASK && isLoopback(clientOf(c).hostname));
    if (toConsole) return await console.fetch(c.req.raw, c.env);
    return await tenantFetch(c.req.raw, c.env);
  });
  return { tenant, console, shared, tenantFetch };
}

/** The Host header (or the URL's host for in-process requests) normalised; null when malformed. */
function hostOf(c: Context): string | null {
  const header = c.req.header("host");
  if (header !== undefined) return normalizeHost(header);
  try {
    return normalizeHost(new URL(c.req.url).host);
  } catch {
    return null;
  }
}

/**
 * Tenant scripts never see the console's session cookie (cookies are shared across ports of one
 * host) and can never set it.
 */
function serveTenant(
  handler: TenantHandler,
  raw: Request,
  client: ReturnType<typeof remoteAddrOf>,
): Promise<Response> {
  let req = raw;
  const cookie = req.headers.get("cookie");
  if (cookie !== null && cookie.includes("picloud_")) {
    const headers = new Headers(req.headers);
    const kept = withoutConsoleCookies(cookie);
    if (kept === "") headers.delete("cookie");
    else headers.set("cookie", kept);
    req = new Request(req, { headers });
  }
  return handler(req, client).then(withoutConsoleSetCookie);
}

/** The response without any `Set-Cookie` of the console's own cookies. */
function withoutConsoleSetCookie(res: Response): Response {
  if (res.headers.has("set-cookie")) {
    const cookies = res.headers.getSetCookie();
    const kept = cookies.filter((line) => !isConsoleCookie(line.split("=", 1)[0]));
    if (kept.length !== cookies.length) {
      res.headers.delete("set-cookie");
      for (const line of kept) res.headers.append("set-cookie", line);
    }
  }
  return res;
}

/**
 * A script's answer through `/api/v1/execute` is shown on the console's origin: it is rendered as
 * an opaque, script-less sandbox and may not set cookies, clear site data, widen CORS or install
 * service workers there.
 */
function confineToSandbox(headers: Headers): void {
  for (const name of [...headers.keys()]) {
    if (
      name === "set-cookie" || name === "clear-site-data" || name === "service-worker-allowed" ||
      name === "refresh" || name === "link" || name.startsWith("access-control-")
    ) headers.delete(name);
  }
  headers.set("content-security-policy", "sandbox; default-src 'none'");
  headers.set("x-content-type-options", "nosniff");
  headers.set("x-frame-options", "DENY");
}

/**
 * On the tenant port the platform answers `/healthz` and `/readyz` itself only for a probe: a
 * request whose TCP peer is loopback or a trusted proxy and that carries no forwarding header.
 * Caddy's active health checks are such requests; anything Caddy forwards for a client carries
 * `X-Forwarded-For`, so an app that claims every host still gets its own `/healthz` from the
 * internet, and no outside client can reach the platform's.
 */
function isDirectProbe(
  info: unknown,
  headers: Headers,
  opts: { trustedProxies: ReturnType<typeof createTrustedProxies> },
): boolean {
  if (headers.has("x-forwarded-for") || headers.has("forwarded")) return false;
  const peer = (info as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname;
  // In-process requests (tests) have no peer: they are this process's own.
  if (peer === undefined) return true;
  return isLoopback(peer) || opts.trustedProxies.has(peer);
}

function isLoopback(addr: string): boolean {
  return addr === "::1" || addr.startsWith("127.") || addr.startsWith("::ffff:127.");
}
