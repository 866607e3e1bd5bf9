import assert from "node:assert/strict";
import { reapOrphanedExecutors } from "./_orphans.ts";

function stateOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[0];
  } catch {
    return null;
  }
}

Deno.test("reapOrphanedExecutors() - paused executors left by a killed parent (the spare too) are ended, a live pool's are not", async () => {
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
  const [pid, spare] = out.trim().split(" ").map(Number);
  try {
    assert.ok(pid > 0, `no executor pid: ${out}`);
    assert.ok(spare > 0, `no spare executor pid: ${out}`);
    assert.equal(stateOf(pid), "T", "the idle executor is paused");
    assert.equal(stateOf(spare), "T", "the spare executor is paused");
    // While its parent lives, the executor belongs to a running pool.
    assert.deepEqual(reapOrphanedExecutors(stateDir).killed, []);
    parent.kill("SIGKILL");
    await parent.status;
    await reader.cancel().catch(() => {});
    assert.equal(stateOf(pid), "T", "killed parent: the paused executor is stranded");
    assert.equal(stateOf(spare), "T", "killed parent: the paused spare is stranded");
    const reaped = reapOrphanedExecutors(stateDir);
    assert.deepEqual(reaped.killed.toSorted(), [pid, spare].toSorted());
    assert.equal(reaped.removedDirs.length, 2);
    const gone = (p: number) => stateOf(p) === null || stateOf(p) === "Z";
    for (let i = 0; i < 100 && !(gone(pid) && gone(spare)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(gone(pid) && gone(spare), "the orphans are gone");
    assert.deepEqual([...Deno.readDirSync(stateDir)].map((e) => e.name), ["platform-gen"]);
  } finally {
    for (const p of [pid, spare]) {
      try {
        if (p > 0) Deno.kill(p, "SIGKILL");
      } catch { /* gone */ }
    }
    try {
      parent.kill("SIGKILL");
    } catch { /* gone */ }
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    await Deno.remove(socketDir, { recursive: true }).catch(() => {});
  }
});
