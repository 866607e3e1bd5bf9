/** @module Which runtime PiCloud runs from, and which `deno` bundles deploys. */

import assert from "node:assert/strict";
import { bundlerDeno, findOnPath, isCompiledBinary } from "./runtime.ts";

Deno.test("runtime - the deno CLI or a compiled binary, by the executable's name", () => {
  assert.equal(isCompiledBinary("/usr/bin/deno"), false);
  assert.equal(isCompiledBinary("/usr/local/bin/picloud"), true);
  assert.equal(isCompiledBinary("/opt/dist/picloud-aarch64-unknown-linux-gnu"), true);
});

Deno.test("runtime - the bundler's deno: configured, else the running deno, else deno on PATH", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(bundlerDeno("/opt/deno", "/usr/local/bin/picloud"), "/opt/deno");
    assert.equal(bundlerDeno(undefined, "/usr/bin/deno"), "/usr/bin/deno");
    await Deno.writeTextFile(`${dir}/deno`, "#!/bin/sh\n");
    assert.equal(findOnPath("deno", `/nonexistent:${dir}`), null, "not executable");
    await Deno.chmod(`${dir}/deno`, 0o755);
    assert.equal(findOnPath("deno", `/nonexistent:${dir}`), `${dir}/deno`);
    assert.equal(findOnPath("deno", "/nonexistent"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
