/** @module Platform-owned blank loader Worker: neuters shared globals, imports user source from a blob URL, runs invocations. */

import {
  CHUNK_BYTES,
  concatBytes,
  decodeBatch,
  encodeBatch,
  type FailCode,
  INLINE_BYTES,
  type InvokeMessage,
  WINDOW_BYTES,
  type WorkerIn,
  type WorkerOut,
} from "./_protocol.ts";
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
const capture = captureStore();
// Only the loader mints blob: URLs (one per script source); scripts get neither function, so no
// script can hand a blob: URL to another script of its process.
const createObjectURL = URL.createObjectURL;
const revokeObjectURL = URL.revokeObjectURL;

/**
 * Which invocation the running code belongs to, across awaits, timers and callbacks, so console
 * output lands in its own request's log. Deno's own async-context variable (what its
 * `AsyncLocalStorage` is built on) is taken before the globals are neutered; it costs ~1 µs per
 * request and spares each Worker the Node compatibility layer that `node:async_hooks` loads.
 * If it is missing, `AsyncLocalStorage` is used instead.
 */
function captureStore(): {
  getStore(): Capture | undefined;
  run<T>(store: Capture, fn: () => T): T;
} {
  const deno = Deno as unknown as Record<PropertyKey, unknown>;
  const core = (deno[deno.internal as symbol] as Record<string, unknown> | undefined)?.core as
    | {
      AsyncVariable?: new () => { enter(v: unknown): unknown; get(): unknown };
      setAsyncContext?: (snapshot: unknown) => void;
    }
    | undefined;
  const Variable = core?.AsyncVariable;
  const restore = core?.setAsyncContext;
  if (Variable && restore) {
    const variable = new Variable();
    return {
      getStore: () => variable.get() as Capture | undefined,
      run(store, fn) {
        const previous = variable.enter(store);
        try {
          return fn();
        } finally {
          restore(previous);
        }
      },
    };
  }
  const proc = (globalThis as Record<string, unknown>).process as {
    getBuiltinModule(id: string): { AsyncLocalStorage: new () => unknown };
  };
  const als = new (proc.getBuiltinModule("node:async_hooks").AsyncLocalStorage)() as {
    getStore(): Capture | undefined;
    run<T>(store: Capture, fn: () => T): T;
  };
  return { getStore: () => als.getStore(), run: (store, fn) => als.run(store, fn) };
}

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

/** Replies queued during this microtask; sent to the executor as one message. */
let outbox: { header: Record<string, unknown>; body?: Uint8Array | null }[] = [];
/** Queues a reply; everything queued in one microtask goes to the executor as one buffer. */
function send(msg: WorkerOut): void {
  if (outbox.length === 0) queueMicrotask(flushOut);
  const { body, ...header } = msg;
  outbox.push({ header, body });
  // The body is copied into the batch (the one copy of this hop): the script may reuse it.
}
function flushOut(): void {
  const batch = encodeBatch(outbox);
  outbox = [];
  post(batch, [batch.buffer]);
}

/**
 * Counts `ctx.waitUntil` promises still pending and tells the executor when there start or stop
 * being any: the supervisor keeps the process awake (not frozen) for them, within a budget.
 */
const background = {
  pending: 0,
  add(promise: unknown): void {
    if (this.pending++ === 0) send({ t: "bg", pending: true });
    Promise.resolve(promise).catch((err) => console.error("waitUntil rejected:", errorText(err)))
      .finally(() => {
        if (--this.pending === 0) send({ t: "bg", pending: false });
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

/** One invocation in this Worker: its request body, its response flow and how to stop it. */
interface Live {
  id: number;
  abort: AbortController;
  /** The request body's controller while it streams in. */
  body: ReadableStreamDefaultController<Uint8Array> | null;
  /** Request body bytes received and not yet consumed. */
  queued: number;
  /** Response bytes the supervisor still accepts before it reports more consumed. */
  window: number;
  creditWaiter: (() => void) | null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  cancelled: boolean;
}

const live = new Map<number, Live>();

/** A request body that streams in as the executor forwards it and reports what is consumed. */
function streamedBody(state: Live): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      state.body = controller;
    },
    pull() {
      // With no queue (high-water mark 0), a pull means everything enqueued was read.
      if (state.queued > 0) {
        send({ t: "credit", id: state.id, bytes: state.queued });
        state.queued = 0;
      }
    },
    cancel() {
      state.body = null;
      // The script does not want the rest: the executor may send it without waiting.
      send({ t: "credit", id: state.id, bytes: Number.MAX_SAFE_INTEGER });
    },
  }, { highWaterMark: 0 });
}

const SLOW = Symbol("slow");
/** At most this much of a response body that is ready at once is read before its head is sent. */
const PREBUFFER_BYTES = 16 * 1024 * 1024;
/**
 * The read's result if the body had it ready (a body made from a string, bytes or a closed
 * stream settles within a couple of microtasks), else SLOW: then the body is streamed.
 */
