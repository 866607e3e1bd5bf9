/** @module Tests of the executor child command line. */

import assert from "node:assert/strict";
import { appLocation, childCommand, isHost, LOADER_FILES } from "./_command.ts";

const base = {
  socketPath: "/run/pc/ab.sock",
  linkPort: 40123,
  memoryLimitMb: 96,
  appId: "app-1",
  denoDir: "/data/executors/deno-1",
};

Deno.test("childCommand() - deno run mode is locked down", () => {
  const cmd = childCommand({
    ...base,
    netGrant: ["api.example.com:443", "bad,host"],
    compiled: false,
  });
  assert.equal(cmd.execPath, Deno.execPath());
  const loader = new URL("./loader.ts", import.meta.url).pathname;
  for (
    const flag of [
      "run",
      "--no-config",
      "--no-prompt",
      "--cached-only",
      "--no-remote",
      "--no-npm",
      "--unstable-worker-options",
      `--location=${appLocation("app-1")}`,
      `--allow-read=${loader},${
        [
          "_loader_sandbox.ts",
          "_loader_console.ts",
          "_loader_reply.ts",
          "_protocol.ts",
          "_words.ts",
          "_loader_cache.ts",
          "_frames.ts",
          "_loader_shapes.ts",
        ]
          .map((f) => new URL(`./${f}`, import.meta.url).pathname).join(",")
      },/run/pc/ab.sock`,
      "--allow-net=unix:/run/pc/ab.sock,127.0.0.1:40123,api.example.com:443",
      "--allow-write=/run/pc/ab.sock",
      "--v8-flags=--max-old-space-size=96,--max-semi-space-size=4,--no-memory-reducer",
      new URL("./child.ts", import.meta.url).pathname,
    ]
  ) assert.ok(cmd.args.includes(flag), `missing ${flag}`);
  assert.deepEqual(cmd.args.slice(-4), ["--socket", "/run/pc/ab.sock", "--link-port", "40123"]);
  assert.equal(cmd.args.some((a) => a.startsWith("--allow-env") || a === "-A"), false);
  assert.equal(cmd.env.DENO_NO_PACKAGE_JSON, "1");
  // Never the parent's Deno cache: Workers can make Deno write there.
  assert.equal(cmd.env.DENO_DIR, "/data/executors/deno-1");
  assert.equal(cmd.env.HOME, undefined);
  assert.equal(Object.keys(cmd.env).some((k) => k.startsWith("PICLOUD") || k === "PATH"), false);
});

Deno.test("childCommand() - compiled mode re-executes the binary with heap flags in the env", () => {
  const cmd = childCommand({ ...base, netGrant: [], compiled: true });
  assert.deepEqual(cmd.args, [
    "executor",
    "--socket",
    "/run/pc/ab.sock",
    "--compiled",
    "--link-port",
    "40123",
  ]);
  assert.equal(
    cmd.env.DENO_V8_FLAGS,
    "--max-old-space-size=96,--max-semi-space-size=4,--no-memory-reducer",
  );
});

Deno.test("appLocation() - one origin per app, safe for any id", () => {
  const a = new URL(appLocation("a_b"));
  const b = new URL(appLocation("a-b"));
  assert.notEqual(a.origin, b.origin);
  assert.ok(new URL(appLocation("x".repeat(200))).hostname.endsWith(".executor.invalid"));
});

Deno.test("isHost() - accepts host[:port], rejects flag injection", () => {
  assert.ok(isHost("example.com"));
  assert.ok(isHost("127.0.0.1:8080"));
  assert.ok(isHost("[::1]:443"));
  for (const bad of ["a,b", "http://x", "x/y", "", "x:1:2", "--allow-all"]) {
    assert.equal(isHost(bad), false, bad);
  }
});

Deno.test("LOADER_FILES - exactly the loader and every file it imports, type-only imports aside", () => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = Deno.readTextFileSync(new URL(`./${file}`, import.meta.url));
    // Type-only imports are erased: the Worker never reads their files.
    for (const m of text.matchAll(/^import (type )?[^;]*? from "\.\/([^"]+)";/gms)) {
      if (!m[1]) visit(m[2]);
    }
  };
  visit("loader.ts");
  assert.deepEqual([...seen].sort(), [...LOADER_FILES].sort());
});
