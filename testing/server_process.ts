/**
 * @module PiCloud as a real process for tests: `deno run … main.ts serve` (or a copy of it) on free
 * loopback ports, started once its "listening" line is printed, its stderr kept and drained.
 */

/** A free loopback TCP port (closed again; the caller's process binds it a moment later). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The few variables a child needs from this environment (paths and Deno's cache), nothing else. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { DENO_NO_PACKAGE_JSON: "1", NO_COLOR: "1" };
  for (const key of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_NO_PACKAGE_JSON"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** A server's environment: `baseEnv()`, free loopback ports, info logs, then `env`. */
export function serverEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    ...baseEnv(),
    PORT: "0",
    PICLOUD_CONSOLE_PORT: "0",
    HOSTNAME: "127.0.0.1",
    PICLOUD_LOG_LEVEL: "info",
    ...env,
  };
}

/** A started server process. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  /** The tenant port. */
  port: number;
  consolePort: number;
  /** Everything it printed on stderr so far. */
  output: () => string;
  /** Settles once its stderr has ended (after it exits). */
  drained: Promise<void>;
}

/** How to start one: the arguments after the deno executable, and what to add to `baseEnv()`. */
export interface ServerProcessOptions {
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** How long it may take to print its "listening" line. Default 90 s (a loaded machine). */
  startMs?: number;
  /**
   * Its "listening" line, when not that of role `all`: group 1 the tenant port, group 2 (if any)
   * the console port (0 when absent). See `NODE_LISTENING` and `MANAGER_LISTENING`.
   */
  listening?: RegExp;
}

const LISTENING =
  /listening on http:\/\/localhost:(\d+)\/.*console and admin API on http:\/\/localhost:(\d+)\//;

/** The "listening" line of `serve --role node`: group 1 the tenant port. */
export const NODE_LISTENING = /PiCloud node listening on http:\/\/localhost:(\d+)\//;

/** The "listening" line of `serve --role manager`: group 1 the console port (no tenant port). */
export const MANAGER_LISTENING =
  /PiCloud manager: console and admin API on http:\/\/localhost:(\d+)\/api\/v1\//;

/**
 * Starts the server on free loopback ports (`PORT=0`, `HOSTNAME=127.0.0.1`, info logs) and waits
 * for its "listening" line; a server that exits or stays silent is killed and its output thrown.
 */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: opts.args,
    cwd: opts.cwd,
    clearEnv: true,
    env: serverEnv(opts.env),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + (opts.startMs ?? 90_000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((r) => timer = setTimeout(() => r(null), opts.startMs ?? 90_000));
  try {
    while (Date.now() < deadline) {
      const next = await Promise.race([reader.read(), late]);
      if (next === null || next.done) break;
      seen += next.value;
      const m = (opts.listening ?? LISTENING).exec(seen);
      if (!m) continue;
      // Keep draining so the child never blocks on a full pipe.
      const drained = (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) seen += r.value;
      })();
      const port = Number(m[1]);
      const consolePort = Number(m[2] ?? 0);
      return { child, port, consolePort, output: () => seen, drained };
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    child.kill("SIGKILL");
  } catch { /* already ended */ }
  await child.status;
  throw new Error(`the server did not start:\n${seen}`);
}

/** The repository's `main.ts`. */
export const MAIN_PATH = new URL("../main.ts", import.meta.url).pathname;

/** Starts `main.ts serve` (from source, as `deno task start` does) with `env` added. */
export function startMainServer(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({
    args: ["run", "-A", "--unstable-worker-options", MAIN_PATH, "serve"],
    env,
  });
}