function soon<T>(read: Promise<T>): Promise<T | typeof SLOW> {
  let settled = false;
  let value: T | undefined;
  read.then((v) => {
    settled = true;
    value = v;
  }, () => {
    settled = true;
  });
  return (async () => {
    for (let i = 0; i < 6 && !settled; i++) await null;
    // A rejected read is awaited by the caller, which then sees the error.
    return settled ? (value !== undefined ? value : await read) : SLOW;
  })();
}

/** What an invocation ended with, for `invoke()` to send. */
type Ending =
  | {
    t: "result";
    status: number;
    statusText: string;
    headers: [string, string][];
    body: Uint8Array<ArrayBuffer> | null;
  }
  | { t: "streamed" }
  | { t: "fail"; code: FailCode; message: string; producedBytes: number };

/**
 * Sends a response: in one reply when its whole body is ready at once and small (most
 * responses), else its head at once and then each chunk as it is produced, within the window
 * the supervisor grants (a slow client slows the script's stream; nothing piles up here).
 */
async function respond(res: Response, msg: InvokeMessage, state: Live): Promise<Ending> {
  const head = () => ({
    status: res.status,
    statusText: res.statusText,
    headers: [...res.headers] as [string, string][],
  });
  if (!res.body) return { t: "result", ...head(), body: null };
  const reader = state.reader = res.body.getReader();
  const limit = msg.maxBodyBytes;
  // Whatever the body has ready at once is read first (up to the limit, bounded): a body over
  // the limit then still gets a clean 502, and a small one goes out in a single reply.
  const prebuffer = Math.min(limit + 1, PREBUFFER_BYTES);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  let ended = false;
  while (total < prebuffer) {
    const read = reader.read();
    const got = await soon(read);
    if (got === SLOW) {
      pending = read;
      break;
    }
    if (got.done) {
      if (total <= INLINE_BYTES) {
        return { t: "result", ...head(), body: total > 0 ? concatBytes(chunks, total) : null };
      }
      ended = true;
      break;
    }
    total += chunkBytes(got.value);
    if (total > limit) return tooLarge(reader, total);
    chunks.push(got.value);
  }
  if (state.cancelled) return { t: "streamed" };
  // The head goes out now; the body follows as the script produces it, within the window.
  send({ t: "head", id: msg.id, ...head() });
  for (const chunk of chunks) await sendChunk(state, chunk);
  while (!ended && !state.cancelled) {
    const next = await (pending ?? reader.read());
    pending = null;
    if (next.done) break;
    total += chunkBytes(next.value);
    if (total > limit) return tooLarge(reader, total);
    await sendChunk(state, next.value);
  }
  return { t: "streamed" };
}

/** A response body chunk's size; anything but bytes is the script's error, named as such. */
function chunkBytes(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  const kind = chunk === null
    ? "null"
    : typeof chunk === "object"
    ? chunk.constructor?.name
    : typeof chunk;
  throw new ScriptFault(`TypeError: response body chunks must be Uint8Array, got ${kind}`);
}

function tooLarge(reader: ReadableStreamDefaultReader<Uint8Array>, total: number): Ending {
  reader.cancel().catch(() => {});
  return {
    t: "fail",
    code: "response_too_large",
    message: "Response body over limit",
    producedBytes: total,
  };
}

/** Sends one body chunk in pieces of at most CHUNK_BYTES, each when the window allows. */
async function sendChunk(state: Live, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength && !state.cancelled; offset += CHUNK_BYTES) {
    while (state.window <= 0 && !state.cancelled) {
      await new Promise<void>((resolve) => state.creditWaiter = resolve);
    }
    if (state.cancelled) return;
    const piece = chunk.subarray(offset, offset + CHUNK_BYTES);
    state.window -= piece.byteLength;
    send({ t: "chunk", id: state.id, body: piece });
  }
}

async function run(
  msg: InvokeMessage & { body?: Uint8Array | null },
  state: Live,
  module: Promise<Loaded>,
  completed: Promise<void>,
  requestBody: ReadableStream<Uint8Array> | null,
): Promise<Ending> {
  const { target } = await module;
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
  const noContent: Ending = { t: "result", status: 204, statusText: "", headers: [], body: null };
  if (msg.kind === "check") {
    const obj = target as Record<string, unknown> | null;
    const hasFetch = typeof target === "function" || typeof obj?.fetch === "function";
    if (!hasFetch && typeof obj?.scheduled !== "function") {
      throw new ScriptFault(
        "Script has no fetch or scheduled handler: export default { fetch(request, env, ctx) }",
      );
    }
    return noContent;
  }
  if (msg.kind === "scheduled") {
    const controller = Object.freeze({
      cron: msg.cron,
      scheduledTime: msg.scheduledTime,
      // Runs are never retried: each tick runs once (see the scheduler).
      noRetry() {},
    });
    await pick(target, "scheduled")(controller, env, ctx);
    return noContent;
  }
  const hasBody = msg.method !== "GET" && msg.method !== "HEAD" && (msg.stream || !!msg.body);
  const req = new Request(msg.url, {
    method: msg.method,
    headers: msg.headers,
    body: !hasBody ? null : requestBody ?? msg.body,
    signal: state.abort.signal,
    // A streamed request body (Fetch requires it for a stream).
    duplex: "half",
  } as RequestInit);
  const res = await pick(target, "fetch")(req, env, ctx);
  if (!(res instanceof Response)) {
    throw new ScriptFault(
      `fetch handler returned ${res === null ? "null" : typeof res}, not a Response`,
    );
  }
  return await respond(res, msg, state);
}

