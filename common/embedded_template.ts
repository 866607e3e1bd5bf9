/**
 * @module The embedded database's data-directory template: `initdb` run once at build time
 * (`deno task build`), kept as `common/_embedded_template/pgdata.tar.gz` (not committed), and
 * unpacked into a fresh data directory on the first start. PGlite's own first start runs initdb
 * in a second PGlite instance and copies its whole 128 MB WebAssembly memory (~600 MB RSS at
 * peak, kept by the process afterwards); unpacking a template costs little more than a later start.
 */

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

/** Whether a template built by this very PGlite version is there (its stamp matches). */
async function templateReady(): Promise<boolean> {
  const version = pgliteVersion();
  if (!version) return false;
  try {
    return (await Deno.readTextFile(STAMP)).trim() === version && (await Deno.stat(TARBALL)).isFile;
  } catch {
    return false;
  }
}

/** The template's tarball when it was built by this very PGlite version, else null. */
export async function readTemplate(): Promise<Uint8Array | null> {
  if (!await templateReady()) return null;
  return await Deno.readFile(TARBALL).catch(() => null);
}

/**
 * Unpacks the template into `pgdata` when that folder holds no database yet (no `PG_VERSION`);
 * returns whether it did. The tarball is streamed (gunzip, then file by file), so the 40 MB data
 * directory is never held in memory; files go to a staging folder renamed into place last, so a
 * crash halfway leaves no half database. Any failure leaves nothing and returns false (PGlite's
 * own initdb runs then).
 */
export async function unpackTemplate(pgdata: string): Promise<boolean> {
  try {
    await Deno.stat(`${pgdata}/PG_VERSION`);
    return false;
  } catch { /* fresh */ }
  if (!await templateReady()) return false;
  const staging = `${pgdata}.unpacking`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  try {
    await Deno.mkdir(staging, { recursive: true, mode: 0o700 });
    await untarGzip(TARBALL, staging);
    await Deno.remove(pgdata, { recursive: true }).catch(() => {});
    await Deno.rename(staging, pgdata);
    return true;
  } catch {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    return false;
  }
}

/** Streams a gzipped ustar archive of plain files and folders into `dest`. */
async function untarGzip(tarball: URL, dest: string): Promise<void> {
  const file = await Deno.open(tarball);
  const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
  let buf = new Uint8Array(0);
  /** Ensures `buf` holds at least `n` bytes; false at the end of the stream. */
  const fill = async (n: number): Promise<boolean> => {
    while (buf.length < n) {
      const { value, done } = await reader.read();
      if (done) return false;
      const next = new Uint8Array(buf.length + value.length);
      next.set(buf);
      next.set(value, buf.length);
      buf = next;
    }
    return true;
  };
  const text = (a: number, b: number) =>
    new TextDecoder().decode(buf.subarray(a, b)).replace(/\0.*$/s, "");
  try {
    while (await fill(512)) {
      if (buf.subarray(0, 512).every((b) => b === 0)) break; // end of archive
      const prefix = text(257, 262) === "ustar" ? text(345, 500) : "";
      const name = (prefix ? `${prefix}/` : "") + text(0, 100);
      const size = parseInt(text(124, 136).trim() || "0", 8);
      const type = String.fromCharCode(buf[156] || 48);
      buf = buf.subarray(512);
      const rel = name.replace(/^\/+/, "").replace(/\/+$/, "");
      if (rel.split("/").includes("..")) throw new Error(`Bad template entry ${name}`);
      let out: Deno.FsFile | null = null;
      if (type === "5") {
        if (rel) await Deno.mkdir(`${dest}/${rel}`, { recursive: true, mode: 0o700 });
      } else if (type === "0") {
        const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
        if (dir) await Deno.mkdir(`${dest}/${dir}`, { recursive: true, mode: 0o700 });
        out = await Deno.open(`${dest}/${rel}`, { write: true, create: true, mode: 0o600 });
      } else {
        throw new Error(`Unexpected template entry type ${type} (${name})`);
      }
      try {
        let left = size;
        while (left > 0) {
          if (buf.length === 0 && !await fill(1)) throw new Error("Template truncated");
          const part = buf.subarray(0, Math.min(left, buf.length));
          if (out) {
            for (let off = 0; off < part.length;) off += await out.write(part.subarray(off));
          }
          left -= part.length;
          buf = buf.subarray(part.length);
        }
      } finally {
        out?.close();
      }
      const pad = (512 - (size % 512)) % 512;
      if (pad && !await fill(pad)) throw new Error("Template truncated");
      buf = buf.subarray(pad);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Builds the template unless one of this PGlite version exists (`force`: always). Runs initdb in
 * this process: a build step, not the server.
 */
export async function buildTemplate(force = false): Promise<"built" | "up to date"> {
  const version = pgliteVersion();
  if (!version) throw new Error("Cannot tell the PGlite version: no template built");
  if (!force && await templateReady()) return "up to date";
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
