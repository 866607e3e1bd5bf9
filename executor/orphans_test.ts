import assert from "node:assert/strict";
import { reapOrphanedExecutors } from "./_orphans.ts";

function stateOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[0];
  } catch {
    return null;
  }
}

Deno.test("reapOrphanedExecutors() - a paused executor left by a killed parent is ended, a live pool's is not", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "picloud-orphan-" });
  const socketDir = await Deno.makeTempDir({ prefix: "pc-o-" });
  const parent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      new URL("./testdata/orphan_parent.ts", import.meta.url).pathname,
      stateDir,
      socketDir,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const pid = Number(out.trim());
  try {
    assert.ok(pid > 0, `no executor pid: ${out}`);
    assert.equal(stateOf(pid), "T", "the idle executor is paused");
    // While its parent lives, the executor belongs to a running pool.
    assert.deepEqual(reapOrphanedExecutors(stateDir).killed, []);
    parent.kill("SIGKILL");
    await parent.status;
    await reader.cancel().catch(() => {});
    assert.equal(stateOf(pid), "T", "killed parent: the paused executor is stranded");
    const reaped = reapOrphanedExecutors(stateDir);
    assert.deepEqual(reaped.killed, [pid]);
    assert.equal(reaped.removedDirs.length, 1);
    for (let i = 0; i < 100 && stateOf(pid) !== null && stateOf(pid) !== "Z"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(stateOf(pid) === null || stateOf(pid) === "Z", "the orphan is gone");
    assert.deepEqual([...Deno.readDirSync(stateDir)].map((e) => e.name), ["platform-gen"]);
  } finally {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    try {
      parent.kill("SIGKILL");
    } catch { /* gone */ }
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    await Deno.remove(socketDir, { recursive: true }).catch(() => {});
  }
});