async function invoke(
  msg: InvokeMessage & { body?: Uint8Array | null },
  module: Promise<Loaded>,
  reply = true,
): Promise<void> {
  const cap: Capture = { logs: [] };
  const state: Live = {
    id: msg.id,
    abort: new AbortController(),
    body: null,
    queued: 0,
    window: WINDOW_BYTES,
    creditWaiter: null,
    reader: null,
    cancelled: false,
  };
  if (reply) live.set(msg.id, state);
  // Made now: body chunks may arrive in the same batch, before the module is ready.
  const requestBody = msg.stream ? streamedBody(state) : null;
  let markCompleted = () => {};
  const completed = new Promise<void>((resolve) => markCompleted = resolve);
  let ending: Ending;
  try {
    ending = await capture.run(cap, () => run(msg, state, module, completed, requestBody));
  } catch (err) {
    ending = err instanceof ExitCalled
      ? { t: "fail", code: "exit", message: err.message, producedBytes: 0 }
      : {
        t: "fail",
        code: "script_error",
        // A fault the loader found is reported as itself, without the loader's own stack.
        message: err instanceof ScriptFault ? err.message : errorText(err),
        producedBytes: 0,
      };
  }
  live.delete(msg.id);
  if (reply && !state.cancelled) {
    if (ending.t === "result") {
      const { body, ...rest } = ending;
      send({ ...rest, id: msg.id, logs: cap.logs, body });
    } else if (ending.t === "fail") send({ ...ending, id: msg.id, logs: cap.logs });
    else send({ t: "end", id: msg.id, logs: cap.logs });
  }
  markCompleted();
}

/** Stops an invocation: its signal aborts, its streams end, nothing more is sent for it. */
function cancel(id: number, reason: string): void {
  const state = live.get(id);
  send({ t: "ack", id });
  if (!state) return;
  live.delete(id);
  state.cancelled = true;
  const why = reason === "timeout"
    ? new DOMException("The request exceeded its time limit", "TimeoutError")
    : reason === "client_closed"
    ? new DOMException("The client closed the connection", "AbortError")
    : new DOMException("The request was stopped at a limit", "AbortError");
  try {
    state.body?.error(why);
  } catch { /* already closed */ }
  state.body = null;
  state.reader?.cancel(why).catch(() => {});
  state.creditWaiter?.();
  state.abort.abort(why);
}

function onMessage(m: WorkerIn): void {
  if (m.t === "invoke") {
    if (loaded) invoke(m, loaded);
    return;
  }
  const state = live.get(m.id);
  if (m.t === "cancel") return cancel(m.id, m.reason);
  if (!state) return;
  if (m.t === "chunk" && m.body && state.body) {
    state.queued += m.body.byteLength;
    state.body.enqueue(m.body);
  } else if (m.t === "end") {
    try {
      state.body?.close();
    } catch { /* cancelled by the script */ }
    state.body = null;
  } else if (m.t === "abort") {
    const err = new TypeError(m.message);
    try {
      state.body?.error(err);
    } catch { /* cancelled by the script */ }
    state.body = null;
  } else if (m.t === "credit") {
    state.window += m.bytes;
    const wake = state.creditWaiter;
    state.creditWaiter = null;
    wake?.();
  }
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
  const msg: InvokeMessage & { body: Uint8Array } = {
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
    maxBodyBytes: 1024,
    body: new TextEncoder().encode("warm"),
  };
  await invoke(msg, Promise.resolve({ target }), false);
}

neuterGlobals();
captureConsole();
scope.addEventListener("unhandledrejection", (e) => e.preventDefault());
scope.addEventListener("error", (e) => e.preventDefault());
scope.addEventListener("message", (event) => {
  const data = (event as MessageEvent).data;
  if (data instanceof Uint8Array) {
    for (const { header, body } of decodeBatch(data)) {
      onMessage({ ...header, body } as unknown as WorkerIn);
    }
  } else if (data?.t === "load") load(data);
});
warmUp();
