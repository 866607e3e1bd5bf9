/** @module A private Deno cache directory per executor process, where nothing user code triggers can be stored, removed with the process. */

/** Emit and analysis caches Deno fills from any module a process imports, user modules included. */
const SQLITE_CACHES = ["v8_code_cache_v2", "dep_analysis_cache_v2", "node_analysis_cache_v2"];

/**
 * Creates `<baseDir>/deno-<random>` for one executor process and returns its path.
 *
 * Deno writes to its cache directory without permission checks, on behalf of any Worker: the Cache
 * API (`location_data`), transpiled `data:` and `blob:` modules (`gen/data`, `gen/blob`) and SQLite
 * caches of every parsed module. So every entry a script could grow is made unusable up front —
 * a regular file where Deno expects a directory, a directory where it expects a database file —
 * and the directory is removed when the process ends. What is left writable: `gen/file` (a link to
 * `<baseDir>/platform-gen`, shared, only ever filled with the platform's own transpiled child and
 * loader, since Workers cannot import `file:` modules) and `gen/blob` (the platform's one blob per
 * loaded script version; scripts cannot create blob URLs).
 */
export function prepareDenoDir(baseDir: string): string {
  const shared = `${baseDir}/platform-gen`;
  Deno.mkdirSync(shared, { recursive: true, mode: 0o700 });
  const dir = `${baseDir}/deno-${crypto.randomUUID().slice(0, 12)}`;
  Deno.mkdirSync(`${dir}/gen`, { recursive: true, mode: 0o700 });
  Deno.symlinkSync(shared, `${dir}/gen/file`);
  const empty = new Uint8Array();
  Deno.writeFileSync(`${dir}/gen/data`, empty);
  Deno.writeFileSync(`${dir}/location_data`, empty);
  for (const name of SQLITE_CACHES) Deno.mkdirSync(`${dir}/${name}`);
  return dir;
}

/** Removes an executor's cache directory (best effort: it may already be gone). */
export async function removeDenoDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
