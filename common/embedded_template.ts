/**
 * @module The embedded database's data-directory template: `initdb` run once at build time
 * (`deno task build`), kept as `common/_embedded_template/pgdata.tar.gz` (not committed), and
 * unpacked into a fresh data directory on the first start. PGlite's own first start runs initdb
 * in a second PGlite instance and copies its whole 128 MB WebAssembly memory (~600 MB RSS at
 * peak, kept by the process afterwards); unpacking a template costs little more than a later start.
 */
import { parseTarGzip } from "nanotar";

/** Folder of the built template (listed in `deploy/compile.ts`'s COMPILE_INCLUDE). */
export const TEMPLATE_DIR = new URL("./_embedded_template/", import.meta.url);
const TARBALL = new URL("pgdata.tar.gz", TEMPLATE_DIR);
const STAMP = new URL("pglite-version", TEMPLATE_DIR);

/** The PGlite version this program runs, read from where the package resolves; null if unknown. */
export function pgliteVersion(): string | null {
  try {
    const url = import.meta.resolve("@electric-sql/pglite");
    return /pglite[@/](\d+\.\d+\.\d+[^/]*)\//.exec(url)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The template's tarball when it was built by this very PGlite version, else null. */
export async function readTemplate(): Promise<Uint8Array | null> {
  const version = pgliteVersion();
  if (!version) return null;
  try {
    if ((await Deno.readTextFile(STAMP)).trim() !== version) return null;
    return await Deno.readFile(TARBALL);
  } catch {
    return null;
  }
}

/**
 * Unpacks the template into `pgdata` when that folder holds no database yet (no `PG_VERSION`);
 * returns whether it did. Written files go to a staging folder first, renamed into place last,
 * so a crash halfway leaves no half database.
 */
export async function unpackTemplate(pgdata: string): Promise<boolean> {
  try {
    await Deno.stat(`${pgdata}/PG_VERSION`);
    return false;
  } catch { /* fresh */ }
  const gz = await readTemplate();
  if (!gz) return false;
  const staging = `${pgdata}.unpacking`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.mkdir(staging, { recursive: true, mode: 0o700 });
  for (const item of await parseTarGzip(gz)) {
    const rel = item.name.replace(/^\/+/, "").replace(/\/+$/, "");
    if (!rel || rel.split("/").includes("..")) continue;
    if (item.type === "directory") {
      await Deno.mkdir(`${staging}/${rel}`, { recursive: true, mode: 0o700 });
    } else if (item.type === "file") {
      const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
      if (dir) await Deno.mkdir(`${staging}/${dir}`, { recursive: true, mode: 0o700 });
      await Deno.writeFile(`${staging}/${rel}`, item.data ?? new Uint8Array(), {
        mode: 0o600,
      });
    }
  }
  await Deno.remove(pgdata, { recursive: true }).catch(() => {});
  await Deno.rename(staging, pgdata);
  return true;
}

/**
 * Builds the template unless one of this PGlite version exists (`force`: always). Runs initdb in
 * this process: a build step, not the server.
 */
export async function buildTemplate(force = false): Promise<"built" | "up to date"> {
  const version = pgliteVersion();
  if (!version) throw new Error("Cannot tell the PGlite version: no template built");
  if (!force && await readTemplate()) return "up to date";
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create({});
  try {
    const tar = new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer());
    await Deno.mkdir(TEMPLATE_DIR, { recursive: true });
    await Deno.writeFile(TARBALL, tar);
    await Deno.writeTextFile(STAMP, version + "\n");
  } finally {
    await db.close();
  }
  return "built";
}

if (import.meta.main) {
  const t0 = performance.now();
  const what = await buildTemplate(Deno.args.includes("--force"));
  console.log(
    `embedded database template ${what} in ${Math.round(performance.now() - t0)} ms`,
  );
}
