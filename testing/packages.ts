/**
 * @module The package cache tests bundle with: this Deno's own cache, which `deno install` has
 * filled with the project's dependencies (hono, zod), so bundling them needs no network.
 */

/** The `DENO_DIR` of the running Deno (`$DENO_DIR`, else the XDG cache directory). */
export function denoCacheDir(): string {
  const dir = Deno.env.get("DENO_DIR");
  if (dir) return dir;
  const xdg = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache`;
  return `${xdg}/deno`;
}

/** Bundler settings for tests; `offline`: the cache alone. */
export function testBundler(opts: { offline?: boolean } = {}) {
  return {
    cacheDir: denoCacheDir(),
    timeoutMs: 60_000,
    memoryMb: 1024,
    offline: opts.offline ?? false,
  };
}
