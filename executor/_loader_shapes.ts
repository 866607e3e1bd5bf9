/**
 * @module The script shapes besides a default export, for the loader: a `Deno.serve(handler)`
 * module (Deno Deploy's and Supabase Edge Functions' shape), a Workers service-worker script
 * (`addEventListener("fetch", …)`), and the environment such scripts read (`Deno.env.get`,
 * `process.env`, and in service-worker scripts the vars as globals). Exports functions only: the
 * handlers a script registers are kept by the caller.
 */

import { ScriptFault } from "./_loader_console.ts";

/** A `Deno.serve` handler, called with the request and the `info` (here: `env`, see loader.ts). */
export type ServeHandler = (request: Request, info: unknown) => unknown;

/** What one `Deno.serve` call registered. */
export interface Served {
  handler: ServeHandler;
  onError: ((error: unknown) => unknown) | null;
  /** Set by the returned server's `shutdown()`: no more requests are answered. */
  shutDown: boolean;
}

/** Where `Deno.serve` would have listened: what the returned server's `addr` says. */
const DEFAULT_PORT = 8000;

/**
 * Reads `Deno.serve`'s argument forms: `(handler)`, `(options, handler)` and `({ handler, … })`.
 * Listening options (`port`, `hostname`, `signal`, TLS) mean nothing here: the platform routes
 * requests to the script; `onError` is honoured as Deno honours it.
 */
export function readServeArgs(args: unknown[]): { served: Served; port: number } {
  const [a, b] = args;
  const options = typeof a === "object" && a !== null ? a as Record<string, unknown> : {};
  const handler = typeof a === "function" ? a : typeof b === "function" ? b : options.handler;
  if (typeof handler !== "function") {
    throw new TypeError(
      "Deno.serve() needs a handler: Deno.serve((request) => new Response(…)) or " +
        "Deno.serve({ handler })",
    );
  }
  const onError = typeof options.onError === "function" ? options.onError : null;
  const port = Number.isInteger(options.port) ? options.port as number : DEFAULT_PORT;
  return {
    served: {
      handler: handler as ServeHandler,
      onError: onError as Served["onError"],
      shutDown: false,
    },
    port,
  };
}

/**
 * What `Deno.serve` returns here: a server that never listens itself (the platform routes each
 * request to the handler). `finished` settles once the script calls `shutdown()`; after that the
 * script answers no more requests, as a shut server would not.
 */
export function servedServer(served: Served, port: number): Record<PropertyKey, unknown> {
  let finish = () => {};
  const finished = new Promise<void>((resolve) => finish = resolve);
  const shutdown = () => {
    served.shutDown = true;
    finish();
    return finished;
  };
  return {
    addr: Object.freeze({ transport: "tcp", hostname: "0.0.0.0", port }),
    finished,
    shutdown,
    ref() {},
    unref() {},
    [Symbol.asyncDispose]: shutdown,
  };
}

/** Calls a `Deno.serve` handler as Deno would: a throw goes to `onError` when one was given. */
export async function callServed(served: Served, request: Request, info: unknown) {
  if (served.shutDown) {
    throw new ScriptFault(
      "The script shut its Deno.serve() server down (server.shutdown()): it answers no requests",
    );
  }
  try {
    return await served.handler(request, info);
  } catch (err) {
    if (!served.onError) throw err;
    return await served.onError(err);
  }
}

/** A listener as `addEventListener` takes it: a function or an object with `handleEvent`. */
export type Listener = ((event: unknown) => unknown) | { handleEvent(event: unknown): unknown };

function call(listener: Listener, event: unknown): void {
  if (typeof listener === "function") listener(event);
  else listener.handleEvent(event);
}

/**
 * Dispatches a request to a service-worker script's `fetch` listeners, in the order they were
 * added; the one that calls `event.respondWith()` answers. There is no origin behind PiCloud, so
 * a request no listener answers is the script's fault, said in those words.
 */
