/**
 * @module The C heap (glibc's `malloc`, used by Deno's Rust side and V8 for buffers, WebAssembly
 * bytes and compiler memory) of the server process, kept small:
 * - `mmapLargeAllocations()` at start: blocks over 128 KiB get their own mapping (unless a free
 *   hole of the heap fits them) and are given back whole when freed, as is free space over
 *   128 KiB at the top of the heap. glibc's default raises both thresholds with the largest block
 *   freed so far (up to 32 MiB), so after the embedded database's 9 MB WebAssembly bytes are read
 *   and freed, later large blocks come from the heap and stay resident after use (measured:
 *   10–12 MB of the embedded main process, idle after start and after the requests).
 * - `trimFreedMemory()` once ready: opening the embedded database, unpacking its template and
 *   migrating free tens of megabytes of smaller blocks that glibc keeps resident (it gives back
 *   only the top of each arena on its own); `malloc_trim(0)` releases every free page.
 *   `collectGarbage()` first, once ready: a full collection of the JavaScript heap frees
 *   start-up's garbage now rather than whenever V8 next collects (measured: idle after start
 *   146–154 → 137 MB in embedded mode).
 *
 * Hand-written rather than a package: two libc calls through `Deno.dlopen` and one V8 call, and
 * no npm package does them for Deno.
 */

import v8 from "node:v8";
import vm from "node:vm";

const LIBC = {
  malloc_trim: { parameters: ["usize"], result: "i32" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
} as const;
/** glibc's `mallopt` options: the size from which a block gets its own mapping, and the free
 * space at the top of the heap from which it is given back. */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
/** glibc's defaults for both, kept fixed (setting them turns the dynamic raising off). */
const THRESHOLD_BYTES = 128 * 1024;

/** Runs `f` with libc's symbols, or answers null where that does not apply (not Linux, no glibc such as musl, FFI refused). */
function withLibc<T>(f: (libc: Deno.DynamicLibrary<typeof LIBC>["symbols"]) => T): T | null {
  if (Deno.build.os !== "linux") return null;
  let lib: Deno.DynamicLibrary<typeof LIBC>;
  try {
    lib = Deno.dlopen("libc.so.6", LIBC);
  } catch {
    return null;
  }
  try {
    return f(lib.symbols);
  } finally {
    lib.close();
  }
}

/** RSS of this process, MiB. */
const rssMb = () => Deno.memoryUsage().rss / 1048576;

/**
 * Fixes glibc's mmap and trim thresholds at 128 KiB, so that large blocks and free space at the
 * top of the heap are given back when freed; true if it applied. Call before the large
 * allocations (the embedded database) happen.
 */
export function mmapLargeAllocations(): boolean {
  return withLibc((libc) =>
    libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES) === 1 &&
    libc.mallopt(M_TRIM_THRESHOLD, THRESHOLD_BYTES) === 1
  ) ?? false;
}

/** What a trim did: RSS before and after, MiB, and how long it took. */
export interface Trimmed {
  beforeMb: number;
  afterMb: number;
  ms: number;
}

/** A trim's figures as log fields, whole numbers: RSS after, MiB given back, ms. */
export function trimFields(r: Trimmed): { rssMb: number; freedMb: number; ms: number } {
  return {
    rssMb: Math.round(r.afterMb),
    freedMb: Math.round(r.beforeMb - r.afterMb),
    ms: Math.round(r.ms),
  };
}

/**
 * Calls glibc's `malloc_trim(0)`; what it did, or null where it does not apply. Synchronous and
 * ~1–15 ms: once ready, and after a spell of traffic (`trimWhenQuiet`), never periodically.
 */
export function trimFreedMemory(): Trimmed | null {
  return withLibc((libc) => {
    const beforeMb = rssMb();
    const t0 = performance.now();
    libc.malloc_trim(0n);
    return { beforeMb, afterMb: rssMb(), ms: performance.now() - t0 };
  });
}

/**
 * Runs one full garbage collection of this isolate now, then hides the means again; true if it
 * ran. Once ready, start-up's garbage (the database's template and migrations, the module
 * graph's compilation) is otherwise collected whenever V8 next decides to, often well after the
 * server idles. V8's `gc` is reachable only through `node:v8`'s runtime flags: the flag is set
 * for the one context that fetches it, then unset.
 */
export function collectGarbage(): boolean {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    v8.setFlagsFromString("--no-expose-gc");
    gc();
    return true;
  } catch {
    return false;
  }
}

/**
 * Trims the C heap once traffic has stopped for `quietMs`: busy spells leave freed blocks in the
 * heap and in the arenas of the runtime's threads (measured: 5–7 MB after 10,000 requests on new
 * connections). `touch()` on each request costs a clock read; a timer runs only from the first
 * request after a trim until the trim, so a quiet server has none.
 */
export function trimWhenQuiet(
  quietMs: number,
  onTrim?: (r: Trimmed) => void,
): { touch(): void; stop(): void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const arm = (ms: number) => {
    const t = setTimeout(check, ms);
    Deno.unrefTimer(t as unknown as number);
    timer = t;
  };
  const check = () => {
    const quiet = performance.now() - last;
    if (quiet < quietMs) return arm(quietMs - quiet);
    timer = undefined;
    const r = trimFreedMemory();
    if (r) onTrim?.(r);
  };
  return {
    touch() {
      last = performance.now();
      if (timer === undefined && !stopped) arm(quietMs);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
