/** @module Runs cron schedules: one timer set to the next due run, never a polling loop. */
import type { Sql } from "../../common/db.ts";
import type { Logger } from "../../common/logging.ts";
import type { Invocation } from "../../executor/mod.ts";
import type { Routing } from "../routing.ts";
import { nextRunAfter } from "./cron.ts";
import { claimDueRuns, type ClaimedRun, finishRun, nextDueAt, nodeLock } from "./repo.ts";

/** Runs one claimed schedule's `scheduled()` handler; supplied by the composition root. */
export type RunScheduled = (run: ClaimedRun) => Promise<Invocation | null>;

/** Options of the scheduler; units in the names. */
export interface SchedulerOptions {
  sql: Sql;
  routing: Routing;
  run: RunScheduled;
  log: Logger;
  /** This node's name, recorded on each run. */
  node: string;
  /** A run marked running for longer than this is considered abandoned by a dead node. */
  staleMs: number;
  /**
   * PostgreSQL shared by several processes (its URL): hold a liveness lock (`nodeLock`) and take
   * over a running schedule as soon as its owner's lock is gone, instead of after `staleMs`.
   */
  liveness?: { databaseUrl: string };
}

/** The scheduler's handle. */
export interface Scheduler {
  /** Re-reads the next due time and re-arms the timer (after any schedule change). */
  rearm(): Promise<void>;
  /** Waits for runs in progress to finish. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** setTimeout's longest delay; a schedule further out re-arms when this fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Starts the scheduler. At start, schedules whose time passed while the platform was down run
 * once (not once per missed tick). Each routing change re-arms the timer, so schedules created
 * or edited on any node are picked up.
 */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let ticking: Promise<void> | undefined;
  // When a tick found nothing due yet (the database clock lags this node's), wait a little
  // before retrying instead of spinning.
  let lastTickEmpty = false;
  const inFlight = new Set<Promise<void>>();
  const lock = opts.liveness ? nodeLock(opts.liveness.databaseUrl, opts.node) : undefined;

  const execute = async (run: ClaimedRun) => {
    let ok = false;
    let error: string | null = null;
    try {
      const inv = await opts.run(run);
      ok = inv !== null && inv.outcome.kind === "ok";
      if (inv === null) error = "The script or its active version no longer exists";
      else if (inv.outcome.kind !== "ok") error = JSON.stringify(inv.outcome).slice(0, 4000);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await finishRun(opts.sql, run, { ok, error }).catch((err) =>
      opts.log.error("recording a schedule run failed", { err, schedule: run.scheduleId })
    );
    // A tick that came during the run is due now.
    await rearm().catch((err) => opts.log.error("scheduler re-arm failed", { err }));
  };

  const tick = async () => {
    timer = undefined;
    // Our lock first: without it, the others would take our runs over as abandoned.
    await lock?.ensure();
    for (let batch = 0; batch < 100 && !closed; batch++) {
      const claimed = await claimDueRuns(opts.sql, {
        node: opts.node,
        staleMs: opts.staleMs,
        limit: 50,
        next: nextRunAfter,
        liveness: lock !== undefined,
      });
      for (const run of claimed) {
        const p = execute(run).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      lastTickEmpty = batch === 0 && claimed.length === 0;
      if (claimed.length < 50) break;
    }
  };

  const rearm = async (): Promise<void> => {
    if (closed) return;
    if (ticking) await ticking;
    const due = await nextDueAt(opts.sql, opts.staleMs, lock !== undefined);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (due === null || closed) return;
    const floor = lastTickEmpty ? 50 : 0;
    const delay = Math.min(MAX_DELAY_MS, Math.max(floor, due.getTime() - Date.now()));
    timer = setTimeout(() => {
      ticking = tick()
        .catch((err) => opts.log.error("scheduler tick failed", { err }))
        .finally(() => ticking = undefined);
      ticking.then(() => rearm()).catch((err) =>
        opts.log.error("scheduler re-arm failed", { err })
      );
    }, delay);
  };

  const unsubscribe = opts.routing.onChange(() => {
    rearm().catch((err) => opts.log.error("scheduler re-arm failed", { err }));
  });
  rearm().catch((err) => opts.log.error("scheduler start failed", { err }));

  return {
    rearm,
    async idle() {
      if (ticking) await ticking;
      await Promise.all([...inFlight]);
    },
    async close() {
      closed = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      if (ticking) await ticking;
      await Promise.all([...inFlight]);
      await lock?.release();
    },
  };
}
