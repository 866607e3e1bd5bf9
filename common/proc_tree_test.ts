/** @module The process-tree reader: a shell and its children are found, measured and killed together. */

import assert from "node:assert/strict";
import { killTree, rssKb, treePids, treeRssMb } from "./proc_tree.ts";

Deno.test("proc_tree - a process and its children are found, measured and killed together", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "sleep 30 & sleep 30 & wait"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let pids: number[] = [];
    for (let i = 0; i < 50 && pids.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      pids = treePids(child.pid);
    }
    assert.equal(pids[0], child.pid);
    assert.equal(pids.length, 3, `tree ${pids}`);
    assert.ok(rssKb(child.pid) > 0);
    assert.ok(treeRssMb(child.pid) >= 1);
    assert.deepEqual(treePids(child.pid, 2).length, 2, "the walk stops at its bound");
    killTree(child.pid);
    // Children go first: the shell may see them end and exit by itself before its own SIGKILL;
    // either way it ends, and so does every child.
    await child.status;
    for (const pid of pids.slice(1)) {
      for (let i = 0; i < 50 && rssKb(pid) > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(rssKb(pid), 0, `child ${pid} is gone`);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});
