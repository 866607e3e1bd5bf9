/**
 * @module After a timeout, whether the cancelled invocation's Worker is merely waiting or stuck:
 * a Worker that acknowledges is kept; one whose thread stays busy, or that never answers, gets
 * its process killed.
 */

import type { ExecutorProcess } from "./supervisor.ts";

/** How long a cancelled invocation's Worker has to acknowledge before its thread is checked. */
const ACK_GRACE_MS = 250;
/** Grace periods without an acknowledgement before the executor is killed regardless. */
const MAX_GRACES = 4;
/** A thread using at least this share of a core over a grace period is busy (spinning). */
const BUSY_CPU_SHARE = 0.5;

/** The timed-out invocation to watch. */
export interface CancelWatch {
  ex: ExecutorProcess;
  /** Its Worker. */
  w: number;
  /** Its invocation id. */
  id: number;
  requestId: string;
  /** Whether the Worker has acknowledged the cancel (or answered) by now. */
  acked: () => boolean;
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  /** Kills the executor process. */
  kill: (reason: string) => void;
}

/**
 * After a timeout: a Worker that acknowledges the cancel was merely waiting (for an upstream, a
 * timer) and stays, with its other requests. One that does not is stuck in this script's code;
 * if its own thread is busy, only killing the process stops it, which fails the requests of
 * that process alone.
 */
export function watchCancel(o: CancelWatch): void {
  const { ex, w } = o;
  let graces = 0;
  let before = ex.threadCpuNs(w);
  let verdict = () => {};
  ex.suspect(new Promise<void>((resolve) => verdict = resolve));
  const check = () => {
    if (o.acked() || ex.dead) {
      verdict();
      if (o.acked()) {
        o.log("info", "A timed-out request's Worker answered its cancel; executor kept", {
          appId: ex.appId,
          requestId: o.requestId,
        });
      }
      return ex.forget(o.id);
    }
    const now = ex.threadCpuNs(w);
    const share = before >= 0 && now >= 0 ? (now - before) / (ACK_GRACE_MS * 1e6) : -1;
    before = now;
    graces++;
    if (share >= BUSY_CPU_SHARE || graces >= MAX_GRACES) {
      ex.forget(o.id);
      const why = share >= BUSY_CPU_SHARE
        ? `its script's thread stayed busy (${Math.round(share * 100)}% of a core)`
        : `its script's Worker did not answer for ${graces * ACK_GRACE_MS} ms`;
      o.kill(`request ${o.requestId} timed out and ${why}`);
      verdict();
      return;
    }
    setTimeout(check, ACK_GRACE_MS);
  };
  setTimeout(check, ACK_GRACE_MS);
}
