/** @module Readers of a child process's resource use from Linux /proc (no timers, no state). */

import { rssKb } from "../common/proc_tree.ts";

/** A process with more threads than this is not inspected. */
const MAX_THREADS_READ = 256;

/** Resident set size of `pid` in MiB; 0 once the process is gone. */
export function readRssMb(pid: number): number {
  return Math.round(rssKb(pid) / 1024);
}

/** CPU time of all threads of `pid` in ns (schedstat: precise, unlike clock ticks); -1 if unknown. */
export function readCpuNs(pid: number): number {
  try {
    let total = 0;
    let threads = 0;
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      if (++threads > MAX_THREADS_READ) return -1;
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`);
      total += Number(stat.split(" ")[0]);
    }
    return total;
  } catch {
    return -1;
  }
}

/** CPU time of one thread, with its name (`comm`: `worker-3`, `tokio-runtime-w`, …). */
export interface ThreadCpu {
  name: string;
  ns: number;
}

/**
 * Thread names by thread id, kept across reads. A new thread shows its creator's name until it
 * names itself (Rust sets a thread's name from inside the thread, after it started), so a name is
 * trusted only once two reads agree — or at once for `worker-n`, which a thread only ever gets
 * from itself. A name caught too early would charge a script's Worker to the process for good.
 */
export class ThreadNames {
  #names = new Map<string, { name: string; confirmed: boolean }>();

  /** The name of thread `tid` of `pid`: cached when confirmed, read from `comm` otherwise. */
  read(pid: number, tid: string): string {
    const known = this.#names.get(tid);
    if (known?.confirmed) return known.name;
    const name = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/comm`).trim();
    const confirmed = name.startsWith("worker-") || known?.name === name;
    this.#names.set(tid, { name, confirmed });
    return name;
  }

  /** Forgets the threads not in `alive` (they ended; Linux may reuse their ids). */
  keep(alive: Map<string, unknown>): void {
    for (const tid of this.#names.keys()) if (!alive.has(tid)) this.#names.delete(tid);
  }
}

/**
 * CPU time of every thread of `pid` by thread id, or null if unreadable. `names` keeps thread
 * names across calls, so a steady process costs one read per thread.
 */
export function readThreadCpu(pid: number, names: ThreadNames): Map<string, ThreadCpu> | null {
  try {
    const out = new Map<string, ThreadCpu>();
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      if (out.size >= MAX_THREADS_READ) break;
      const tid = task.name;
      try {
        const name = names.read(pid, tid);
        const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`);
        out.set(tid, { name, ns: Number(stat.split(" ")[0]) });
      } catch { /* the thread ended meanwhile */ }
    }
    names.keep(out);
    return out;
  } catch {
    return null;
  }
}
