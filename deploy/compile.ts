/**
 * @module `deno task compile [x86_64|aarch64]…`: builds the single binary,
 * `dist/picloud-<target>`, for 64-bit Linux on x86_64 and on aarch64 (Raspberry Pi OS 64-bit).
 * The files the program reads at run time are listed once, in `COMPILE_INCLUDE`, which the
 * include-list test (`compile_test.ts`) runs from a copy holding nothing else.
 */
import { LOADER_FILES } from "../executor/mod.ts";

/** The Deno version the project is pinned to: the `denort` base must be of this very version. */
export const DENO_VERSION = "2.9.6";

/** The targets a binary is built for, with their npm `--arch` and ELF machine number. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": { short: "x86_64", npmArch: "x64", elfMachine: 62 },
  "aarch64-unknown-linux-gnu": { short: "aarch64", npmArch: "arm64", elfMachine: 183 },
} as const;

/** One of `TARGETS`' keys. */
export type Target = keyof typeof TARGETS;

/** The program's entry point, relative to the repository root. */
export const ENTRY_POINT = "main.ts";

/**
 * The runtime flags of the program: baked into the binary by `deno compile`, and given to
 * `deno run` by the include-list test.
 */
export const RUN_FLAGS: readonly string[] = ["-A", "--unstable-worker-options"];

/**
 * V8 flags of the server process, for a small machine (measured by `deno task bench`, parts
 * `memory` and `http`, against the process without them in the same run):
 * - `--liftoff-only`: the embedded database's WebAssembly (9 MB) stays on V8's baseline compiler
 *   instead of also keeping optimised copies of its hot functions (~35 MB less RSS); the server
 *   runs no tenant code, whose WebAssembly runs in executors with V8's defaults.
 * - `--max-semi-space-size=2` (MB): the young generation of the main isolate and of the embedded
 *   database's Worker stays small instead of growing to 2 × 16 MB each under load.
 * - `--memory-reducer-delay-ms=2000`, `--gc-memory-reducer-start-delay-ms=2000`: V8's memory
 *   reducer (the garbage collections that shrink the heap once allocation stops) starts 2 s after
 *   traffic instead of 8-30 s, so a server is done settling ~6 s after its last request and then
 *   uses no CPU at all. With V8's delays it collected ~24 s after traffic: the idle bench (window
 *   from 10 s after the last request) counted 7-16 ticks there, 0 with these.
 * - `--single-threaded-gc`: the main isolate collects on its own thread. V8's helper threads woke
 *   for every young-generation collection (~80 per second under load) and spent their time mostly
 *   in the kernel (~11 µs of system CPU per request, none in user space, per-thread `/proc` ticks)
 *   on a machine whose two cores the executor and the load already keep busy. A/B over 5
 *   interleaved pairs of `bench/thread_profile.ts`: +13 % req/s, -13 % process-tree CPU per
 *   request, p99 18.3 -> 14.1 ms (medians), better in every pair.
 *
 * Given by `deno task start`/`dev` (`--v8-flags`), the systemd unit and the benchmarks
 * (`DENO_V8_FLAGS`), and checked against them by `deploy/deploy_test.ts`. Not baked into the
 * binary: Deno puts flags baked by `deno compile` after `DENO_V8_FLAGS`, so the executor children
 * (the same binary, with their own `DENO_V8_FLAGS`) would inherit them.
 */
export const SERVER_V8_FLAGS =
  "--liftoff-only,--max-semi-space-size=2,--memory-reducer-delay-ms=2000,--gc-memory-reducer-start-delay-ms=2000,--single-threaded-gc";

/**
 * Everything the program reads at run time that the entry point's module graph does not hold,
 * relative to the repository root (a directory ends in `/`). `.ts` entries are modules (with
 * their imports); the others are data files embedded as they are. npm packages (PGlite's wasm
 * and data files, the Argon2 addon) come with the module graph.
 */
