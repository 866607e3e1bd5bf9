/**
 * @module Deploy-time bundling. A deploy that imports packages (`npm:` specifiers, bare names
 * through an import map or a dependency list) or spans several files is resolved and bundled once,
 * here, by `deno bundle` in a separate process with a time and a memory limit and the platform's
 * package cache; what runs afterwards is the bundle, loaded in the sandbox exactly like a single
 * file, so nothing is resolved or fetched at run time and a rollback needs no network.
 */
import { ApiError } from "../../common/errors.ts";
import { killTree, treeRssMb } from "../../common/proc_tree.ts";
import { bundlerDeno } from "../../common/runtime.ts";
import type { Upload } from "./upload.ts";

/** Where and how the bundler runs. */
export interface BundlerOptions {
  /** The platform-wide package cache (`DENO_DIR` of the bundler): one fetch per package version. */
  cacheDir: string;
  /** Wall-clock limit of one bundle, resolution and downloads included. */
  timeoutMs: number;
  /** Resident memory limit of the bundler's process tree. */
  memoryMb: number;
  /** Extra environment for the bundler (a registry mirror, a proxy). */
  env?: Record<string, string>;
  /** Never reach the registry: only packages already in the cache (an air-gapped install). */
  offline?: boolean;
  /**
   * The Deno executable that bundles (PICLOUD_DENO_BIN); default: the `deno` running the platform,
   * or, from a compiled binary, a `deno` on PATH.
   */
  denoPath?: string;
}

/** What a deploy keeps of its bundle. */
export interface Bundled {
  /** The single module that runs. */
  code: string;
  /** The resolved lock: every package with its exact version and integrity. */
  lock: Record<string, unknown>;
  /** Top-level packages as imported, with the versions they resolved to. */
  packages: Record<string, string>;
  /**
   * The bundle's source map, compact (no `sourcesContent`, no `names`), its sources named as the
   * upload's files and `npm/<package>/<version>/<file>`: how stack traces name the user's lines.
   */
  map: string | null;
  ms: number;
}

/** A diagnostic at a file of the upload. */
export interface BundleDiagnostic {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Environment variables of the platform passed on to the bundler (network and TLS settings only). */
const PASSED_ENV = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
];

