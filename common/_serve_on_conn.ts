/**
 * @module The one place that reaches into Deno's internals: `serveHttpOnConnection`, which serves
 * HTTP/1.1 and HTTP/2 with Deno's native (hyper) server on a connection we accepted ourselves.
 */

/** What serving one connection returns: settles when the connection is gone. */
export interface ServedConnection {
  finished: Promise<void>;
  /** Graceful: answers requests in flight, then closes; idle keep-alive connections close now. */
  shutdown(): Promise<void>;
}

/**
 * Serves `conn` until it ends; aborting `signal` closes it at once (hyper owns the socket from
 * here on, so `conn.close()` no longer works: the signal is the only way to close it).
 */
export type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  onError: (error: unknown) => Response | Promise<Response>,
) => ServedConnection;

type InternalServe = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => ServedConnection;

/**
 * Deno 2.9.6's `Deno[Deno.internal].serveHttpOnConnection`, or null when this Deno lacks it (the
 * caller then falls back to plain `Deno.serve`). Pinned by `http_listener_test.ts`.
 */
export function findServeOnConnection(): ServeOnConnection | null {
  const deno = Deno as unknown as Record<symbol | string, unknown>;
  const key = deno.internal;
  if (typeof key !== "symbol" && typeof key !== "string") return null;
  const internal = deno[key] as Record<string, unknown> | undefined;
  const fn = internal?.serveHttpOnConnection;
  // The signature is (connection, signal, handler, onError, onListen).
  if (typeof fn !== "function" || fn.length !== 5) return null;
  const serve = fn as InternalServe;
  return (conn, signal, handler, onError) => serve(conn, signal, handler, onError, noop);
}

function noop(): void {}
