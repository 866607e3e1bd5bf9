/** @module The deploy-time check: a source is loaded in the real sandbox before it is stored. */
import { ApiError } from "../../common/errors.ts";
import { unsupportedApis, unsupportedMessage } from "../../executor/mod.ts";
import type { ManagerDeps } from "../deps.ts";

/** Longest a deploy check may take to load a module (capped by the platform timeout). */
export const CHECK_TIMEOUT_MS = 5_000;

/**
 * Refuses with 422 `unsupported_api` (`details.api`, diagnostics at file, line and column) files
 * that use a Workers API PiCloud does not provide; run on the upload before it is bundled (the
 * bundler cannot resolve `cloudflare:` modules) and, in the deploy check, on what runs.
 */
export function refuseUnsupported(files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    const [first, ...more] = unsupportedApis(text);
    if (!first) continue;
    const diagnostics = [first, ...more].map((u) => ({
      message: unsupportedMessage(u),
      file,
      line: u.line,
      column: u.column,
    }));
    throw new ApiError("unsupported_api", unsupportedMessage(first), {
      api: first.api,
      diagnostics,
    });
  }
}

/**
 * Loads the source in the real sandbox; refuses it with 422 `compile_error` (diagnostics in
 * `details`) if it cannot run, 422 `unsupported_api` if it uses a Workers API that is not
 * provided, or 503 `capacity` when every executor slot is busy.
 */
export async function compileCheck(
  deps: Pick<ManagerDeps, "pool" | "config">,
  appId: string,
  source: string,
  entry?: string,
): Promise<void> {
  const diagnostics = await deps.pool.check({
    appId,
    source,
    entry,
    timeoutMs: Math.min(deps.config.limits.timeoutMs, CHECK_TIMEOUT_MS),
    memoryLimitMb: deps.config.limits.memoryLimitMb,
  });
  if (diagnostics[0]?.busy) {
    throw new ApiError("capacity", "Every executor slot is busy; try the deploy again", {
      retry_after_s: 1,
    });
  }
  if (diagnostics[0]?.api) {
    throw new ApiError("unsupported_api", diagnostics[0].message, {
      api: diagnostics[0].api,
      diagnostics,
    });
  }
  if (diagnostics.length > 0) {
    throw new ApiError("compile_error", `The script cannot run: ${diagnostics[0].message}`, {
      diagnostics,
    });
  }
}