const STATIC_IMPORT =
  /(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]*\s*from\s*)?["']([^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;
// A JSX runtime named in a pragma is imported by the compiled module.
const JSX_PRAGMA = /@jsxImportSource\s+(\S+)/g;

/** The module specifiers a source imports, found by a scan (an over-estimate is harmless). */
export function importedSpecifiers(source: string): string[] {
  const out = new Set<string>();
  for (const re of [STATIC_IMPORT, DYNAMIC_IMPORT, JSX_PRAGMA]) {
    for (const m of source.matchAll(re)) out.add(m[1]);
  }
  return [...out];
}

/**
 * Whether an upload must be bundled: several files, an import map or dependencies, JSX settings,
 * or an entry that imports anything but Node's built-ins (`node:…`), a JSX runtime included. A
 * self-contained file runs as it is.
 */
export function needsBundle(upload: Upload): boolean {
  if (Object.keys(upload.files).length > 1) return true;
  if (upload.jsx) return true;
  if (Object.keys(upload.imports ?? {}).length > 0) return true;
  return importedSpecifiers(upload.files[upload.entry] ?? "").some((s) => !s.startsWith("node:"));
}

/**
 * Bundles the upload into one module. Refuses with 422 `dependency_unavailable` (a package the
 * cache does not hold and the registry did not provide), 422 `bundle_failed` (diagnostics mapped
 * to the upload's files; a time or memory limit named with its usage).
 */
export async function bundle(upload: Upload, options: BundlerOptions): Promise<Bundled> {
  if (running >= MAX_CONCURRENT_BUNDLES) {
    counts.refused++;
    throw new ApiError("capacity", "Other deploys are being bundled; try again shortly", {
      retry_after_s: 2,
    });
  }
  running++;
  counts.runs++;
  try {
    return await bundleNow(upload, options);
  } catch (err) {
    counts.failed++;
    throw err;
  } finally {
    running--;
  }
}

/** Bundler runs since start (with `running`, the process-wide state this module already keeps). */
const counts = { runs: 0, failed: 0, refused: 0 };

/** Bundler runs, failures, refusals and bundles running now: for `/metrics`. */
export function bundlerStats(): { runs: number; failed: number; refused: number; running: number } {
  return { ...counts, running };
}

/** Bundles run at most this many at once (each is a process tree of its own). */
export const MAX_CONCURRENT_BUNDLES = 2;
let running = 0;

async function bundleNow(upload: Upload, options: BundlerOptions): Promise<Bundled> {
  const started = performance.now();
  const cacheDir = options.cacheDir.startsWith("/")
    ? options.cacheDir
    : `${Deno.cwd()}/${options.cacheDir.replace(/^\.\//, "")}`;
  const opts = { ...options, cacheDir };
  const dir = await Deno.makeTempDir({ prefix: "picloud-bundle-" });
  try {
    const src = `${dir}/src`;
    for (const [path, text] of Object.entries(upload.files)) {
      const file = `${src}/${path}`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, text);
    }
    // The platform writes the only configuration the bundler sees: the import map and the JSX
    // settings, nothing else.
    // Beside the files, so the map's relative targets (`"@lib/": "./lib/"`) mean the upload's.
    await Deno.writeTextFile(
      `${src}/deno.json`,
      JSON.stringify({
        imports: upload.imports ?? {},
        nodeModulesDir: "none",
        ...(upload.jsx ? { compilerOptions: upload.jsx } : {}),
      }),
    );
    const out = `${dir}/out/bundle.js`;
    const run = await runBundler(dir, [
      "bundle",
      "--platform=deno",
      `--config=${src}/deno.json`,
      `--lock=${dir}/deno.lock`,
      "--sourcemap=external",
      `--output=${out}`,
      `${src}/${upload.entry}`,
    ], opts);
    if (run.limit) throw limitError(run.limit, opts, run);
    if (!run.ok) throw bundleFailure(run.stderr, src);
    const code = withoutServerPaths(await Deno.readTextFile(out), dir, opts.cacheDir);
    const map = JSON.parse(await Deno.readTextFile(`${out}.map`));
    assertInsideUpload(map, dir, opts.cacheDir);
    const lock = await readLock(`${dir}/deno.lock`);
    return {
      code,
      lock,
      packages: packagesOf(lock),
      map: compactMap(map, dir, opts.cacheDir),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

interface RunResult {
  ok: boolean;
  stderr: string;
  limit: "time" | "memory" | null;
  elapsedMs: number;
  peakMb: number;
}

/** Runs the bundler with a clean environment, killing its process tree at either limit. */
async function runBundler(cwd: string, args: string[], opts: BundlerOptions): Promise<RunResult> {
  const env: Record<string, string> = {
    DENO_DIR: opts.cacheDir,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    HOME: cwd,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  for (const name of PASSED_ENV) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, opts.env);
  if (opts.offline) {
    // Deno's bundler has no cache-only switch: a proxy on a closed loopback port fails every
    // fetch at once, so a package the cache lacks is refused instead of waited for.
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
      env[name] = "http://127.0.0.1:9";
    }
    delete env.NO_PROXY;
    delete env.no_proxy;
  }
  const started = performance.now();
  const deno = bundlerDeno(opts.denoPath);
  if (deno === null) throw noBundler();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(deno, {
      args,
      cwd,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      throw noBundler(deno);
    }
    throw err;
  }
  let limit: RunResult["limit"] = null;
  let peakMb = 0;
  const stop = (why: "time" | "memory") => {
    limit ??= why;
    killTree(child.pid);
  };
  const deadline = setTimeout(() => stop("time"), opts.timeoutMs);
  const watch = setInterval(() => {
    const mb = treeRssMb(child.pid);
    peakMb = Math.max(peakMb, mb);
    if (mb > opts.memoryMb) stop("memory");
  }, 50);
  try {
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    return {
      ok: status.success,
      stderr,
      limit,
      elapsedMs: Math.round(performance.now() - started),
      peakMb,
    };
  } finally {
    clearInterval(watch);
    clearTimeout(deadline);
  }
}

/** No `deno` to bundle with (a compiled binary, a wrong PICLOUD_DENO_BIN): refused, saying what to do. */
function noBundler(tried?: string): ApiError {
  return new ApiError(
    "bundle_failed",
    "This PiCloud bundles packages and multi-file uploads with Deno 2.9.6, which " +
      (tried ? `was not found at ${tried}` : "is not installed here") +
      ": install it (npm install -g deno@2.9.6) or set PICLOUD_DENO_BIN to its path; a " +
      "single-file script without imports deploys without it",
    { diagnostics: [] },
  );
}

function limitError(limit: "time" | "memory", opts: BundlerOptions, run: RunResult): ApiError {
  return limit === "time"
    ? new ApiError(
      "bundle_failed",
      `Bundling took longer than the limit of ${opts.timeoutMs} ms and was stopped`,
      { limit: "time", limit_ms: opts.timeoutMs, elapsed_ms: run.elapsedMs, diagnostics: [] },
    )
    : new ApiError(
      "bundle_failed",
      `Bundling used more memory than the limit of ${opts.memoryMb} MB and was stopped`,
      { limit: "memory", limit_mb: opts.memoryMb, used_mb: run.peakMb, diagnostics: [] },
    );
}

/** The bundler's errors as diagnostics at the upload's files, in PiCloud's words. */
export function parseBundlerErrors(stderr: string, srcDir: string): BundleDiagnostic[] {
  const out: BundleDiagnostic[] = [];
  const prefix = `file://${srcDir}/`;
  let current: BundleDiagnostic | null = null;
  // The bundler runs with NO_COLOR: its lines hold no escape sequences.
  for (const line of stderr.split("\n")) {
    const error = /^error: (.*)$/.exec(line);
    if (error) {
      if (error[1] === "bundling failed") continue;
      current = { message: error[1].replace(/^SyntaxError: /, "Syntax error: ") };
      out.push(current);
      continue;
    }
    const at = /^\s+at (\S+):(\d+):(\d+)\s*$/.exec(line);
    if (at && current && current.file === undefined) {
      const url = at[1];
      current.file = url.startsWith(prefix) ? url.slice(prefix.length) : url;
      current.line = Number(at[2]);
      current.column = Number(at[3]);
    }
    if (/^Stack backtrace:/.test(line)) break;
  }
  // No server path in what the user sees: a file of the upload is named by its own path.
  const serverPath = new RegExp(
    `file://${escapeRegExp(srcDir.replace(/\/src$/, ""))}/(?:src/)?`,
    "g",
  );
  for (const d of out) d.message = d.message.replace(serverPath, "");
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const MISSING_PACKAGE = /Could not find constraint '([^']+)'|npm package '([^']+)' does not exist/;
const NOT_MAPPED = /Import "([^"]+)" not a dependency and not in import map/;
const REMOTE_REFUSED = /Requires import access to "([^"]+)"/;
/** The hosts `deno bundle` imports from by default: public module hosts, never the server's LAN. */
const MODULE_HOSTS = "deno.land, jsr.io, esm.sh, cdn.jsdelivr.net, raw.githubusercontent.com " +
  "and gist.githubusercontent.com";

