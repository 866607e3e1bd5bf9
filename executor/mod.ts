/**
 * @module Executor pool: runs user scripts in per-app executor processes, never in the trusted process.
 *
 * @example
 * ```ts
 * const pool = createExecutorPool({ socketDir: "/run/picloud/sockets" });
 * const { response, outcome, logs } = await pool.fetch(script, request, invokeOptions);
 * await pool.close();
 * ```
 */

export { createExecutorPool, type ExecutorPoolOptions } from "./pool.ts";
export type * from "./types.ts";
