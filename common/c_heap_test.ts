/** @module Tests of the C-heap calls: they run for real here (Linux, glibc). */
import assert from "node:assert/strict";
import { collectGarbage, trimFreedMemory, type Trimmed, trimWhenQuiet } from "./c_heap.ts";
import vm from "node:vm";

Deno.test("trimFreedMemory() - gives freed C-heap pages back to the system", () => {
  // 40 MB of the C heap, written (so resident), then freed below a block kept at the top:
  // glibc keeps such memory resident on its own; only the trim gives it back.
  const libc = Deno.dlopen("libc.so.6", {
    malloc: { parameters: ["usize"], result: "pointer" },
    free: { parameters: ["pointer"], result: "void" },
    memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  });
  try {
    const size = 100_000; // below glibc's mmap threshold: these come from the heap
    const blocks = Array.from({ length: 400 }, () => {
      const p = libc.symbols.malloc(BigInt(size));
      assert.ok(p);
      libc.symbols.memset(p, 1, BigInt(size));
      return p;
    });
    const top = libc.symbols.malloc(BigInt(size));
    for (const p of blocks) libc.symbols.free(p);
    const r = trimFreedMemory();
    assert.ok(r, "Linux with glibc: the call applies");
    assert.ok(
      r.beforeMb - r.afterMb >= 30,
      `RSS ${r.beforeMb.toFixed(1)} → ${r.afterMb.toFixed(1)} MB: the 40 MB freed stayed`,
    );
    libc.symbols.free(top);
  } finally {
    libc.close();
  }
});

Deno.test("mmapLargeAllocations() - large blocks go back to the system when freed", async () => {
  // In fresh processes: a long-lived one (this test runner) may have free holes that fit them.
  const probe = async (mode: "fixed" | "default") => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./testdata/c_heap_probe.ts", import.meta.url).pathname, mode],
      stderr: "inherit",
    }).output();
    assert.ok(out.success, `probe ${mode} failed`);
    return JSON.parse(new TextDecoder().decode(out.stdout)) as {
      applied: boolean | null;
      before: number;
      used: number;
      after: number;
    };
  };
  const [def, fixed] = [await probe("default"), await probe("fixed")];
  const show = (r: typeof def) =>
    `${r.before.toFixed(1)} → ${r.used.toFixed(1)} → ${r.after.toFixed(1)} MB`;
  assert.equal(fixed.applied, true, "Linux with glibc: the call applies");
  for (const r of [def, fixed]) assert.ok(r.used - r.before >= 35, `40 MB written: ${show(r)}`);
  // glibc's own rule keeps them (the cost this call removes) …
  assert.ok(def.after - def.before >= 30, `default: ${show(def)}`);
  // … and with the thresholds fixed they are given back.
  assert.ok(fixed.after - fixed.before <= 5, `fixed: ${show(fixed)}: freed blocks stayed`);
});

Deno.test("trimWhenQuiet() - trims once traffic stops, not during it, and leaves no timer behind", async () => {
  const trims: Trimmed[] = [];
  const quiet = trimWhenQuiet(60, (r) => trims.push(r));
  try {
    // 300 ms of traffic, a request every 10 ms: never quiet for 60 ms.
    for (let i = 0; i < 30; i++) {
      quiet.touch();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(trims.length, 0, "no trim while requests keep coming");
    for (let i = 0; i < 200 && trims.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(trims.length, 1, "one trim after the traffic");
    // Quiet from here on: no further trim (no timer runs until the next request).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(trims.length, 1);
    quiet.touch();
    for (let i = 0; i < 200 && trims.length === 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(trims.length, 2, "the next spell ends with a trim again");
  } finally {
    quiet.stop();
  }
});

Deno.test("collectGarbage() - collects now, and leaves no gc() behind", () => {
  // ~30 MB of objects, dropped: garbage until the next full collection.
  let junk: unknown[] = [];
  for (let i = 0; i < 300_000; i++) junk.push({ i, s: `item ${i}`, list: [i, i + 1] });
  const held = Deno.memoryUsage().heapUsed;
  junk = [];
  assert.equal(junk.length, 0);
  assert.equal(collectGarbage(), true);
  const after = Deno.memoryUsage().heapUsed;
  assert.ok(held - after >= 20 * 1048576, `heap used ${held >> 20} → ${after >> 20} MB`);
  assert.equal(typeof (globalThis as Record<string, unknown>).gc, "undefined");
  assert.equal(vm.runInNewContext("typeof gc"), "undefined", "a new context has no gc() either");
});
