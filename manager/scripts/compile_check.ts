/** @module The deploy-time check: a source is loaded in the real sandbox before it is stored. */
import { ApiError } from "../../common/errors.ts";
import type { ManagerDeps } from "../deps.ts";

/** Longest a deploy check may take to load a module (capped by the platform timeout). */
export const CHECK_TIMEOUT_MS = 5_000;

/**
 * Loads the source in the real sandbox; refuses it with 422 `compile_error` (diagnostics in
 * `details`) if it cannot run, or 503 `capacity` when every executor slot is busy.
 */
export async function compileCheck(
  deps: Pick<ManagerDeps, "pool" | "config">,
  appId: string,
  source: string,
): Promise<void> {
  const diagnostics = await deps.pool.check({
    appId,
    source,
    timeoutMs: Math.min(deps.config.limits.timeoutMs, CHECK_TIMEOUT_MS),
    memoryLimitMb: deps.config.limits.memoryLimitMb,
  });
  if (diagnostics[0]?.busy) {
    throw new ApiError("capacity", "Every executor slot is busy; try the deploy again", {
      retry_after_s: 1,
    });
  }
  if (diagnostics.length > 0) {
    throw new ApiError("compile_error", `The script cannot run: ${diagnostics[0].message}`, {
      diagnostics,
    });
  }
}
