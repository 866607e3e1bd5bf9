/**
 * @module The loader Worker's sandbox: removes process-wide or escalating globals before any user
 * code runs, and turns `exit()` into an error that ends one invocation, never the process. Exports
 * only functions and a class: no capability leaves the loader through this module.
 */

/** Thrown by the replaced `Deno.exit` / `process.exit`: ends the invocation, never the process. */
export class ExitCalled extends Error {
  constructor(code: unknown) {
    super(`Script called exit(${String(code ?? 0)})`);
  }
}

function exitThrows(code?: unknown): never {
  throw new ExitCalled(code);
}

function deleteFromChain(target: object, key: PropertyKey): void {
  let obj: object | null = target;
  for (let depth = 0; obj && depth < 6; depth++) {
    try {
      Reflect.deleteProperty(obj, key);
    } catch { /* non-configurable: left alone */ }
    obj = Object.getPrototypeOf(obj);
  }
}

/** What `node:worker_threads` hands out instead of a class that would share or spawn. */
function unavailable(what: string): new (...args: unknown[]) => never {
  return class Unavailable {
    constructor() {
      const err = new Error(`${what} is not available to scripts`) as Error & { code: string };
      err.code = "ERR_NOT_AVAILABLE";
      throw err;
    }
  } as unknown as new (...args: unknown[]) => never;
}

/**
 * Closes what `node:worker_threads` exposes besides the globals: its `Worker` (a nested Worker
 * gets fresh, un-neutered globals, its own thread and disk-backed storage), `BroadcastChannel`
 * (process-wide) and `locks` (the process-wide Web Locks manager). Every way to reach the module
 * (`import`, `require`, `process.getBuiltinModule`) returns the one exports object patched here,
 * as long as this runs before anything imports it as ESM.
 */
function neuterWorkerThreads(): void {
  const proc = (globalThis as Record<string, unknown>).process as
    | { getBuiltinModule?: (id: string) => unknown }
    | undefined;
  const mod = proc?.getBuiltinModule?.("node:worker_threads") as
    | Record<string, unknown>
    | undefined;
  if (!mod) return;
  const replace = (key: string, value: unknown) =>
    Object.defineProperty(mod, key, { value, writable: false, configurable: false });
  replace("Worker", unavailable("Worker"));
  replace("BroadcastChannel", unavailable("BroadcastChannel"));
  replace("locks", undefined);
}

/** Removes process-wide or escalating globals before any user code runs. */
export function neuterGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  const shared = [
    "caches",
    "CacheStorage",
    "Cache",
    "BroadcastChannel",
    "Worker",
    "close",
    "postMessage",
  ];
  for (const key of shared) {
    deleteFromChain(globalThis, key);
  }
  neuterWorkerThreads();
  // Process-wide Web Locks: one script could block or signal another.
  deleteFromChain(navigator, "locks");
  for (const key of ["createObjectURL", "revokeObjectURL"]) deleteFromChain(URL, key);
  const deno = Deno as unknown as Record<PropertyKey, unknown>;
  const internal = deno.internal;
  if (typeof internal === "symbol") delete deno[internal];
  for (
    const key of [
      "internal",
      "addSignalListener",
      "removeSignalListener",
      "memoryUsage",
      "stdin",
      "stdout",
      "stderr",
      "kill",
    ]
  ) delete deno[key];
  Object.defineProperty(Deno, "exit", { value: exitThrows, configurable: false, writable: false });
  Object.defineProperty(Deno, "args", { value: Object.freeze([]), configurable: false });
  const proc = g.process as Record<string, unknown> | undefined;
  if (proc) {
    for (const key of ["exit", "reallyExit", "abort"]) {
      try {
        Object.defineProperty(proc, key, { value: exitThrows, configurable: false });
      } catch { /* best effort */ }
    }
    for (
      const key of ["cpuUsage", "memoryUsage", "resourceUsage", "kill", "binding", "_rawDebug"]
    ) {
      try {
        delete proc[key];
      } catch { /* best effort */ }
    }
  }
}
