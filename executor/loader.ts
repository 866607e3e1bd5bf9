/** @module Platform-owned blank loader Worker: neuters shared globals, imports user source from a blob URL, runs invocations. */

import { AsyncLocalStorage } from "node:async_hooks";
import type { FailCode, InvokeMessage, WorkerReply } from "./_protocol.ts";
import type { LogLine } from "./types.ts";

const MAX_LOG_LINES = 200;
const MAX_LINE_CHARS = 2_000;
const MAX_ERROR_CHARS = 4_000;
const LEVELS = ["debug", "info", "log", "warn", "error"] as const;

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}
interface Capture {
  logs: LogLine[];
}
type Handler = (...args: unknown[]) => unknown;
interface Loaded {
  target: Record<string, unknown> | Handler | null;
}

const scope = globalThis as unknown as WorkerScope;
const post = scope.postMessage.bind(globalThis);
const inspect = Deno.inspect;
const capture = new AsyncLocalStorage<Capture>();
// Only the loader mints blob: URLs (one per script source); scripts get neither function, so no
// script can hand a blob: URL to another script of its process.
const createObjectURL = URL.createObjectURL;
const revokeObjectURL = URL.revokeObjectURL;

/** Thrown by the replaced `Deno.exit` / `process.exit`: ends the invocation, never the process. */
class ExitCalled extends Error {
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
function neuterGlobals(): void {
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

function format(args: unknown[]): string {
  let line = "";
  for (let i = 0; i < args.length && line.length < MAX_LINE_CHARS; i++) {
    const arg = args[i];
    let text: string;
    try {
      text = typeof arg === "string" ? arg : inspect(arg, { depth: 4, colors: false });
    } catch {
      text = "[uninspectable]";
    }
    line += (i > 0 ? " " : "") + text;
  }
  return line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) + "…" : line;
}

function captureConsole(): void {
  const con = console as unknown as Record<string, unknown>;
  const record = (level: LogLine["level"]) => (...args: unknown[]) => {
    const cap = capture.getStore();
    if (!cap || cap.logs.length >= MAX_LOG_LINES) return;
    cap.logs.push({ level, message: format(args), at: Date.now() });
  };
  for (const level of LEVELS) con[level] = record(level);
  con.trace = record("debug");
  con.dir = record("log");
  con.table = record("log");
  // `process.stdout` / `stderr` would write to the executor's own pipes, which the trusted
  // process would have to drain: their output is captured like `console` instead.
  const proc = (globalThis as Record<string, unknown>).process as
    | Record<string, unknown>
    | undefined;
  for (const [name, level] of [["stdout", "log"], ["stderr", "error"]] as const) {
    try {
      const stream = proc?.[name] as Record<string, unknown> | undefined;
      if (!stream) continue;
      const log = record(level);
      stream.write = (chunk: unknown, ...rest: unknown[]) => {
        log(typeof chunk === "string" ? chunk.replace(/\n$/, "") : format([chunk]));
        const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        if (done) queueMicrotask(done);
        return true;
      };
    } catch { /* best effort: the pipes are discarded or bounded anyway */ }
  }
}

function errorText(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  } catch {
    text = "Unprintable error";
  }
  return text.slice(0, MAX_ERROR_CHARS);
}

class ScriptFault extends Error {}

/**
 * Counts `ctx.waitUntil` promises still pending and tells the executor when there start or stop
 * being any: the supervisor keeps the process awake (not frozen) for them, within a budget.
 */
const background = {
  pending: 0,
  add(promise: unknown): void {
    if (this.pending++ === 0) post({ t: "bg", pending: true }, []);
    Promise.resolve(promise).catch((err) => console.error("waitUntil rejected:", errorText(err)))
      .finally(() => {
        if (--this.pending === 0) post({ t: "bg", pending: false }, []);
      });
  },
};

let loaded: Promise<Loaded> | null = null;
let ctxBase: { env: Readonly<Record<string, string>>; app: Readonly<{ id: string; slug: string }> };

