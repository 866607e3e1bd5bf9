/**
 * @module Debian's real `caddy` for tests and benchmarks: a repository Caddyfile with test globals
 * (internal CA, loopback ports, no admin endpoint, storage in a temporary directory), started as a
 * child process whose log goes to a file, stopped by its own PID.
 */
import { freePort } from "./server_process.ts";

/** Where Debian (and CI) installs Caddy. */
export const CADDY = "/usr/bin/caddy";

/** True when `path` is a file. */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * `shared` (a Caddyfile with a global options block) with test settings added to that block: the
 * internal CA (no ACME, no change to the system's trust store), the given ports, no admin
 * endpoint, storage in `storageDir`.
 */
export function testCaddyfile(
  shared: string,
  opts: { httpPort: number; httpsPort: number; storageDir: string },
): string {
  const globals = [
    "\tlocal_certs",
    "\tskip_install_trust",
    "\tadmin off",
    `\thttp_port ${opts.httpPort}`,
    `\thttps_port ${opts.httpsPort}`,
    `\tstorage file_system {\n\t\troot ${opts.storageDir}\n\t}`,
  ].join("\n");
  const at = shared.search(/^\{\s*$/m);
  if (at < 0) throw new Error("the Caddyfile has no global options block");
  return `${shared.slice(0, at)}{\n${globals}\n${shared.slice(at + 2)}`;
}

/** A running Caddy. */
export interface RunningCaddy {
  /** Its internal CA's root certificate (exists once Caddy has started its TLS app). */
  caCert: string;
  httpsPort: number;
  httpPort: number;
  /** Its log so far (read from the file). */
  log(): Promise<string>;
  /** SIGTERM, SIGKILL after 3 s; waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `caddy run` on `caddyfile` (the repository file's text, test globals added here) in
 * `dir`, with `env` as its whole environment besides HOME and XDG dirs in `dir`; resolves once
 * the internal CA's root certificate exists (bounded: 10 s).
 */
export async function startCaddy(
  caddyfile: string,
  opts: { dir: string; env: Record<string, string> },
): Promise<RunningCaddy> {
  const { dir } = opts;
  const httpsPort = freePort();
  const httpPort = freePort();
  const config = testCaddyfile(caddyfile, { httpPort, httpsPort, storageDir: `${dir}/storage` });
  await Deno.writeTextFile(`${dir}/Caddyfile`, config);
  const logPath = `${dir}/caddy.log`;
  const logFile = await Deno.open(logPath, { write: true, create: true });
  const caddy = new Deno.Command(CADDY, {
    args: ["run", "--config", `${dir}/Caddyfile`, "--adapter", "caddyfile"],
    env: {
      HOME: dir,
      XDG_DATA_HOME: `${dir}/data`,
      XDG_CONFIG_HOME: `${dir}/config`,
      ...opts.env,
    },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // The log goes to a file, so a full pipe never blocks Caddy.
  const logDone = caddy.stderr.pipeTo(logFile.writable);
  let stopped: Promise<void> | undefined;
  const running: RunningCaddy = {
    caCert: `${dir}/storage/pki/authorities/local/root.crt`,
    httpsPort,
    httpPort,
    log: () => Deno.readTextFile(logPath).catch(() => ""),
    stop: () =>
      stopped ??= (async () => {
        try {
          caddy.kill("SIGTERM");
        } catch { /* already ended */ }
        const killer = setTimeout(() => {
          try {
            caddy.kill("SIGKILL");
          } catch { /* already ended */ }
        }, 3000);
        await caddy.status;
        clearTimeout(killer);
        await logDone.catch(() => {});
      })(),
  };
  for (let i = 0; i < 100 && !isFile(running.caCert); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!isFile(running.caCert)) {
    await running.stop();
    throw new Error(`Caddy did not start in 10 s:\n${await running.log()}`);
  }
  return running;
}
