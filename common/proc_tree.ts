/**
 * @module A process and its descendants from Linux /proc: their pids, their resident memory, and
 * killing them all. One reader for the bundler's limits, the executors' memory and the benches.
 */

/** Descendants read at most (a fork bomb must not make the walk itself unbounded). */
const MAX_TREE = 10_000;

/** The parent of `pid` from /proc/<pid>/stat, or -1 when it is gone. */
function parentOf(pid: string): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which may itself contain spaces and parentheses.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

/** `root` and its live descendants, parents before children, at most `max`. */
export function treePids(root: number, max = MAX_TREE): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const ppid = parentOf(entry.name);
    if (ppid < 0) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(entry.name));
    else children.set(ppid, [Number(entry.name)]);
  }
  const out = [root];
  for (let i = 0; i < out.length && out.length < max; i++) {
    for (const child of children.get(out[i]) ?? []) out.push(child);
  }
  return out.slice(0, max);
}

/** Resident set size of one process in KiB (VmRSS); 0 once it is gone. */
export function rssKb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resident memory of `root` and its descendants together, in MiB. */
export function treeRssMb(root: number, max = MAX_TREE): number {
  let kb = 0;
  for (const pid of treePids(root, max)) kb += rssKb(pid);
  return Math.round(kb / 1024);
}

/** SIGKILLs `root` and its descendants, children first; gone ones are skipped. */
export function killTree(root: number, max = MAX_TREE): void {
  for (const pid of treePids(root, max).reverse()) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}
