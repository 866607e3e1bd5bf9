/** @module Limits of one executor at all times: RSS and background CPU watched while it can run, SIGSTOP once it is quiet, SIGCONT before its next frame. */

import { BackgroundMeter, type BackgroundPolicy } from "./_background.ts";
import { readRssMb, readThreadCpu, ThreadNames } from "./_proc.ts";
import type { Death } from "./_invocation.ts";

/** RSS is read this often while the process can run (it cannot allocate while frozen). */
const WATCH_MS = 25;
/** Per-thread CPU is read every this many RSS reads (100 ms). */
const CPU_EVERY_TICKS = 4;
/** Consecutive quiet CPU samples (200 ms) with nothing in flight before the process is frozen. */
const QUIET_SAMPLES = 2;
/** At most this share of one core counts as quiet. */
const QUIET_CPU_SHARE = 0.1;
/** Pending `ctx.waitUntil` work keeps a quiet executor awake at most this long after it answered. */
export const BACKGROUND_WAKE_MS = 30_000;

/** One script named in a background-budget kill, with the background CPU charged to it. */
interface ScriptCharge {
  versionId: string;
  cpuMs: number;
  /** False when the CPU could not be told apart per Worker and the script is only a suspect. */
  attributed?: false;
  /** Set on a suspect with `ctx.waitUntil` work pending. */
  backgroundPending?: true;
}

/** What the watch needs from its executor. */
export interface WatchOptions {
  appId: string;
  pid: number;
  child: Deno.ChildProcess;
  memoryLimitMb: number;
  background: BackgroundPolicy;
  /** The executor's invocations in flight, by id, with their Worker id (read, never written). */
  pending: ReadonlyMap<number, { w: number }>;
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  kill: (death: Death) => void;
}

/**
 * Watches one executor process whenever it can run, and only then: while anything is in flight,
 * and after that while it still burns CPU (work after the response, `ctx.waitUntil`). Once it has
 * been quiet for a short window the process is stopped with SIGSTOP — it can then neither run nor
 * allocate, so no timer is needed and an idle platform costs 0 CPU — and `wake()` sends SIGCONT
 * right before the next frame is written to it.
 */
export class ExecutorWatch {
  /** True while the process is stopped. */
  frozen = false;
  /** Largest RSS seen, in MiB. */
  peakRssMb = 0;
  /** RSS at the last sample, in MiB. */
  lastRssMb = 0;
  #opts: WatchOptions;
  #meter: BackgroundMeter;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #quietSamples = 0;
  #lastSampleAt = 0;
  #names = new ThreadNames();
  /** Worker id by thread name (`worker-n`); 0 for the platform's spare Workers. */
  #threads = new Map<string, number>();
  /** Script version id by Worker id, for the log. */
  #labels = new Map<number, string>();
  /** When each Worker last had an invocation in flight. */
  #activeAt = new Map<number, number>();
  #processActiveAt = 0;
  #invoked = false;
  #waiting = new Set<number>();
  #stopped = false;

  constructor(opts: WatchOptions) {
    this.#opts = opts;
    this.#meter = new BackgroundMeter(opts.background);
  }

