/** @module How PiCloud runs: from the `deno` CLI or a compiled binary, and where a `deno` to call is. */

/** True when running from a `deno compile`d binary rather than the `deno` CLI. */
export function isCompiledBinary(execPath = Deno.execPath()): boolean {
  const base = execPath.split("/").pop() ?? "";
  return !/^deno(\.exe)?$/.test(base);
}

/** The first executable `name` on `path` (a PATH-style list), or null. */
export function findOnPath(name: string, path = Deno.env.get("PATH") ?? ""): string | null {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const file = `${dir.replace(/\/+$/, "")}/${name}`;
    try {
      const info = Deno.statSync(file);
      if (info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0) return file;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * The `deno` that bundles deploys: `configured` (PICLOUD_DENO_BIN), else the `deno` running
 * PiCloud, else (a compiled binary, which has no `bundle` command) a `deno` on PATH; null if none.
 */
export function bundlerDeno(configured?: string, execPath = Deno.execPath()): string | null {
  if (configured) return configured;
  if (!isCompiledBinary(execPath)) return execPath;
  return findOnPath("deno");
}
