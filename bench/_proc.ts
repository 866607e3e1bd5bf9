/** @module Process-tree accounting from /proc: CPU ticks, RSS and threads of a server and its children. */

import postgres from "postgres";
import { treePids } from "../common/proc_tree.ts";
import { RUN_FLAGS } from "../deploy/compile.ts";

/** One process's counters from /proc/<pid>/stat and statm. */
interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks (reaped children included). */
  ticks: number;
  threads: number;
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we target). */
export const CLK_TCK = 100;
const PAGE_KB = 4;

function readStat(pid: number): ProcStat | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which may itself contain spaces and parentheses.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // f[0] is field 3 (state): field N is f[N - 3].
    const n = (field: number) => Number(f[field - 3]);
    return { pid, ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17), threads: n(20) };
  } catch {
    return null;
  }
}

/** Resident set size of one process in KiB (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    return Number(Deno.readTextFileSync(`/proc/${pid}/statm`).split(" ")[1]) * PAGE_KB;
  } catch {
    return 0;
  }
}

export { treePids };

/** A point-in-time sample of a whole process tree. */
export interface TreeSample {
  /** CPU ticks (user + system, reaped children included) summed over the tree. */
  ticks: number;
  /** Sum of RSS over the tree, KiB. */
  rssKb: number;
  /** RSS of the root process alone, KiB. */
  rootRssKb: number;
  /** CPU ticks of the root process alone. */
  rootTicks: number;
  threads: number;
  processes: number;
}

/** Samples the tree rooted at `root`. */
export function sampleTree(root: number): TreeSample {
  const s: TreeSample = {
    ticks: 0,
    rssKb: 0,
    rootRssKb: rssKb(root),
    rootTicks: readStat(root)?.ticks ?? 0,
    threads: 0,
    processes: 0,
  };
  for (const pid of treePids(root)) {
    const st = readStat(pid);
    if (!st) continue;
    s.ticks += st.ticks;
    s.threads += st.threads;
    s.rssKb += rssKb(pid);
    s.processes++;
  }
  return s;
}

/** CPU ticks per thread name over the whole tree ("pid:name" keys), to tell who is awake. */
export function threadTicks(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of treePids(root)) {
    try {
      for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
        const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
        const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
        const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
        const key = `${pid === root ? "main" : `child ${pid}`}:${name}`;
        out.set(key, (out.get(key) ?? 0) + Number(f[11]) + Number(f[12]));
      }
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** CPU ticks of this process (the harness itself). */
export function selfTicks(): number {
  return readStat(Deno.pid)?.ticks ?? 0;
}

/** Machine-wide CPU counters from the first line of /proc/stat, in ticks. */
export interface CpuTotals {
  /** user + nice + system: time charged to tasks. */
  task: number;
  /** irq + softirq: mostly loopback networking, which the benchmark itself causes. */
  irq: number;
  idle: number;
  steal: number;
}

/** Reads /proc/stat. */
export function cpuTotals(): CpuTotals {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return { task: user + nice + system, irq: irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
}

/** A process started by the harness, with the tail of its output kept for error messages. */
export interface Started {
  name: string;
  pid: number;
  child: Deno.ChildProcess;
  /** Last lines of stdout + stderr. */
  tail(): string;
  /** SIGTERM, then SIGKILL to the whole tree after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a long-running process with piped output (kept as a bounded tail). */
export function spawn(
  name: string,
  cmd: string,
  opts: { args: string[]; env?: Record<string, string>; cwd?: string },
): Started {
  const child = new Deno.Command(cmd, {
    args: opts.args,
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n").filter((l) => l.length > 0));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid: child.pid,
    child,
    tail: () => lines.slice(-25).join("\n"),
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        const tree = treePids(child.pid);
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          for (const pid of tree) {
            try {
              Deno.kill(pid, "SIGKILL");
            } catch { /* gone */ }
          }
        }, graceMs);
        await child.status;
        clearTimeout(timer);
        // Children that outlived their parent (should not happen) are ours: stop them too.
        for (const pid of tree.slice(1)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* gone */ }
        }
        await drained;
      })();
      return stopping;
    },
  };
}

/**
 * `deno` arguments that run the server (`main.ts serve`, from the repository root) with the
 * program's run flags, `--v8-flags=<v8Flags>` unless it is empty, and any further `deno` flags.
 */
export function serveArgs(v8Flags: string, denoFlags: readonly string[] = []): string[] {
  return [
    "run",
    ...RUN_FLAGS,
    ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
    ...denoFlags,
    "main.ts",
    "serve",
  ];
}

/** A free loopback TCP port (the tests' helper). */
export { freePort } from "../testing/server_process.ts";

/** Runs a short command to completion with a timeout; returns trimmed stdout (throws on failure). */
export async function runText(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 60_000);
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "null",
      signal: ac.signal,
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n");
      throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${err}\n${text}`);
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** A throwaway PostgreSQL server for a bench part, from the repository's `.ci/pg.sh`. */
export interface BenchPostgres {
  /** Its folder (the cluster's data in `data/`). */
  dir: string;
  /** A connection URL to the part's database. */
  url: string;
  /** Stops the server and removes its folder; idempotent, never throws. */
  stop(): Promise<void>;
}

/**
 * Starts a PostgreSQL server in a new folder under /tmp (`picloud-bench-<name>.XXXXXX`) and
 * creates `database` in it (null: the default `postgres` database). `onCleanup` gets its stop at
 * once, so a harness that gives up mid-start still stops it.
 */
export async function startBenchPostgres(
  name: string,
  database: string | null,
  onCleanup?: (stop: () => Promise<void>) => void,
): Promise<BenchPostgres> {
  const pgsh = new URL("../.ci/pg.sh", import.meta.url).pathname;
  const dir = await runText("mktemp", ["-d", `/tmp/picloud-bench-${name}.XXXXXX`]);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      await runText("bash", [pgsh, "stop", dir], { timeoutMs: 90_000 }).catch((e) =>
        console.error(`bench: ${e}`)
      );
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
  onCleanup?.(stop);
  try {
    await Deno.chmod(dir, 0o755);
    const port = (await runText("bash", [pgsh, "start", dir], { timeoutMs: 120_000 }))
      .split("\n").pop();
    const base = `postgres://postgres@127.0.0.1:${port}`;
    if (database !== null) {
      const admin = postgres(`${base}/postgres`, { max: 1 });
      try {
        await admin.unsafe(`create database ${database}`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    }
    return { dir, url: `${base}/${database ?? "postgres"}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