export function dispatchFetch(
  listeners: readonly Listener[],
  request: Request,
  waitUntil: (promise: unknown) => void,
): Promise<unknown> {
  let answer: Promise<unknown> | null = null;
  let dispatching = true;
  const event = {
    type: "fetch",
    request,
    respondWith(response: unknown) {
      if (!dispatching) {
        throw new DOMException(
          "respondWith() must be called while the fetch listener runs, not later",
          "InvalidStateError",
        );
      }
      if (answer) {
        throw new DOMException("respondWith() was already called", "InvalidStateError");
      }
      answer = Promise.resolve(response);
    },
    waitUntil,
    passThroughOnException() {},
  };
  try {
    for (const listener of listeners) call(listener, event);
  } finally {
    dispatching = false;
  }
  if (!answer) {
    throw new ScriptFault(
      "The fetch listener did not call event.respondWith() while it ran: call it at once, with " +
        "a promise if the answer comes later (event.respondWith(handle(event.request))); with no " +
        "origin behind PiCloud, every request needs a response",
    );
  }
  return answer;
}

/** Dispatches a cron tick to a service-worker script's `scheduled` listeners. */
export function dispatchScheduled(
  listeners: readonly Listener[],
  controller: { cron: string; scheduledTime: number },
  waitUntil: (promise: unknown) => void,
): void {
  const event = {
    type: "scheduled",
    cron: controller.cron,
    scheduledTime: controller.scheduledTime,
    waitUntil,
    noRetry() {},
  };
  for (const listener of listeners) call(listener, event);
}

/**
 * Whether a source registers service-worker listeners. Such scripts read their vars as globals
 * (`API_KEY`, not `env.API_KEY`), which are then defined before the script runs.
 */
export function usesServiceWorkerSyntax(source: string): boolean {
  return /addEventListener\s*\(\s*["'`](fetch|scheduled)["'`]/.test(source);
}

const IMPORT_META_MAIN = /(?<![\w$.])import\.meta\.main(?![\w$])/g;

/**
 * The source as the entry module it is: `import.meta.main` is true, as `deno run`, `deno serve`,
 * Deno Deploy and Supabase have it for the entry (the loader imports the script, so V8 would say
 * false and `if (import.meta.main) Deno.serve(…)` would never serve). Written over in place with
 * `true` and spaces, so every line and column of the source stays where it was. A bundle keeps
 * the expression only in its entry's code (the bundler writes `false` for the other modules').
 */
export function asEntryModule(source: string): string {
  return source.includes("import.meta.main")
    ? source.replace(IMPORT_META_MAIN, "true".padEnd("import.meta.main".length))
    : source;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Defines each var as a global, as Workers do for service-worker scripts: only names that are
 * identifiers and not already globals (a var never shadows `fetch` or `Response`), writable and
 * not enumerable. Returns the names defined.
 */
export function defineVarGlobals(vars: Readonly<Record<string, string>>): string[] {
  const g = globalThis as Record<string, unknown>;
  const defined: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!IDENTIFIER.test(name) || name in g) continue;
    Object.defineProperty(g, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    defined.push(name);
  }
  return defined;
}

/**
 * The script's environment as `Deno.env` (Deno Deploy's and Supabase's way to read settings):
 * its vars and secrets, nothing of the process. `set` and `delete` change this Worker's copy only.
 */
export function scriptDenoEnv(vars: Readonly<Record<string, string>>): Deno.Env {
  const own = new Map(Object.entries(vars));
  const key = (name: unknown) => {
    const k = String(name);
    if (k === "" || k.includes("=") || k.includes("\0")) {
      throw new TypeError(`Key is an empty string or contains "=" or NUL: ${JSON.stringify(k)}`);
    }
    return k;
  };
  return Object.freeze({
    get: (name: string) => own.get(key(name)),
    has: (name: string) => own.has(key(name)),
    set: (name: string, value: string) => void own.set(key(name), String(value)),
    delete: (name: string) => void own.delete(key(name)),
    toObject: () => Object.fromEntries(own),
  });
}

/** The script's environment as Node's `process.env`: a plain object of its vars and secrets. */
export function scriptProcessEnv(vars: Readonly<Record<string, string>>): Record<string, string> {
  return { ...vars };
}
