/**
 * @module `deno task build`: bundles each island `ui/islands/<name>.ts` for the browser with
 * `deno bundle --check --platform browser --minify` into `ui/static/islands/<name>.<hash>.js` (hash of
 * the output bytes) and writes `manifest.json` (name → file) for the server to read at start.
 * The output is built, not committed; the build skips when its inputs (the island sources,
 * deno.json, deno.lock, this file, the Deno version) are unchanged since the last build.
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** What `manifest.json` holds. */
export interface IslandsManifest {
  /** Hash of the build's inputs: equal inputs, no rebuild. */
  inputs: string;
  /** Island name → bundled file name in the same folder. */
  islands: Record<string, string>;
}

/** Options of a build; paths default to the repository's own. */
export interface BuildOptions {
  /** Folder of the island sources (default `ui/islands/`). */
  srcDir?: string;
  /** Output folder (default `ui/static/islands/`). */
  outDir?: string;
  /** Build even when the inputs are unchanged. */
  force?: boolean;
}

/** The result: the manifest, whether anything was bundled, and how long it took. */
export interface BuildResult {
  manifest: IslandsManifest;
  built: boolean;
  elapsedMs: number;
}

const ROOT = new URL("../", import.meta.url);
/** The manifest's file name inside the output folder. */
export const MANIFEST = "manifest.json";

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The island names: every `*.ts` in the folder except tests and `_`-prefixed helpers. */
export function islandNames(srcDir: string): string[] {
  return Array.from(Deno.readDirSync(srcDir))
    .filter((e) =>
      e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts") && !e.name.startsWith("_")
    )
    .map((e) => e.name.slice(0, -3))
    .sort();
}

async function inputsHash(srcDir: string): Promise<string> {
  const parts = [`deno ${Deno.version.deno}`];
  const files = Array.from(Deno.readDirSync(srcDir)).filter((e) => e.isFile).map((e) => e.name)
    .sort().map((n) => join(srcDir, n));
  files.push(
    fromFileUrl(new URL("deno.json", ROOT)),
    fromFileUrl(new URL("deno.lock", ROOT)),
    fromFileUrl(import.meta.url),
  );
  // Names relative to the repository, so that a checkout elsewhere has the same inputs.
  const root = fromFileUrl(ROOT);
  for (const f of files) {
    const name = f.startsWith(root) ? f.slice(root.length) : f;
    parts.push(name, await sha256Hex(await Deno.readFile(f)));
  }
  return await sha256Hex(parts.join("\n"));
}

function readManifest(outDir: string): IslandsManifest | null {
  try {
    return JSON.parse(Deno.readTextFileSync(join(outDir, MANIFEST)));
  } catch {
    return null;
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function bundle(src: string, out: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    // --check: a type error in an island fails the build (nothing else type-checks them).
    args: [
      "bundle",
      "--quiet",
      "--check",
      "--platform",
      "browser",
      "--format",
      "esm",
      "--minify",
      "-o",
      out,
      src,
    ],
    cwd: fromFileUrl(ROOT),
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`deno bundle ${src} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/** Bundles the islands (unless the inputs are unchanged) and writes the manifest. */
export async function buildIslands(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const srcDir = opts.srcDir ?? fromFileUrl(new URL("ui/islands/", ROOT));
  const outDir = opts.outDir ?? fromFileUrl(new URL("ui/static/islands/", ROOT));
  const inputs = await inputsHash(srcDir);
  const names = islandNames(srcDir);
  const old = readManifest(outDir);
  if (
    !opts.force && old?.inputs === inputs &&
    names.every((n) => old.islands[n] && exists(join(outDir, old.islands[n])))
  ) {
    return { manifest: old, built: false, elapsedMs: performance.now() - t0 };
  }
  await Deno.mkdir(outDir, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: outDir, prefix: ".build-" });
  try {
    const islands: Record<string, string> = {};
    for (const name of names) {
      const staged = join(tmp, `${name}.js`);
      await bundle(join(srcDir, `${name}.ts`), staged);
      const bytes = await Deno.readFile(staged);
      const file = `${name}.${(await sha256Hex(bytes)).slice(0, 12)}.js`;
      await Deno.rename(staged, join(outDir, file));
      islands[name] = file;
    }
    const manifest = { inputs, islands };
    await Deno.writeTextFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    await Deno.rename(join(tmp, MANIFEST), join(outDir, MANIFEST));
    // Older bundles go once the new manifest is in place.
    const keep = new Set(Object.values(islands));
    for (const e of Deno.readDirSync(outDir)) {
      if (e.isFile && e.name.endsWith(".js") && !keep.has(e.name)) {
        await Deno.remove(join(outDir, e.name));
      }
    }
    return { manifest, built: true, elapsedMs: performance.now() - t0 };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { manifest, built, elapsedMs } = await buildIslands({
    force: Deno.args.includes("--force"),
  });
  const list = Object.entries(manifest.islands).map(([n, f]) => `${n} → ${f}`).join(", ");
  console.log(`islands ${built ? "built" : "unchanged"} in ${Math.round(elapsedMs)} ms: ${list}`);
}
