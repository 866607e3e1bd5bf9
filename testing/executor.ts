/** @module Test helpers for the executor: fixture scripts, pools with small limits, invoke options. */

import {
  createExecutorPool,
  type ExecutorPool,
  type ExecutorPoolOptions,
  type InvokeOptions,
  type ScriptLimits,
  type ScriptRef,
} from "../executor/mod.ts";

/** Small limits so fault tests finish fast; the generous timeout keeps a loaded machine from flaking. */
export const TEST_LIMITS: ScriptLimits = {
  timeoutMs: 5_000,
  memoryLimitMb: 128,
  maxBodyBytes: 64 * 1024,
  maxConcurrency: 8,
};

/** Reads a fixture script from `executor/testdata/`. */
export function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../executor/testdata/${name}`, import.meta.url));
}

/** A script ref for `appId` with the given source; the version id derives from the source. */
export function script(appId: string, source: string, over: Partial<ScriptRef> = {}): ScriptRef {
  return {
    appId,
    appSlug: `${appId}-slug`,
    scriptId: `${appId}-script`,
    versionId: `${appId}-v-${hash(source)}`,
    source,
    env: {},
    limits: TEST_LIMITS,
    netAllow: [],
    ...over,
  };
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

/** The timeout of scripts that are meant to time out. */
export const FAULT_TIMEOUT_MS = 1_000;

let counter = 0;

/** Invoke options with a fresh request id. */
export function opts(params: Record<string, string> = {}): InvokeOptions {
  return {
    params,
    requestId: `req-${++counter}`,
    remoteAddr: { transport: "tcp", hostname: "203.0.113.7", port: 4242 },
    trigger: "http",
  };
}

/** A pool with a private socket directory; close it with `pool.close()`. */
export function testPool(over: Partial<ExecutorPoolOptions> = {}): ExecutorPool {
  const socketDir = Deno.makeTempDirSync({ prefix: "picloud-exec-" });
  return createExecutorPool({ socketDir, ...over });
}

/** GET request to a test URL. */
export function get(path = "/"): Request {
  return new Request(`http://app.test${path}`);
}