function bundleFailure(stderr: string, srcDir: string): ApiError {
  const diagnostics = parseBundlerErrors(stderr, srcDir);
  const missing = diagnostics.map((d) => MISSING_PACKAGE.exec(d.message)).find(Boolean);
  if (missing) {
    const name = missing[1] ?? missing[2];
    for (const d of diagnostics) {
      const m = MISSING_PACKAGE.exec(d.message);
      if (m) {
        d.message = `The npm package ${m[1] ?? m[2]} is not in this server's package cache and ` +
          "the registry did not provide it (the server is offline, or no such version exists)";
      }
    }
    return new ApiError(
      "dependency_unavailable",
      `The npm package ${name} could not be fetched: it is not in this server's package cache ` +
        "and the registry did not provide it. Deploy from a machine with network access, or " +
        "upload a bundle made with `deno bundle`",
      { package: name, diagnostics },
    );
  }
  for (const d of diagnostics) {
    const m = NOT_MAPPED.exec(d.message);
    if (m) {
      d.message = `"${m[1]}" is neither a file of the upload nor a declared dependency: use ` +
        `npm:${m[1]}, or list it in the deploy's imports or dependencies`;
    }
    const remote = REMOTE_REFUSED.exec(d.message);
    if (remote) {
      d.message = `Imports from ${remote[1]} are not allowed: a deploy may import npm: and jsr: ` +
        `packages and modules on ${MODULE_HOSTS}; send other files with the upload`;
    }
  }
  if (diagnostics.length === 0) {
    diagnostics.push({ message: stderr.trim().split("\n").slice(-3).join(" ") || "unknown" });
  }
  const first = diagnostics[0];
  const where = first.file ? ` (${first.file}:${first.line}:${first.column})` : "";
  return new ApiError(
    "bundle_failed",
    `The deploy could not be bundled: ${first.message}${where}`,
    {
      diagnostics,
    },
  );
}

