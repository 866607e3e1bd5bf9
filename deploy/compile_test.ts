/**
 * @module Tests of the single binary's build (`compile.ts`): the `denort` lookup and its one
 * clear failure, the include list run from a copy that holds nothing else, and the `bin/picloud`
 * launcher (the path without compile).
 */
import assert from "node:assert/strict";
import {
  cachedDenortZip,
  COMPILE_INCLUDE,
  CompileSetupError,
  DENO_VERSION,
  ENTRY_POINT,
  resolveDenort,
  ROOT,
  RUN_FLAGS,
} from "./compile.ts";
import { baseEnv, type ServerProcess, startServerProcess } from "../testing/server_process.ts";

const HOST = "x86_64-unknown-linux-gnu";

Deno.test("resolveDenort() - takes the target's variable, DENORT_BIN for the host only, else the cached zip", async () => {
  const deno = Deno.execPath(); // an x86_64 ELF executable on these machines
  assert.deepEqual(
    resolveDenort("x86_64-unknown-linux-gnu", {
      env: { DENORT_BIN_X86_64: deno },
      hostTarget: HOST,
    }),
    { kind: "binary", path: deno },
  );
  assert.deepEqual(
    resolveDenort("x86_64-unknown-linux-gnu", { env: { DENORT_BIN: deno }, hostTarget: HOST }),
    { kind: "binary", path: deno },
  );
  // The host's DENORT_BIN is never taken for another CPU.
  assert.throws(
    () =>
      resolveDenort("aarch64-unknown-linux-gnu", {
        env: { DENORT_BIN: deno, DENO_DIR: "/nonexistent" },
        hostTarget: HOST,
      }),
    CompileSetupError,
  );
  assert.throws(
    () =>
      resolveDenort("aarch64-unknown-linux-gnu", {
        env: { DENORT_BIN_AARCH64: deno },
        hostTarget: HOST,
      }),
    (err: Error) => err instanceof CompileSetupError && /another CPU/.test(err.message),
  );
  assert.throws(
    () =>
      resolveDenort("x86_64-unknown-linux-gnu", {
        env: { DENORT_BIN: "/nonexistent/denort" },
        hostTarget: HOST,
      }),
    (err: Error) =>
      err instanceof CompileSetupError && /not a readable Linux executable/.test(err.message),
  );
  const denoDir = await Deno.makeTempDir();
  try {
    const env = { DENO_DIR: denoDir };
    const zip = cachedDenortZip("aarch64-unknown-linux-gnu", env);
    assert.equal(
      zip,
      `${denoDir}/dl/release/v${DENO_VERSION}/denort-aarch64-unknown-linux-gnu.zip`,
    );
    await Deno.mkdir(zip.slice(0, zip.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(zip, new Uint8Array([0x50, 0x4b, 3, 4]));
    assert.deepEqual(
      resolveDenort("aarch64-unknown-linux-gnu", { env, hostTarget: HOST }),
      { kind: "cached_zip", path: zip },
    );
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

Deno.test("deno task compile - without denort exits 2 with one message: what is missing, where to get it, how to pass it", async () => {
  const denoDir = await Deno.makeTempDir();
  try {
    const env: Record<string, string> = { ...baseEnv(), DENO_DIR: denoDir };
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", `${ROOT}deploy/compile.ts`, "aarch64"],
      clearEnv: true,
      env,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, err);
    assert.equal(new TextDecoder().decode(out.stdout), "");
    assert.match(err, /^compile: no denort base binary for aarch64-unknown-linux-gnu/);
    assert.equal(err.match(/compile:/g)?.length, 1, err);
    assert.ok(err.includes(`releases/tag/v${DENO_VERSION}`), err);
    assert.ok(err.includes("denort-aarch64-unknown-linux-gnu.zip"), err);
    assert.ok(err.includes("DENORT_BIN_AARCH64=/path/to/denort deno task compile aarch64"), err);
    assert.ok(err.includes(`${denoDir}/dl/release/v${DENO_VERSION}/`), err);
    assert.doesNotMatch(err, /\bat \S+:\d+:\d+/, "no stack trace");
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

/** The repository's local files in the module graph of `entry` (what `deno compile` embeds). */
async function localModules(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    env: { DENO_NO_PACKAGE_JSON: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const root = new URL(`file://${ROOT}`).href;
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith(root)).map((s) =>
    decodeURIComponent(s.slice(root.length))
  );
}

async function copyPath(rel: string, dest: string): Promise<void> {
  const from = `${ROOT}${rel}`;
  const to = `${dest}/${rel}`;
  if ((await Deno.stat(from)).isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      await copyPath(`${rel.replace(/\/$/, "")}/${e.name}`, dest);
    }
    return;
  }
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  await Deno.copyFile(from, to);
}

/**
 * Copies what the binary holds into `dest`: the entry point's module graph, the include list
 * (modules with their graphs, data as it is) and deno.json/deno.lock. No other file of the tree.
 */
async function copyIncludeList(dest: string, include: readonly string[]): Promise<number> {
  const files = new Set<string>(["deno.json", "deno.lock"]);
  for (const entry of [ENTRY_POINT, ...include.filter((e) => /\.tsx?$/.test(e))]) {
    for (const f of await localModules(entry)) files.add(f);
  }
  for (const entry of include.filter((e) => !/\.tsx?$/.test(e))) files.add(entry);
  for (const f of files) await copyPath(f, dest);
  return files.size;
}

/** Starts `<copy>/main.ts serve` through `deno run` with the binary's flags, from an empty cwd. */
function startFromCopy(
  copy: string,
  cwd: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  return startServerProcess({
    args: [
      "run",
      ...RUN_FLAGS,
      "--cached-only",
      "--frozen",
      "--config",
      `${copy}/deno.json`,
      `${copy}/${ENTRY_POINT}`,
      "serve",
    ],
    cwd,
    env,
  });
}

const EMAIL = "owner@example.com";
const PASSWORD = "copy-test-password-1";
const SOURCE =
  `export default { fetch: (req) => new Response("from the copy " + new URL(req.url).pathname) };`;

Deno.test("include list - the server runs from a copy holding only the entry point's graph and the include list", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "picloud-include-" });
  const copy = `${tmp}/app`;
  const cwd = `${tmp}/cwd`;
  await Deno.mkdir(cwd);
  const manifest = JSON.parse(
    await Deno.readTextFile(`${ROOT}ui/static/islands/manifest.json`).catch(() => {
      throw new Error("islands not built: run deno task build");
    }),
  ) as { islands: Record<string, string> };
  let s: ServerProcess | undefined;
  try {
    const copied = await copyIncludeList(copy, COMPILE_INCLUDE);
    const started = performance.now();
    s = await startFromCopy(copy, cwd, {
      PICLOUD_DATA_DIR: `${tmp}/data`,
      PICLOUD_BOOTSTRAP_EMAIL: EMAIL,
      PICLOUD_BOOTSTRAP_PASSWORD: PASSWORD,
      PICLOUD_SPARE_EXECUTOR: "false",
    });
    const out = s.output;
    const listeningMs = Math.round(performance.now() - started);
    const app = `http://127.0.0.1:${s.port}`;
    const con = `http://127.0.0.1:${s.consolePort}`;
    for (const probe of ["/healthz", "/readyz"]) {
      const res = await fetch(`${app}${probe}`);
      const body = await res.text();
      assert.equal(res.status, 200, `${probe}: ${body}\n${out()}`);
    }
    // Argon2 (the native addon): the bootstrap hashed the password, the login verifies it.
    const login = await fetch(`${con}/api/v1/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    const session = await login.json();
    assert.equal(login.status, 200, JSON.stringify(session));
    const auth = { authorization: `Bearer ${session.token}`, "content-type": "application/json" };
    // The deploy's check runs in an executor started from the copy, the request in another.
    const created = await fetch(`${con}/api/v1/admin/scripts`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: "copy-check", source: SOURCE }),
    });
    const script = await created.json();
    assert.equal(created.status, 201, `${JSON.stringify(script)}\n${out()}`);
    const route = await fetch(`${con}/api/v1/admin/routes`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        app_id: "default",
        script_id: script.id,
        method: "GET",
        path: "/copy",
      }),
    });
    assert.equal(route.status, 201, await route.text());
    const served = await fetch(`${app}/copy`);
    assert.equal(await served.text(), "from the copy /copy", out());
    // The console: its page, the stylesheet it links and every built island.
    const page = await fetch(`${con}/admin/login`);
    const html = await page.text();
    assert.equal(page.status, 200, html);
    const css = /\/admin\/static\/console\.[0-9a-f]+\.css/.exec(html);
    assert.ok(css, "the login page links the console's stylesheet");
    const cssRes = await fetch(`${con}${css[0]}`);
    assert.equal(cssRes.status, 200);
    assert.equal(await cssRes.text(), await Deno.readTextFile(`${ROOT}ui/static/console.css`));
    const islands = Object.values(manifest.islands);
    assert.ok(islands.length > 0);
    for (const file of islands) {
      const res = await fetch(`${con}/admin/static/islands/${file}`);
      assert.equal(res.status, 200, `island ${file} is not served from the copy`);
      assert.equal(await res.text(), await Deno.readTextFile(`${ROOT}ui/static/islands/${file}`));
    }
    s.child.kill("SIGTERM");
    const status = await s.child.status;
    await s.drained;
    assert.equal(status.code, 0, out());
    console.log(
      `ran from a copy of ${copied} files and directories: listening after ${listeningMs} ms, served, checked and stopped in ${
        Math.round(performance.now() - started)
      } ms`,
    );
    s = undefined;
  } finally {
    if (s) {
      try {
        s.child.kill("SIGKILL");
      } catch { /* already ended */ }
      await s.child.status;
    }
    await Deno.remove(tmp, { recursive: true });
  }
});

const LAUNCHER = `${ROOT}bin/picloud`;

async function runLauncher(args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command("sh", {
    args: [LAUNCHER, ...args],
    cwd,
    // Bounded: a launcher that lost its arguments would start serving.
    signal: AbortSignal.timeout(30_000),
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bin/picloud - runs main.ts with the pinned Deno from any directory, through a symlink, and refuses a missing or wrong deno", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "picloud-launcher-" });
  try {
    const env = {
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`,
      HOME: Deno.env.get("HOME") ?? tmp,
    };
    if (Deno.env.get("DENO_DIR")) Object.assign(env, { DENO_DIR: Deno.env.get("DENO_DIR") });
    const help = await runLauncher(["--help"], env, tmp);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: picloud /);
    // Through a symlink on PATH (how an owner installs it), with the arguments passed on.
    await Deno.symlink(LAUNCHER, `${tmp}/picloud`);
    const linked = await new Deno.Command(`${tmp}/picloud`, {
      args: ["nonsense", "x"],
      cwd: "/",
      clearEnv: true,
      env,
      signal: AbortSignal.timeout(30_000),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(linked.code, 2);
    assert.match(new TextDecoder().decode(linked.stderr), /unknown command 'nonsense'/);

    // deno.json's import map (zod, through npm) resolves from a directory outside the checkout.
    const config = await runLauncher(["serve"], { ...env, PORT: "not-a-port" }, tmp);
    assert.equal(config.code, 2, config.stderr);
    assert.match(config.stderr, /PORT/);

    const missing = await runLauncher(["--help"], { ...env, PICLOUD_DENO: `${tmp}/no-deno` }, tmp);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /^picloud: deno not found .*npm install -g deno@2\.9\.6/);
    await Deno.writeTextFile(
      `${tmp}/old-deno`,
      "#!/bin/sh\necho 'deno 2.1.0 (stable, release, x86_64-unknown-linux-gnu)'\n",
    );
    await Deno.chmod(`${tmp}/old-deno`, 0o755);
    const wrong = await runLauncher(["serve"], { ...env, PICLOUD_DENO: `${tmp}/old-deno` }, tmp);
    assert.equal(wrong.code, 127);
    assert.match(
      wrong.stderr,
      /^picloud: needs Deno 2\.9\.6, but .*old-deno is 2\.1\.0;.*npm install -g deno@2\.9\.6/,
    );
    assert.equal(wrong.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
