/**
 * @module An HTTP listener no client can exhaust: our own accept loop caps open connections,
 * closes connections that never finish their headers or sit idle, survives every accept error
 * (EMFILE included), and hands each connection to Deno's native HTTP server.
 */
import type { Logger } from "./logging.ts";
import {
  defaultMaxConnections,
  hasValidAuthority,
  internalErrorResponse,
  invalidHostResponse,
  readOpenFilesSoftLimit,
  refusalBytes,
} from "./_http_guard.ts";
import {
  findServeOnConnection,
  type ServedConnection,
  type ServeOnConnection,
} from "./_serve_on_conn.ts";

export { defaultMaxConnections, readOpenFilesSoftLimit } from "./_http_guard.ts";

/** Options of `listen()`; durations in milliseconds. */
export interface HttpListenerOptions {
  hostname: string;
  port: number;
  /** From accept to the first request's complete headers (the whole header, not per byte). */
  headerTimeoutMs?: number;
  /** Between the end of a response and the next request on a keep-alive connection. */
  idleTimeoutMs?: number;
  /** Open client connections; more are answered 503 and closed. Default: from the fd limit. */
  maxConnections?: number;
  /** Accept-error back-off: doubles from 10 ms up to this. */
  maxAcceptBackoffMs?: number;
  onListen?: (addr: Deno.NetAddr) => void;
  /** Answers a request whose handler threw; default: 500 `internal`, logged. */
  onError?: (error: unknown) => Response | Promise<Response>;
  log: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** For tests: the per-connection server; null forces the plain `Deno.serve` fallback. */
  serveOnConnection?: ServeOnConnection | null;
}

/** Counters since start; `mode` says whether the guard is active. */
export interface HttpListenerStats {
  mode: "guarded" | "fallback";
  maxConnections: number;
  open: number;
  accepted: number;
  refused: number;
  headerTimeouts: number;
  idleTimeouts: number;
  acceptErrors: number;
}

/** A running listener, shaped like `Deno.HttpServer`. */
export interface HttpListener {
  addr: Deno.NetAddr;
  /** Settles once the listener is closed and every connection has ended. */
  finished: Promise<void>;
  /** Stops accepting, closes connections without a request, lets requests in flight finish. */
  shutdown(): Promise<void>;
  stats(): HttpListenerStats;
}

/** Default `headerTimeoutMs`: slow mobile clients send headers in well under a second. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** Default `idleTimeoutMs`: browsers reuse within seconds; Caddy sees our close at once. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

interface ConnState {
  /** Accept time, then the end of the last response. */
  since: number;
  requests: number;
  inFlight: number;
  abort: AbortController;
  served: ServedConnection | null;
  /** Close once the response in flight is sent (Deno ignores a `connection: close` header). */
  closeAfter: boolean;
}

