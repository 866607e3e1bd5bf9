/**
 * @module Tests of the single binary's build (`compile.ts`): the `denort` lookup and its one
 * clear failure, the include list run from a copy that holds nothing else, and the `bin/picloud`
 * launcher (the path without compile).
 */
import assert from "node:assert/strict";
import {
  cachedDenortZip,
  CompileSetupError,
  DENO_VERSION,
  resolveDenort,
  ROOT,
} from "./compile.ts";

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

/** Only what Deno itself needs: nothing of the test run's DATABASE_URL or PICLOUD_*. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { DENO_NO_PACKAGE_JSON: "1", NO_COLOR: "1" };
  for (const key of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return env;
}
