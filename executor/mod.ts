/**
 * @module Executor pool: runs user scripts in per-app executor processes, never in the trusted process.
 * Everything outside this folder imports it from here, except `main.ts`, which loads `child.ts`
 * (the executor process's own entry) lazily so a child loads only its own code.
 *
 * @example
 * ```ts
 * const pool = createExecutorPool({ socketDir: "/run/picloud/sockets" });
 * const { response, outcome, logs } = await pool.fetch(script, request, invokeOptions);
 * await pool.close();
 * ```
 */

export { createExecutorPool, type ExecutorPoolOptions } from "./pool.ts";
export { QUEUE_WAIT_BUCKETS_S } from "./_admission.ts";
/** The loader Worker's files, for the compiled binary's include list. */
export { LOADER_FILES } from "./_command.ts";
export type { BackgroundPolicy } from "./_background.ts";
export type * from "./types.ts";
export { unsupportedApis, unsupportedMessage } from "./_words.ts";
export { reapOrphanedExecutors } from "./_orphans.ts";
