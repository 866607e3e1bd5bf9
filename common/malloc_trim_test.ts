/** @module Tests of the start-up trim: it runs for real here (Linux, glibc). */
import assert from "node:assert/strict";
import { trimFreedMemory } from "./malloc_trim.ts";

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