function load(
  msg: { source: string; env: Record<string, string>; app: { id: string; slug: string } },
) {
  if (loaded) return;
  ctxBase = { env: Object.freeze({ ...msg.env }), app: Object.freeze({ ...msg.app }) };
  const url = createObjectURL(new Blob([msg.source], { type: "application/typescript" }));
  loaded = import(url).then(
    (mod: Record<string, unknown>) => {
      const target = mod.default;
      const ok = typeof target === "function" || (typeof target === "object" && target !== null);
      return { target: ok ? target as Loaded["target"] : null };
    },
    (err) => {
      throw new ScriptFault(`Module failed to load: ${errorText(err)}`);
    },
  ).finally(() => revokeObjectURL(url));
  loaded.catch(() => {});
}

function pick(target: Loaded["target"], name: "fetch" | "scheduled"): Handler {
  if (typeof target === "function" && name === "fetch") return target;
  const obj = target as Record<string, unknown> | null;
  const fn = obj && typeof obj === "object" ? obj[name] : undefined;
  if (typeof fn !== "function") {
    throw new ScriptFault(
      name === "fetch"
        ? "Script has no fetch handler: export default { fetch(request, env, ctx) } or a function"
        : "Script has no scheduled handler: export default { scheduled(controller, env, ctx) }",
    );
  }
  return (...args: unknown[]) => Reflect.apply(fn, obj, args);
}

async function readBody(res: Response, limit: number): Promise<ArrayBuffer | number | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      return total;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out.buffer;
}

/**
 * The second argument of every handler. Its own, enumerable properties are the script's vars and
 * secrets (`env.API_KEY`, as in Workers; `Object.keys(env)` lists only those). Behind them, on its
 * prototype, so other shapes run unchanged: `remoteAddr` and `completed` (what a `deno serve`
 * handler reads from its `info`), and the fields of PiCloud's first contract, `fetch(req, ctx)`
 * (`params`, `app`, `requestId`, `waitUntil`, `env`). A var of the same name wins.
 */
function envFor(
  extra: {
    remoteAddr: unknown;
    completed: Promise<void>;
    params: unknown;
    requestId: string;
    waitUntil: (promise: unknown) => void;
  },
): Record<string, unknown> {
  // Not frozen: a frozen prototype would refuse an own var of the same name (assignment
  // to a read-only inherited property throws).
  const behind = { ...extra, app: ctxBase.app, env: ctxBase.env };
  return Object.assign(Object.create(behind), ctxBase.env);
}

async function run(
  msg: InvokeMessage & { body: ArrayBuffer | null },
  cap: Capture,
  module: Promise<Loaded>,
) {
  const { target } = await module;
  let markCompleted = () => {};
  const completed = new Promise<void>((resolve) => markCompleted = resolve);
  const params = Object.freeze({ ...msg.params });
  const remoteAddr = Object.freeze({ ...msg.remoteAddr });
  const waitUntil = (promise: unknown) => background.add(promise);
  // Workers' third argument, with PiCloud's own fields.
  const ctx = Object.freeze({
    waitUntil,
    passThroughOnException() {/* there is no origin to pass to: a throw answers 500 */},
    params,
    app: ctxBase.app,
    requestId: msg.requestId,
    remoteAddr,
  });
  const env = envFor({ remoteAddr, completed, params, requestId: msg.requestId, waitUntil });
  if (msg.kind === "check") {
    const obj = target as Record<string, unknown> | null;
    const hasFetch = typeof target === "function" || typeof obj?.fetch === "function";
    if (!hasFetch && typeof obj?.scheduled !== "function") {
      throw new ScriptFault(
        "Script has no fetch or scheduled handler: export default { fetch(request, env, ctx) }",
      );
    }
    return { reply: noContent(msg.id, cap), markCompleted };
  }
  if (msg.kind === "scheduled") {
    const controller = Object.freeze({
      cron: msg.cron,
      scheduledTime: msg.scheduledTime,
      // Runs are never retried: each tick runs once (see the scheduler).
      noRetry() {},
    });
    await pick(target, "scheduled")(controller, env, ctx);
    return { reply: noContent(msg.id, cap), markCompleted };
  }
  const hasBody = msg.body !== null && msg.method !== "GET" && msg.method !== "HEAD";
  const req = new Request(msg.url, {
    method: msg.method,
    headers: msg.headers,
    body: hasBody ? msg.body : null,
  });
  const res = await pick(target, "fetch")(req, env, ctx);
  if (!(res instanceof Response)) {
    throw new ScriptFault(
      `fetch handler returned ${res === null ? "null" : typeof res}, not a Response`,
    );
  }
  const body = await readBody(res, msg.maxBodyBytes);
  if (typeof body === "number") {
    return {
      reply: fail(msg.id, "response_too_large", "Response body over limit", cap, body),
      markCompleted,
    };
  }
  const headers = [...res.headers];
  return {
    reply: {
      t: "result",
      id: msg.id,
      status: res.status,
      statusText: res.statusText,
      headers,
      body,
      logs: cap.logs,
    } as WorkerReply,
    markCompleted,
  };
}

