/** @module Background work of one executor: CPU its threads burn with nothing of their own in flight, charged to a refilling budget. */

import type { ThreadCpu } from "./_proc.ts";

/** How much work after the response an executor may do. */
export interface BackgroundPolicy {
  /** CPU that background work may burn in one burst before the executor is restarted. */
  budgetCpuMs: number;
  /** Share of one core the budget refills at: the steady background allowance. */
  refillShare: number;
}

/** The default: a 1 s burst, refilled at 10 % of one core. */
export const DEFAULT_BACKGROUND_POLICY: BackgroundPolicy = { budgetCpuMs: 1_000, refillShare: 0.1 };

/**
 * Whom one thread's CPU since the previous sample is charged to: a Worker id (a script), 0 (the
 * process: main thread, GC and runtime threads while nothing at all is in flight), or null (not
 * background: foreground work, or the platform's own spare Worker).
 */
export type Classify = (threadName: string) => number | null;

/** One sample's result. */
export interface Sample {
  /** CPU of the whole process since the previous sample. */
  cpuMs: number;
  /** Wall time since the previous sample. */
  elapsedMs: number;
  /** True once the budget is exhausted. */
  over: boolean;
}

/** A leaky bucket of background CPU, fed from per-thread CPU samples. */
export class BackgroundMeter {
  readonly policy: BackgroundPolicy;
  /** CPU charged and not yet refilled. */
  usedMs = 0;
  /** Background CPU charged per Worker id (0: the process) since the executor started. */
  readonly byWorker = new Map<number, number>();
  #prev = new Map<string, number>();
  #at = -1;

  constructor(policy: BackgroundPolicy) {
    this.policy = policy;
  }

  /** Charges the CPU each thread used since the previous sample (the first sample is a baseline). */
  sample(threads: Map<string, ThreadCpu>, nowMs: number, classify: Classify): Sample {
    const baseline = this.#at < 0;
    const elapsedMs = baseline ? 0 : nowMs - this.#at;
    this.#at = nowMs;
    let cpuNs = 0;
    let chargedNs = 0;
    const next = new Map<string, number>();
    for (const [tid, { name, ns }] of threads) {
      next.set(tid, ns);
      const delta = Math.max(0, ns - (this.#prev.get(tid) ?? 0));
      if (baseline) continue;
      cpuNs += delta;
      const owner = delta > 0 ? classify(name) : null;
      if (owner === null) continue;
      chargedNs += delta;
      this.byWorker.set(owner, (this.byWorker.get(owner) ?? 0) + delta / 1e6);
    }
    this.#prev = next;
    const refill = elapsedMs * this.policy.refillShare;
    this.usedMs = Math.max(0, this.usedMs - refill) + chargedNs / 1e6;
    return { cpuMs: cpuNs / 1e6, elapsedMs, over: this.usedMs > this.policy.budgetCpuMs };
  }
}
