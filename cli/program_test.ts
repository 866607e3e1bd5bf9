/** @module The command line's frame: help, usage errors, exit codes, `--json` errors. */

import assert from "node:assert/strict";
import { cli } from "./_testing.ts";

Deno.test("cli - --help lists the commands and the exit codes, and exits 0", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: picloud/);
  assert.match(r.out, /serve/);
  assert.match(r.out, /migrate/);
  assert.match(r.out, /Exit codes:/);
});

Deno.test("cli - an unknown command or option is a usage error (exit 2) with the usage", async () => {
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'frobnicate'/);
  assert.match(unknown.err, /Usage: picloud/);
  const option = await cli(["migrate", "--bogus"]);
  assert.equal(option.code, 2);
  assert.match(option.err, /unknown option '--bogus'/);
});

Deno.test("cli - a reader that goes away (| head) ends the command quietly, exit 0", async () => {
  // The real process: stdout is a pipe whose reader is gone before the first write.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "--help"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel();
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  assert.equal(stderr, "", "no stack trace");
  assert.equal(status.code, 0);
});