/** The reply of an invocation that answers nothing: a check, or a scheduled run. */
function noContent(id: number, cap: Capture): WorkerReply {
  return { t: "result", id, status: 204, statusText: "", headers: [], body: null, logs: cap.logs };
}

function fail(
  id: number,
  code: FailCode,
  message: string,
  cap: Capture,
  producedBytes = 0,
): WorkerReply {
  return { t: "fail", id, code, message, logs: cap.logs, producedBytes };
}

async function invoke(
  msg: InvokeMessage & { body: ArrayBuffer | null },
  module: Promise<Loaded>,
  send = true,
): Promise<void> {
  const cap: Capture = { logs: [] };
  let reply: WorkerReply;
  let markCompleted = () => {};
  try {
    ({ reply, markCompleted } = await capture.run(cap, () => run(msg, cap, module)));
  } catch (err) {
    reply = err instanceof ExitCalled ? fail(msg.id, "exit", err.message, cap) : fail(
      msg.id,
      "script_error",
      // A deploy check reports the fault itself, not the loader's own stack.
      msg.kind === "check" && err instanceof ScriptFault ? err.message : errorText(err),
      cap,
    );
  }
  const body = reply.t === "result" ? reply.body : null;
  if (send) post(reply, body ? [body] : []);
  markCompleted();
}

/**
 * Runs the whole invocation path once with a platform handler (and one blob import) while this
 * Worker is still a spare, so a new script's first request finds it compiled and warm.
 */
async function warmUp(): Promise<void> {
  const url = createObjectURL(
    new Blob(["export default 1 as number;"], { type: "application/typescript" }),
  );
  await import(url).catch(() => {}).finally(() => revokeObjectURL(url));
  const target = {
    fetch: async (req: Request) => {
      console.log("warm");
      return new Response(await req.arrayBuffer(), { headers: { "x-warm": "1" } });
    },
  };
  const msg: InvokeMessage & { body: ArrayBuffer | null } = {
    t: "invoke",
    id: 0,
    w: 0,
    kind: "fetch",
    method: "POST",
    url: "http://warm.invalid/",
    headers: [["content-type", "text/plain"]],
    params: {},
    requestId: "warm",
    remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 0 },
    trigger: "http",
    maxBodyBytes: 1024,
    cron: "",
    scheduledTime: 0,
    body: new TextEncoder().encode("warm").buffer as ArrayBuffer,
  };
  await invoke(msg, Promise.resolve({ target }), false);
}

neuterGlobals();
captureConsole();
scope.addEventListener("unhandledrejection", (e) => e.preventDefault());
scope.addEventListener("error", (e) => e.preventDefault());
scope.addEventListener("message", (event) => {
  const msg = (event as MessageEvent).data;
  if (msg?.t === "load") load(msg);
  else if (msg?.t === "invoke" && loaded) invoke(msg, loaded);
});
warmUp();
