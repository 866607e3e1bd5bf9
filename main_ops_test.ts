/**
 * @module End-to-end tests of operating the real process: a second server on a held data
 * directory, and a graceful SIGTERM under load.
 */
import assert from "node:assert/strict";

const mainPath = new URL("./main.ts", import.meta.url).pathname;

/** Only what Deno itself needs: the server sees no DATABASE_URL or PICLOUD_* from the test run. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_NO_PACKAGE_JSON"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Starts `main.ts serve` on free loopback ports and waits for its "listening" line. */
async function startServer(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", mainPath, "serve"],
    clearEnv: true,
    env: {
      ...baseEnv(),
      PORT: "0",
      PICLOUD_CONSOLE_PORT: "0",
      HOSTNAME: "127.0.0.1",
      PICLOUD_LOG_LEVEL: "info",
      ...env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const m =
      /listening on http:\/\/localhost:(\d+)\/.*console and admin API on http:\/\/localhost:(\d+)\//
        .exec(seen);
    if (m) {
      const drained = (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          seen += r.value;
        }
      })();
      return {
        child,
        port: Number(m[1]),
        consolePort: Number(m[2]),
        output: () => seen,
        drained,
      };
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error(`server did not start:\n${seen}`);
}

Deno.test("main serve - a second server on the same data directory exits 1 with one clear line", async () => {
  const dataDir = await Deno.makeTempDir();
  const first = await startServer({ PICLOUD_DATA_DIR: dataDir });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-worker-options", mainPath, "serve"],
      clearEnv: true,
      env: {
        ...baseEnv(),
        PORT: "0",
        PICLOUD_CONSOLE_PORT: "0",
        HOSTNAME: "127.0.0.1",
        PICLOUD_DATA_DIR: dataDir,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 1, err);
    const lines = err.split("\n");
    assert.equal(lines.length, 1, err);
    assert.ok(lines[0].includes(dataDir), err);
    assert.match(lines[0], /another PiCloud process/);
    assert.match(lines[0], /PICLOUD_DATA_DIR/);
    assert.doesNotMatch(err, /\bat \S+:\d+:\d+/, "no stack trace");
  } finally {
    first.child.kill("SIGTERM");
    await first.child.status;
    await first.drained;
    await Deno.remove(dataDir, { recursive: true });
  }
});
