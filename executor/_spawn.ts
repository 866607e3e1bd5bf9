/**
 * @module Starting an executor child process: its private socket, the spawn, the one connection
 * it makes back (or why it never came), and how its exit is classified when nobody killed it.
 */

import type { ChildCommand } from "./_command.ts";
import type { Death } from "./_invocation.ts";

const CONNECT_TIMEOUT_MS = 10_000;
const STDERR_KEEP_CHARS = 8_192;
const OOM_PATTERN = /out of memory|heap limit|allocation failed/i;

/** What `spawnConnected` needs; `onSpawn` runs as soon as the process exists. */
export interface SpawnOptions {
  /** Private directory the Unix socket is made in. */
  socketDir: string;
  /** The child's command line for a socket path. */
  command: (socketPath: string) => ChildCommand;
  onSpawn: (child: Deno.ChildProcess) => void;
  /** The child's stderr so far, quoted when it exits before connecting. */
  stderrTail: () => string;
}

/**
 * Listens on a fresh socket, spawns the child and waits for its one connection; rejects when it
 * exits first or does not connect in time. The socket file is removed right after.
 */
export async function spawnConnected(opts: SpawnOptions): Promise<Deno.UnixConn> {
  const path = `${opts.socketDir}/${crypto.randomUUID().slice(0, 12)}.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  let connTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    const cmd = opts.command(path);
    const child = new Deno.Command(cmd.execPath, {
      args: cmd.args,
      env: cmd.env,
      clearEnv: true,
      cwd: cmd.cwd,
      stdin: "null",
      // Nothing platform-side writes there; a script's writes must cost the trusted side nothing.
      stdout: "null",
      stderr: "piped",
    }).spawn();
    opts.onSpawn(child);
    const timeout = new Promise<never>((_, reject) => {
      connTimer = setTimeout(
        () => reject(new Error("Executor did not connect in time")),
        CONNECT_TIMEOUT_MS,
      );
    });
    const exited = child.status.then(() =>
      Promise.reject(new Error(`Executor exited early: ${opts.stderrTail().slice(-500)}`))
    );
    exited.catch(() => {});
    // Exactly one connection is accepted.
    return await Promise.race([listener.accept(), timeout, exited]) as Deno.UnixConn;
  } finally {
    clearTimeout(connTimer);
    listener.close();
    await Deno.remove(path).catch(() => {});
  }
}

/** Reads the child's stderr to its end, keeping the last `STDERR_KEEP_CHARS` in `keep`. */
export async function drainStderr(
  child: Deno.ChildProcess,
  keep: (tail: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of child.stderr) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEEP_CHARS);
    keep(tail);
  }
}

/** Why a child that exited on its own died: out of memory (told by its stderr) or a crash. */
export function exitDeath(
  status: Deno.CommandStatus,
  stderr: string,
  mem: { memoryLimitMb: number; peakRssMb: number },
): Death {
  if (OOM_PATTERN.test(stderr)) {
    return {
      outcome: {
        kind: "memory",
        limitMb: mem.memoryLimitMb,
        usedMb: Math.max(mem.peakRssMb, mem.memoryLimitMb),
      },
      code: "memory_limit",
    };
  }
  return {
    outcome: {
      kind: "crashed",
      reason: `Executor exited (code ${status.code}, signal ${status.signal ?? "none"})`,
    },
    code: "executor_crashed",
  };
}
