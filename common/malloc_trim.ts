/**
 * @module Returns freed heap memory to the system once start-up is over. Opening the embedded
 * database, unpacking its template and migrating allocate tens of megabytes through the C heap
 * (glibc's `malloc`, used by Deno's Rust side and V8) that are freed but stay resident, because
 * glibc gives back only the top of each arena on its own. `malloc_trim(0)` releases every free
 * page of every arena (measured: 17 MB of the embedded main process after start, in ~14 ms).
 *
 * Hand-written rather than a package: it is one libc call through `Deno.dlopen`, and no npm
 * package does it for Deno.
 */

/** RSS of this process, MiB. */
const rssMb = () => Deno.memoryUsage().rss / 1048576;

/**
 * Calls glibc's `malloc_trim(0)`; what it did, or null where it does not apply (not Linux, no
 * glibc such as musl, FFI refused). Synchronous: a few ms after start, never on a timer.
 */
export function trimFreedMemory(): { beforeMb: number; afterMb: number; ms: number } | null {
  if (Deno.build.os !== "linux") return null;
  let lib: Deno.DynamicLibrary<{ malloc_trim: { parameters: ["usize"]; result: "i32" } }>;
  try {
    lib = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
  } catch {
    return null;
  }
  try {
    const beforeMb = rssMb();
    const t0 = performance.now();
    lib.symbols.malloc_trim(0n);
    return { beforeMb, afterMb: rssMb(), ms: performance.now() - t0 };
  } finally {
    lib.close();
  }
}