export const COMPILE_INCLUDE: readonly string[] = [
  // The executor child's loader Worker: its main module is a URL, not an import.
  ...LOADER_FILES.map((f) => `executor/${f}`),
  // The embedded database's Worker (the large memory profile runs PGlite there).
  "common/_embedded_worker.ts",
  // The embedded database's template data directory (`deno task build`): a first start
  // unpacks it instead of running initdb.
  "common/_embedded_template/",
  // SQL migrations, read from the directory at start-up.
  "migrations/",
  // The console's stylesheet and its built islands (`deno task build`).
  "ui/static/",
];

/** Why the binary cannot be built; `run` prints the message and exits with code 2. */
export class CompileSetupError extends Error {
  /** Stable code of the failure. */
  readonly code = "compile_setup";
}

/** The repository root (this file is in `deploy/`). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** Turns `x86_64`, `aarch64`, `arm64` or a full target triple into a target. */
export function parseTarget(arg: string): Target | null {
  for (const [target, t] of Object.entries(TARGETS)) {
    if (arg === target || arg === t.short || arg === t.npmArch) return target as Target;
  }
  return null;
}

/** The environment variable naming a target's `denort` binary, e.g. `DENORT_BIN_AARCH64`. */
export function denortVariable(target: Target): string {
  return `DENORT_BIN_${TARGETS[target].short.toUpperCase()}`;
}

/** Where `deno compile` looks for a cached `denort` zip of a target. */
export function cachedDenortZip(target: Target, env: Record<string, string | undefined>): string {
  const denoDir = env.DENO_DIR ||
    `${env.XDG_CACHE_HOME || `${env.HOME ?? ""}/.cache`}/deno`;
  return `${denoDir.replace(/\/+$/, "")}/dl/release/v${DENO_VERSION}/denort-${target}.zip`;
}

/** How `deno compile` gets its base for one target: a binary (DENORT_BIN) or the cached zip. */
export type DenortSource = { kind: "binary"; path: string } | { kind: "cached_zip"; path: string };

/**
 * Finds the `denort` base of `target`: `DENORT_BIN_<ARCH>`, else `DENORT_BIN` for the host's own
 * target, else the zip in Deno's download cache. Throws `CompileSetupError` saying what is
 * missing, where to get it and how to pass it.
 */
export function resolveDenort(
  target: Target,
  opts: { env: Record<string, string | undefined>; hostTarget: string },
): DenortSource {
  const perTarget = denortVariable(target);
  const named = opts.env[perTarget] ? perTarget : (
    target === opts.hostTarget && opts.env.DENORT_BIN ? "DENORT_BIN" : null
  );
  if (named) {
    const path = opts.env[named]!;
    const machine = elfMachine(path);
    if (machine === null) {
      throw new CompileSetupError(
        `${named}=${path} is not a readable Linux executable: it must be the denort binary ` +
          `unzipped from denort-${target}.zip of Deno ${DENO_VERSION}`,
      );
    }
    if (machine !== TARGETS[target].elfMachine) {
      throw new CompileSetupError(
        `${named}=${path} is a binary for another CPU (ELF machine ${machine}), not for ${target}`,
      );
    }
    return { kind: "binary", path };
  }
  const zip = cachedDenortZip(target, opts.env);
  if (fileExists(zip)) return { kind: "cached_zip", path: zip };
  const how = target === opts.hostTarget ? `${perTarget} (or DENORT_BIN)` : perTarget;
  throw new CompileSetupError(
    `no denort base binary for ${target}: deno compile needs denort ${DENO_VERSION} and cannot ` +
      `download it from this machine.\nGet denort-${target}.zip from the Deno ${DENO_VERSION} ` +
      `release page (https://github.com/denoland/deno/releases/tag/v${DENO_VERSION}), unzip it ` +
      `and pass the binary: ${how}=/path/to/denort deno task compile ${TARGETS[target].short}\n` +
      `(or put the zip itself at ${zip})`,
  );
}

