/**
 * @module `/healthz`, `/readyz` and `/metrics`: the operator's endpoints, answered by the platform
 * itself and never routed to a tenant script. Who may call which is decided here.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { errorResponse } from "../common/errors.ts";
import type { Health } from "./health.ts";
import type { Metrics, MetricSources } from "./metrics.ts";

/** What the operator endpoints read. */
export interface OpsParts {
  health: Health;
  metrics: Metrics;
  sources: MetricSources;
  /** `PICLOUD_METRICS_TOKEN`: a bearer token that opens `/metrics` to non-loopback callers. */
  metricsToken?: string;
}

/** The operator endpoints. */
export interface OpsEndpoints {
  /**
   * `/healthz` or `/readyz` when that is the URL's path (query aside), else null: a cheap test,
   * no allocation, for the tenant port's hot path.
   */
  probePath(url: string): "/healthz" | "/readyz" | null;
  /**
   * The answer for `path`, or null when it is not one of ours. `loopback` is whether the client
   * (the forwarded one behind a trusted proxy) is on this machine; `/metrics` needs that or the
   * token.
   */
  handle(
    path: string,
    req: Request,
    client: { loopback: boolean },
  ): Promise<Response> | null;
}

const PROBES = ["/healthz", "/readyz"] as const;

/** Builds the operator endpoints. */
export function createOpsEndpoints(parts: OpsParts): OpsEndpoints {
  const tokenDigest = parts.metricsToken ? digest(parts.metricsToken) : null;
  const noStore = { "cache-control": "no-store" };

  const tokenMatches = (req: Request): boolean => {
    if (tokenDigest === null) return false;
    const auth = req.headers.get("authorization");
    if (auth === null || !/^bearer /i.test(auth)) return false;
    // Digests are of equal length, so the comparison's time says nothing about the token.
    return timingSafeEqual(digest(auth.slice(7).trim()), tokenDigest);
  };

  return {
    probePath(url) {
      const at = url.indexOf("/", url.indexOf("//") + 2);
      if (at < 0) return null;
      for (const p of PROBES) {
        if (url.startsWith(p, at)) {
          const end = at + p.length;
          if (end === url.length || url.charCodeAt(end) === 63 /* ? */) return p;
        }
      }
      return null;
    },
    handle(path, req, client) {
      if (req.method !== "GET" && req.method !== "HEAD") return null;
      if (path === "/healthz") {
        return Promise.resolve(Response.json({ status: "ok" }, { headers: noStore }));
      }
      if (path === "/readyz") {
        return parts.health.readiness().then((r) =>
          Response.json({ status: r.status, checks: r.checks }, {
            status: r.ready ? 200 : 503,
            headers: noStore,
          })
        );
      }
      if (path === "/metrics") {
        if (!client.loopback && !tokenMatches(req)) {
          return Promise.resolve(errorResponse("not_found", "Not found"));
        }
        return Promise.resolve(
          new Response(parts.metrics.render(parts.sources), {
            headers: { ...noStore, "content-type": "text/plain; version=0.0.4; charset=utf-8" },
          }),
        );
      }
      return null;
    },
  };
}

function digest(s: string): Uint8Array {
  return createHash("sha256").update(s).digest();
}
