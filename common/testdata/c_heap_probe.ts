/**
 * @module Run by `c_heap_test.ts` in a fresh process: frees a 24 MB block (glibc then raises its
 * thresholds), calls `mmapLargeAllocations()` if asked (`fixed`), writes forty 1 MB blocks below a
 * small one and frees them; prints RSS before, with the blocks, and after, in MiB.
 */
import { mmapLargeAllocations } from "../c_heap.ts";

const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
});
const rss = () => Deno.memoryUsage().rss / 1048576;
const fill = (size: number) => {
  const p = libc.symbols.malloc(BigInt(size));
  if (!p) throw new Error("malloc failed");
  libc.symbols.memset(p, 1, BigInt(size));
  return p;
};
libc.symbols.free(fill(24 << 20));
const applied = Deno.args[0] === "fixed" ? mmapLargeAllocations() : null;
const before = rss();
const blocks = Array.from({ length: 40 }, () => fill(1 << 20));
const top = fill(64 * 1024);
const used = rss();
for (const p of blocks) libc.symbols.free(p);
const after = rss();
libc.symbols.free(top);
console.log(JSON.stringify({ applied, before, used, after }));