/** The `deno compile` arguments for one target. */
export function compileArgs(
  target: Target,
  include: readonly string[] = COMPILE_INCLUDE,
): string[] {
  return [
    "compile",
    ...RUN_FLAGS,
    "--frozen",
    // Only the npm packages the program imports (not the test tools of deno.json's imports).
    "--exclude-unused-npm",
    "--target",
    target,
    ...include.flatMap((entry) => ["--include", entry]),
    "--output",
    `dist/picloud-${target}`,
    ENTRY_POINT,
  ];
}

/** The ELF machine number of an executable, or null when it is missing or not ELF. */
function elfMachine(path: string): number | null {
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const head = new Uint8Array(20);
      if ((file.readSync(head) ?? 0) < 20) return null;
      if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return null;
      return head[18] | (head[19] << 8);
    } finally {
      file.close();
    }
  } catch {
    return null;
  }
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function runDeno(args: string[], env: Record<string, string>): Promise<void> {
  const status = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
  }).spawn().status;
  if (!status.success) throw new Error(`deno ${args.join(" ")} failed (exit ${status.code})`);
}

const usage = `Usage: deno task compile [x86_64|aarch64]…   (default: both)

Builds dist/picloud-x86_64-unknown-linux-gnu and dist/picloud-aarch64-unknown-linux-gnu.
deno compile needs the denort base binary of Deno ${DENO_VERSION} for each target:
  DENORT_BIN_X86_64, DENORT_BIN_AARCH64   path of the unzipped denort binary of that target
  DENORT_BIN                              the same, for this machine's own target
or the zip cached at $DENO_DIR/dl/release/v${DENO_VERSION}/denort-<target>.zip.`;

/** Builds the binaries named in `args`; returns the exit code (2: bad usage or no denort). */
export async function run(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    return 0;
  }
  const targets: Target[] = [];
  for (const arg of args) {
    const t = parseTarget(arg);
    if (!t) {
      console.error(`compile: unknown target ${arg}\n\n${usage}`);
      return 2;
    }
    if (!targets.includes(t)) targets.push(t);
  }
  if (targets.length === 0) targets.push(...Object.keys(TARGETS) as Target[]);
  const env = Deno.env.toObject();
  const sources = new Map<Target, DenortSource>();
  try {
    if (Deno.version.deno !== DENO_VERSION) {
      throw new CompileSetupError(
        `deno compile must run on Deno ${DENO_VERSION} (this is ${Deno.version.deno}): ` +
          `npm install -g deno@${DENO_VERSION}`,
      );
    }
    for (const t of targets) {
      sources.set(t, resolveDenort(t, { env, hostTarget: Deno.build.target }));
    }
    if (!fileExists(`${ROOT}ui/static/islands/manifest.json`)) {
      throw new CompileSetupError("the console's islands are not built: run deno task build");
    }
  } catch (err) {
    if (!(err instanceof CompileSetupError)) throw err;
    console.error(`compile: ${err.message}`);
    return 2;
  }
  for (const t of targets) {
    const source = sources.get(t)!;
    const childEnv: Record<string, string> = { ...env, DENO_NO_PACKAGE_JSON: "1" };
    delete childEnv.DENORT_BIN;
    if (source.kind === "binary") childEnv.DENORT_BIN = source.path;
    // The target's optional npm packages (the Argon2 addon for its CPU) into the cache.
    await runDeno(
      ["install", "--frozen", "--os", "linux", "--arch", TARGETS[t].npmArch],
      childEnv,
    );
    const started = performance.now();
    await runDeno(compileArgs(t), childEnv);
    const size = Deno.statSync(`${ROOT}dist/picloud-${t}`).size;
    console.log(
      `built dist/picloud-${t} (${
        (size / 1024 ** 2).toFixed(1)
      } MiB, denort from ${source.path}) ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await run(Deno.args));
