/**
 * @module Executors left behind by a PiCloud process that was killed (`kill -9`, OOM): a paused
 * executor (see `_watch.ts`) cannot notice that its socket closed, so it would stay stopped, holding
 * its memory, forever. A new pool on the same state directory ends them and removes their caches.
 */

/** What was found and ended. */
export interface ReapResult {
  killed: number[];
  removedDirs: string[];
}

/**
 * SIGKILLs every orphaned executor whose private Deno cache lies under `stateDir` and removes those
 * caches. Orphaned: re-parented to init or to a subreaper (tini, systemd), i.e. a parent that is
 * not a Deno or PiCloud process. Executors of another running pool (tests share a state
 * directory) are left alone. Linux only; elsewhere a no-op.
 */
export function reapOrphanedExecutors(stateDir: string): ReapResult {
  const result: ReapResult = { killed: [], removedDirs: [] };
  const prefix = `DENO_DIR=${stateDir.replace(/\/+$/, "")}/deno-`;
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    return result;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      const env = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
      const denoDir = env.find((e) => e.startsWith(prefix));
      if (!denoDir) continue;
      // Field 4 of stat is the parent; the name (field 2) may hold spaces, so split after it.
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!orphaned(ppid)) continue;
      Deno.kill(pid, "SIGKILL");
      result.killed.push(pid);
      const dir = denoDir.slice("DENO_DIR=".length);
      Deno.removeSync(dir, { recursive: true });
      result.removedDirs.push(dir);
    } catch { /* gone meanwhile, or not ours to read */ }
  }
  return result;
}

/** Whether `ppid` is not a process that could own executors (Deno, or this compiled binary). */
function orphaned(ppid: number): boolean {
  if (ppid <= 1) return true;
  let comm: string;
  try {
    comm = Deno.readTextFileSync(`/proc/${ppid}/comm`).trim();
  } catch {
    return true;
  }
  // `comm` keeps at most 15 bytes of the executable's name.
  const self = (Deno.execPath().split("/").pop() ?? "deno").slice(0, 15);
  return comm !== "deno" && comm !== self;
}
