/** @module Builds the command line of an executor child process (deno run, or the compiled binary re-executing itself). */

import type { JobKind } from "./types.ts";
import { isCompiledBinary } from "../common/runtime.ts";

/**
 * The files the loader Worker is made of: the child may read these and its socket, nothing else.
 * `loader.ts` and everything it imports (its parts and the flow-control constants shared with the
 * trusted side); `_command_test.ts` checks the list against the loader's imports.
 */
export const LOADER_FILES: readonly string[] = [
  "loader.ts",
  "_loader_sandbox.ts",
  "_loader_console.ts",
  "_loader_reply.ts",
  "_protocol.ts",
  "_words.ts",
  "_loader_cache.ts",
  "_frames.ts",
  "_loader_shapes.ts",
];

/** A ready-to-spawn executor command. */
export interface ChildCommand {
  execPath: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export { isCompiledBinary };

/** The executor child command for one socket and memory cap. */
export function childCommand(
  opts: {
    socketPath: string;
    memoryLimitMb: number;
    netGrant: string[];
    appId: string;
    /** What the process runs; check executors get an origin apart from their app's. */
    job?: JobKind;
    /** The process's private Deno cache directory (see `prepareDenoDir`). */
    denoDir: string;
    /** Defaults to `isCompiledBinary()`. */
    compiled?: boolean;
    /** The supervisor's loopback port each Worker connects to (its link). */
    linkPort: number;
  },
): ChildCommand {
  // No memory reducer: it runs a GC 20-30 s after the last request (idle CPU); an idle
  // executor is stopped after `idleMs` instead, which returns all of its memory.
  const heapFlags =
    `--max-old-space-size=${opts.memoryLimitMb},--max-semi-space-size=4,--no-memory-reducer`;
  // Nothing of the parent's environment: not even its DENO_DIR, which Deno would let any Worker
  // write to (Cache API, emitted modules) outside the data directory.
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_NO_PACKAGE_JSON: "1",
    DENO_DIR: opts.denoDir,
  };
  const dir = new URL(".", import.meta.url);
  if (opts.compiled ?? isCompiledBinary()) {
    env.DENO_V8_FLAGS = heapFlags;
    return {
      execPath: Deno.execPath(),
      args: [
        "executor",
        "--socket",
        opts.socketPath,
        "--compiled",
        "--link-port",
        String(opts.linkPort),
      ],
      env,
      cwd: "/",
    };
  }
  const childPath = new URL("child.ts", dir).pathname;
  const loaderPaths = LOADER_FILES.map((f) => new URL(f, dir).pathname);
  return {
    execPath: Deno.execPath(),
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "--cached-only",
      "--no-remote",
      "--no-npm",
      "--unstable-worker-options",
      // Deno keys its on-disk Cache API storage by origin: one origin per app, so a nested Worker
      // (which the loader cannot neuter) never shares cached data with another app.
      `--location=${appLocation(opts.appId, opts.job)}`,
      `--allow-read=${[...loaderPaths, opts.socketPath].join(",")}`,
      // The child may only pass to its Workers the outbound hosts its app's scripts declare.
      `--allow-net=${
        [
          `unix:${opts.socketPath}`,
          `127.0.0.1:${opts.linkPort}`,
          ...opts.netGrant.filter(isHost),
        ].join(",")
      }`,
      `--allow-write=${opts.socketPath}`,
      `--v8-flags=${heapFlags}`,
      childPath,
      "--socket",
      opts.socketPath,
      "--link-port",
      String(opts.linkPort),
    ],
    env,
    cwd: dir.pathname,
  };
}

/** A `host` or `host:port` entry safe to put in a flag (no commas, no schemes, no paths). */
export function isHost(entry: string): boolean {
  return /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\d{1,5})?$/.test(entry);
}

/**
 * The per-app `--location`: Deno keys on-disk web storage by origin, so each app gets its own
 * host, and its check executor another one (a checked module never sees the app's storage).
 */
export function appLocation(appId: string, job: JobKind = "app"): string {
  const hex = [...new TextEncoder().encode(appId)].map((b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  const labels = hex.match(/.{1,60}/g) ?? ["0"];
  const tag = job === "app" ? "a" : "c";
  return `https://${tag}${labels.join(`.${tag}`)}.executor.invalid/`;
}