/** Serves `handler` on `hostname:port` behind the guard (see the module doc). */
export function listen(
  opts: HttpListenerOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): HttpListener {
  const log = opts.log;
  const onError = opts.onError ?? ((error: unknown) => {
    log.error("request handler failed", { error });
    return internalErrorResponse();
  });
  const serveOn = opts.serveOnConnection === undefined
    ? findServeOnConnection()
    : opts.serveOnConnection;
  const maxConnections = opts.maxConnections ?? defaultMaxConnections(readOpenFilesSoftLimit());
  if (serveOn === null) {
    const checked: Deno.ServeHandler<Deno.NetAddr> = (req, info) =>
      hasValidAuthority(req.url) ? handler(req, info) : invalidHostResponse();
    return fallback(opts, checked, onError, maxConnections);
  }

  const headerMs = opts.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxBackoffMs = opts.maxAcceptBackoffMs ?? 1000;
  const stats = zeroStats("guarded", maxConnections);
  const conns = new Set<ConnState>();
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port });
  const addr = listener.addr;
  const refusal = refusalBytes(1);
  let closing = false;
  let drained: (() => void) | null = null;

  // One timer for all connections, set to the earliest deadline: no wake-ups while nothing is
  // due, and a request costs two counter updates, not a timer.
  let wakeAt = Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (at: number) => {
    if (at >= wakeAt) return;
    if (timer !== undefined) clearTimeout(timer);
    wakeAt = at;
    const t = setTimeout(sweep, Math.max(0, at - performance.now()) + 1);
    Deno.unrefTimer(t);
    timer = t;
  };
  const sweep = () => {
    timer = undefined;
    wakeAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const st of conns) {
      if (st.inFlight > 0 || st.abort.signal.aborted) continue;
      const fresh = st.requests === 0;
      const due = st.since + (fresh ? headerMs : idleMs);
      if (due > now) {
        if (due < next) next = due;
        continue;
      }
      if (fresh) stats.headerTimeouts++;
      else stats.idleTimeouts++;
      st.abort.abort();
    }
    if (next < Infinity) schedule(next);
  };

  const capLog = episodeLog(log, "connection cap reached: refusing new connections", "refused");
  const acceptLog = episodeLog(log, "accept failed: backing off", "errors");

  const track = (conn: Deno.Conn) => {
    const st: ConnState = {
      since: performance.now(),
      requests: 0,
      inFlight: 0,
      abort: new AbortController(),
      served: null,
      closeAfter: false,
    };
    const done = () => {
      if (st.closeAfter) return st.abort.abort();
      st.inFlight--;
      st.since = performance.now();
      if (st.inFlight === 0) schedule(st.since + idleMs);
    };
    const perConn: Deno.ServeHandler<Deno.NetAddr> = (req, info) => {
      st.requests++;
      st.inFlight++;
      info.completed.then(done, done);
      if (hasValidAuthority(req.url)) return handler(req, info);
      st.closeAfter = true;
      return invalidHostResponse();
    };
    const ended = () => {
      conns.delete(st);
      stats.open = conns.size;
      if (closing && conns.size === 0) drained?.();
    };
    conns.add(st);
    stats.open = conns.size;
    try {
      st.served = serveOn(conn, st.abort.signal, perConn, onError);
    } catch (error) {
      log.warn("could not serve a connection", { error });
      closeQuietly(conn);
      ended();
      return;
    }
    st.served.finished.then(ended, (error) => {
      log.debug("connection ended with an error", { error });
      ended();
    });
    schedule(st.since + headerMs);
  };

  const refuse = (conn: Deno.Conn) => {
    stats.refused++;
    capLog.hit({ max_connections: maxConnections });
    conn.write(refusal).then(() => closeQuietly(conn), () => closeQuietly(conn));
  };

  const acceptLoop = async () => {
    let backoffMs = 0;
    while (!closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing || isListenerGone(error)) break;
        // EMFILE/ENFILE (and ECONNABORTED and friends): the connection stays in the backlog; wait
        // for descriptors to free up rather than spin on an accept that fails at once.
        stats.acceptErrors++;
        acceptLog.hit({ error: String(error) });
        backoffMs = Math.min(backoffMs === 0 ? 10 : backoffMs * 2, maxBackoffMs);
        await new Promise((r) => setTimeout(r, backoffMs));
        continue;
      }
      backoffMs = 0;
      acceptLog.end();
      stats.accepted++;
      if (closing) {
        closeQuietly(conn);
        break;
      }
      if (conns.size >= maxConnections) {
        refuse(conn);
        continue;
      }
      capLog.end();
      track(conn);
    }
  };

  const finished = (async () => {
    await acceptLoop().catch((error) => log.error("accept loop ended", { error }));
    if (conns.size > 0) await new Promise<void>((r) => drained = r);
    if (timer !== undefined) clearTimeout(timer);
  })();

  opts.onListen?.(addr as Deno.NetAddr);
  return {
    addr: addr as Deno.NetAddr,
    finished,
    async shutdown() {
      if (!closing) {
        closing = true;
        closeQuietly(listener);
        for (const st of conns) {
          if (st.requests === 0) st.abort.abort();
          else st.served?.shutdown().catch(() => st.abort.abort());
        }
      }
      await finished;
    },
    stats: () => ({ ...stats }),
  };
}

/** Plain `Deno.serve` with the Host check: no cap and no timeouts, said loudly at start. */
function fallback(
  opts: HttpListenerOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  onError: (error: unknown) => Response | Promise<Response>,
  maxConnections: number,
): HttpListener {
  opts.log.warn(
    "serveHttpOnConnection is unavailable in this Deno: serving without header/idle timeouts " +
      "or a connection cap",
  );
  const server = Deno.serve({
    hostname: opts.hostname,
    port: opts.port,
    onError,
    onListen: (addr) => opts.onListen?.(addr),
  }, handler);
  return {
    addr: server.addr,
    finished: server.finished,
    shutdown: () => server.shutdown(),
    stats: () => zeroStats("fallback", maxConnections),
  };
}

/**
 * Logs the first event of an episode, then at most once a minute while it lasts, and its end once
 * things have been calm for `QUIET_MS`: an accept-error or refusal flood never floods the log.
 */
function episodeLog(log: HttpListenerOptions["log"], msg: string, countName: string) {
  const QUIET_MS = 5_000;
  let count = 0;
  let started = 0;
  let lastHit = 0;
  let lastLog = 0;
  return {
    hit(fields: Record<string, unknown>) {
      const now = Date.now();
      if (count === 0) started = now;
      count++;
      lastHit = now;
      if (count === 1 || now - lastLog >= 60_000) {
        lastLog = now;
        log.warn(msg, { ...fields, [countName]: count });
      }
    },
    end() {
      if (count === 0) return;
      const now = Date.now();
      if (now - lastHit < QUIET_MS) return;
      log.info(`${msg}: episode over`, { [countName]: count, duration_ms: lastHit - started });
      count = 0;
    },
  };
}

function isListenerGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch { /* already closed */ }
}

function zeroStats(mode: HttpListenerStats["mode"], maxConnections: number): HttpListenerStats {
  return {
    mode,
    maxConnections,
    open: 0,
    accepted: 0,
    refused: 0,
    headerTimeouts: 0,
    idleTimeouts: 0,
    acceptErrors: 0,
  };
}