  /** Resumes a frozen process and watches it; call before writing any frame to it. */
  wake(): void {
    if (this.#stopped) return;
    if (this.frozen) {
      try {
        this.#opts.child.kill("SIGCONT");
      } catch { /* already gone: its status handler reports it */ }
      this.frozen = false;
    }
    this.#quietSamples = 0;
    this.#timer ??= setInterval(() => this.#tick(), WATCH_MS);
  }

  /** Names the app in logs and sets the RSS cap, when a spare executor is bound to an app. */
  adopt(appId: string, memoryLimitMb: number): void {
    this.#opts = { ...this.#opts, appId, memoryLimitMb };
  }

  /** An invocation for Worker `w` is about to be written. */
  invoked(w: number): void {
    this.#invoked = true;
    this.#active(w);
    this.wake();
  }

  /** An invocation of Worker `w` settled (answered or forgotten). */
  settled(w: number): void {
    this.#active(w);
  }

  /** Names Worker `w` after the script version it runs (the fingerprint's version id). */
  label(w: number, fingerprint: string): void {
    this.#labels.set(w, fingerprint.split("\0")[0]);
  }

  /** Handles the child's `thread` (which thread runs Worker w) and `bg` (waitUntil pending) frames. */
  onFrame(header: Record<string, unknown>): void {
    const w = header.w;
    if (typeof w !== "number" || !Number.isSafeInteger(w) || w < 0) return;
    if (header.t === "thread" && typeof header.n === "number") {
      this.#threads.set(`worker-${header.n}`, w);
    } else if (header.t === "bg") {
      if (header.pending === true) this.#waiting.add(w);
      else this.#waiting.delete(w);
    }
  }

  /** Stops watching for good (the process is killed or gone). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #active(w: number): void {
    const now = performance.now();
    this.#activeAt.set(w, now);
    this.#processActiveAt = now;
  }

  #freeze(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.#opts.child.kill("SIGSTOP");
      this.frozen = true;
    } catch { /* already gone */ }
  }

  #tick(): void {
    const { pid, memoryLimitMb, pending } = this.#opts;
    const mb = readRssMb(pid);
    this.peakRssMb = Math.max(this.peakRssMb, mb);
    this.lastRssMb = mb;
    if (mb > memoryLimitMb) {
      this.#opts.log("warn", "Executor over its memory limit; killed", {
        appId: this.#opts.appId,
        pid,
        usedMb: mb,
        limitMb: memoryLimitMb,
        inFlight: pending.size,
      });
      return this.#opts.kill({
        outcome: { kind: "memory", limitMb: memoryLimitMb, usedMb: mb },
        code: "memory_limit",
      });
    }
    if (++this.#ticks % CPU_EVERY_TICKS !== 0) return;
    const threads = readThreadCpu(pid, this.#names);
    if (!threads) return;
    const now = performance.now();
    const since = this.#lastSampleAt;
    this.#lastSampleAt = now;
    const busy = new Set<number>();
    for (const p of pending.values()) busy.add(p.w);
    // Charged only for a whole sample interval without anything of its own in flight.
    const processIdle = this.#invoked && pending.size === 0 && this.#processActiveAt < since;
    const sample = this.#meter.sample(threads, now, (name) => {
      if (!name.startsWith("worker-")) return processIdle ? 0 : null;
      const w = this.#threads.get(name);
      if (w === 0) return null;
      // A Worker thread the child never announced is charged to the process.
      if (w === undefined) return 0;
      return !busy.has(w) && (this.#activeAt.get(w) ?? 0) < since ? w : null;
    });
    if (sample.over) return this.#overBudget();
    if (pending.size > 0) {
      this.#quietSamples = 0;
      return;
    }
    const quiet = sample.elapsedMs > 0 && sample.cpuMs <= sample.elapsedMs * QUIET_CPU_SHARE;
    this.#quietSamples = quiet ? this.#quietSamples + 1 : 0;
    const waitUntil = this.#waiting.size > 0 && now - this.#processActiveAt < BACKGROUND_WAKE_MS;
    if (this.#quietSamples >= QUIET_SAMPLES && !waitUntil) this.#freeze();
  }

  #overBudget(): void {
    const { budgetCpuMs } = this.#opts.background;
    const label = (w: number) => this.#labels.get(w) ?? `worker ${w}`;
    let scripts: ScriptCharge[] = [...this.#meter.byWorker]
      .filter(([w, ms]) => w > 0 && ms >= 1)
      .sort((a, b) => b[1] - a[1])
      .map(([w, ms]) => ({ versionId: label(w), cpuMs: Math.round(ms) }));
    if (scripts.length === 0) {
      // The CPU could not be told apart per Worker this time: every script that ran here is named
      // as a suspect, marked so — those with ctx.waitUntil work pending first, then the one idle
      // longest (a spinner keeps running after its last request; a script with traffic does not).
      const at = (w: number) => this.#activeAt.get(w) ?? 0;
      scripts = [...this.#labels.keys()]
        .sort((a, b) =>
          Number(this.#waiting.has(b)) - Number(this.#waiting.has(a)) || at(a) - at(b)
        )
        .map((w) => ({
          versionId: label(w),
          cpuMs: Math.round(this.#meter.byWorker.get(w) ?? 0),
          attributed: false,
          ...(this.#waiting.has(w) ? { backgroundPending: true } : {}),
        }));
    }
    this.#opts.log("warn", "Executor over its background CPU budget; killed", {
      appId: this.#opts.appId,
      pid: this.#opts.pid,
      budgetCpuMs,
      scripts,
      processCpuMs: Math.round(this.#meter.byWorker.get(0) ?? 0),
      why: "work after the response (timers, ctx.waitUntil) used more CPU than its budget",
    });
    this.#opts.kill({
      outcome: {
        kind: "crashed",
        reason: `Executor restarted: work after the response used over ${budgetCpuMs} ms of CPU`,
      },
      code: "executor_restarted",
    });
  }
}
