/** @module The client address of a request served by `Deno.serve` (or a test default). */
import type { Context } from "hono";
import type { InvokeOptions } from "../executor/types.ts";

/** Reads `remoteAddr` from the Deno serve info Hono passes as `c.env`. */
export function remoteAddrOf(c: Context): InvokeOptions["remoteAddr"] {
  const info = c.env as { remoteAddr?: { hostname?: string; port?: number } } | undefined;
  return {
    transport: "tcp",
    hostname: info?.remoteAddr?.hostname ?? "127.0.0.1",
    port: info?.remoteAddr?.port ?? 0,
  };
}
