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
 * CPU time of every thread of `pid` by thread id, or null if unreadable. `names` caches thread
 * names across calls (a thread keeps its name), so a steady process costs one read per thread.
 */
export function readThreadCpu(
  pid: number,
  names: Map<string, string>,
): Map<string, ThreadCpu> | null {
  try {
    const out = new Map<string, ThreadCpu>();
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      if (out.size >= MAX_THREADS_READ) break;
      const tid = task.name;
      try {
        let name = names.get(tid);
        if (name === undefined) {
          name = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/comm`).trim();
          names.set(tid, name);
        }
        const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`);
        out.set(tid, { name, ns: Number(stat.split(" ")[0]) });
      } catch { /* the thread ended meanwhile */ }
    }
    for (const tid of names.keys()) if (!out.has(tid)) names.delete(tid);
    return out;
  } catch {
    return null;
  }
}