/**
 * Refuses a bundle that read a file outside the upload or the package cache: an import of an
 * absolute path or of `../` would otherwise copy a file of the server into the bundle.
 */
function assertInsideUpload(map: { sources?: string[] }, dir: string, cacheDir: string): void {
  const base = `file://${dir}/out/`;
  for (const source of map.sources ?? []) {
    let path: string;
    try {
      path = decodeURIComponent(new URL(source, base).pathname);
    } catch {
      continue;
    }
    if (!source.includes(":") || source.startsWith("file:")) {
      if (path.startsWith(`${dir}/src/`) || path.startsWith(`${cacheDir}/`)) continue;
      throw new ApiError(
        "bundle_failed",
        "The deploy imports a file that is not part of the upload",
        { diagnostics: [{ message: `Only the upload's own files may be imported: ${source}` }] },
      );
    }
  }
}

/**
 * The source map as a version keeps it: positions only (the sources' text is the upload's, kept
 * apart; names are not shown), sources named like the bundle's `// path` comments.
 */
export function compactMap(
  map: { version?: number; sources?: string[]; mappings?: string },
  dir: string,
  cacheDir: string,
): string | null {
  if (typeof map.mappings !== "string") return null;
  const base = `file://${dir}/out/`;
  const sources = (map.sources ?? []).map((source) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(source, base).pathname);
    } catch {
      return source;
    }
    if (source.includes(":") && !source.startsWith("file:")) return source;
    return serverPathName(path, dir, cacheDir) ?? source;
  });
  return JSON.stringify({ version: map.version ?? 3, sources, names: [], mappings: map.mappings });
}

/** A server path as the user may see it: an upload file, `npm/<pkg>/<version>/…`, or null. */
function serverPathName(path: string, dir: string, cacheDir: string): string | null {
  if (path.startsWith(`${dir}/src/`)) return path.slice(dir.length + 5);
  const npm = `${cacheDir}/npm/`;
  if (path.startsWith(npm)) return `npm/${path.slice(npm.length).replace(/^[^/]+\//, "")}`;
  return path.startsWith(cacheDir) ? "(package cache)" : null;
}

/**
 * The bundler marks each module with a `// path` comment relative to its working folder; paths
 * into the package cache or the upload's temporary folder would name the server's folders in
 * the stored bundle (and its stack traces). They become `// npm/<package>/<version>/…` and the
 * upload's own file names.
 */
function withoutServerPaths(code: string, dir: string, cacheDir: string): string {
  const base = `file://${dir}/`;
  return code.replace(/^\/\/ ((?:\.\.\/)+[^\n]*|src\/[^\n]*)$/gm, (line, rel: string) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(rel, base).pathname);
    } catch {
      return line;
    }
    const name = serverPathName(path, dir, cacheDir);
    return name === null ? line : `// ${name}`;
  });
}

async function readLock(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return {};
  }
}

/** `{ "npm:hono@4": "4.13.19" }` in the lock → `{ hono: "4.13.19" }`. */
function packagesOf(lock: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const specifiers = (lock.specifiers ?? {}) as Record<string, string>;
  for (const [spec, version] of Object.entries(specifiers)) {
    const m = /^npm:(@?[^@]+)@/.exec(spec) ?? /^npm:(@?[^@]+)$/.exec(spec);
    if (m) out[m[1]] = version.split("_")[0];
  }
  return out;
}
