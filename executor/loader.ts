/**
 * @module Platform-owned blank loader Worker: neuters shared globals, imports user source from a
 * blob URL, runs invocations. Its parts (`_loader_sandbox.ts`, `_loader_console.ts`,
 * `_loader_reply.ts`) export no state: what could act for the Worker (its `postMessage`, the
 * capture store, the invocations in flight) lives only in this module's scope.
 */

import { type InvokeMessage, WINDOW_BYTES, type WorkerIn } from "./_protocol.ts";
import { readFrames } from "./_frames.ts";
import { ExitCalled, neuterGlobals } from "./_loader_sandbox.ts";
import { installWorkersGlobals } from "./_loader_cache.ts";
import {
  type Capture,
  captureConsole,
  captureStore,
  errorText,
  ScriptFault,
} from "./_loader_console.ts";
import {
  createBackground,
  createOutbox,
  type Ending,
  type Live,
  respond,
  type Send,
  socketPost,
  streamedBody,
} from "./_loader_reply.ts";
import { DEFAULT_ENTRY, inWords, type WordsContext } from "./_words.ts";
import {
  asEntryModule,
  callServed,
  defineVarGlobals,
  dispatchFetch,
  dispatchScheduled,
  type Listener,
  readServeArgs,
  scriptDenoEnv,
  scriptProcessEnv,
  type Served,
  servedServer,
  usesServiceWorkerSyntax,
} from "./_loader_shapes.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}
type Handler = (...args: unknown[]) => unknown;
interface Loaded {
  target: Record<string, unknown> | Handler | null;
}

const scope = globalThis as unknown as WorkerScope;
const post = scope.postMessage.bind(globalThis);
const capture = captureStore();
// Only the loader mints blob: URLs (one per script source); scripts get neither function, so no
// script can hand a blob: URL to another script of its process.
const createObjectURL = URL.createObjectURL;
const revokeObjectURL = URL.revokeObjectURL;
// Taken before any script runs: a script cannot replace what the link is made with.
const connect = Deno.connect;
/**
 * The Worker's own connection to the supervisor, once made. Every request comes over it, so
 * nothing is sent before it is: no reply could be owed.
 */
let link: Send | null = null;
let answered = false;
const send: Send = (msg) => {
  if (!link) return;
  link(msg);
  if (answered) return;
  // The child's only message from a linked Worker: it may start the next spare now.
  answered = true;
  post("answered", []);
};

/** Connects to the supervisor's link port and presents the token; frames then come and go there. */
async function openLink(port: number, token: string): Promise<void> {
  const conn = await connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  link = createOutbox(socketPost(conn));
  link({ t: "hello", token });
  readFrames(conn, (f) => onMessage({ ...f.header, body: f.body } as unknown as WorkerIn))
    .catch(() => {});
}
const background = createBackground(send, (err) => worded(err));

let loaded: Promise<Loaded> | null = null;
/** A script without a default export registers its handler instead (see _loader_shapes.ts). */
let served: Served | null = null;
const listeners: { fetch: Listener[]; scheduled: Listener[] } = { fetch: [], scheduled: [] };
// What error texts are rewritten with: the version's entry name (set when the source loads).
const wordsCtx: WordsContext = { entry: DEFAULT_ENTRY };
/** An error in PiCloud's words, its frames under the entry's name. */
const worded = (err: unknown) => inWords(errorText(err), wordsCtx);
/** The script's vars and app, set at load; the warm-up runs with none. */
let ctxBase: {
  env: Readonly<Record<string, string>>;
  app: Readonly<{ id: string; slug: string }>;
} = {
  env: Object.freeze({}),
  app: Object.freeze({ id: "", slug: "" }),
};

function load(
  msg: {
    source: string;
    env: Record<string, string>;
    app: { id: string; slug: string };
    entry?: string;
    link: { port: number; token: string };
  },
) {
  if (loaded) return;
  wordsCtx.entry = msg.entry || DEFAULT_ENTRY;
  ctxBase = { env: Object.freeze({ ...msg.env }), app: Object.freeze({ ...msg.app }) };
  // The environment other shapes read: the script's own vars and secrets, nothing of the process.
  Object.defineProperty(Deno, "env", { value: scriptDenoEnv(ctxBase.env), configurable: false });
  const proc = (globalThis as { process?: object }).process;
  if (proc) {
    Object.defineProperty(proc, "env", {
      value: scriptProcessEnv(ctxBase.env),
      writable: true,
      configurable: false,
    });
  }
  if (usesServiceWorkerSyntax(msg.source)) defineVarGlobals(ctxBase.env);
  const url = createObjectURL(
    new Blob([asEntryModule(msg.source)], { type: "application/typescript" }),
  );
  const linked = openLink(msg.link.port, msg.link.token).catch((err) => {
    // The supervisor holds this Worker's requests until it links: the child tells it to fail them.
    post({ t: "broken", message: `Executor could not link the script's Worker: ${err}` }, []);
    throw err;
  });
  loaded = linked.then(() => import(url)).then(
    (mod: Record<string, unknown>) => {
      const target = mod.default;
      const ok = typeof target === "function" || (typeof target === "object" && target !== null);
      return { target: ok ? target as Loaded["target"] : null };
    },
    (err) => {
      // The source names the specifier a failed import's message leaves out.
      const text = inWords(errorText(err), { ...wordsCtx, source: msg.source });
      throw new ScriptFault(`Module failed to load: ${text}`);
    },
  ).finally(() => revokeObjectURL(url));
  loaded.catch(() => {});
}

/**
 * The script's handler for `name`, or null: its default export's (a function is a fetch
 * handler), else, for a module without one, what it registered with `Deno.serve()` or
 * `addEventListener()`.
 */
function handlerOf(target: Loaded["target"], name: "fetch" | "scheduled"): Handler | null {
  if (typeof target === "function" && name === "fetch") return target;
  const obj = target as Record<string, unknown> | null;
  const fn = obj && typeof obj === "object" ? obj[name] : undefined;
  if (typeof fn === "function") return (...args: unknown[]) => Reflect.apply(fn, obj, args);
  if (name === "fetch" && served) {
    const s = served;
    return (req, info) => callServed(s, req as Request, info);
  }
  const registered = listeners[name];
  if (registered.length === 0) return null;
  return name === "fetch"
    ? (req, _env, ctx) => dispatchFetch(registered, req as Request, (ctx as Ctx).waitUntil)
    : (controller, _env, ctx) =>
      dispatchScheduled(registered, controller as ScheduledController, (ctx as Ctx).waitUntil);
}

/** The script's handler for `name`; a script without one is told which shapes provide it. */
function pick(target: Loaded["target"], name: "fetch" | "scheduled"): Handler {
  const handler = handlerOf(target, name);
  if (handler) return handler;
  throw new ScriptFault(
    name === "fetch"
      ? "Script has no fetch handler: export default { fetch(request, env, ctx) } or a " +
        'function, call Deno.serve(handler), or addEventListener("fetch", …)'
      : "Script has no scheduled handler: export default { scheduled(controller, env, ctx) } " +
        'or addEventListener("scheduled", …)',
  );
}

type Ctx = { waitUntil: (promise: unknown) => void };
type ScheduledController = { cron: string; scheduledTime: number };

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

/** Route parameters of a request that has none (the invoke frame leaves them out). */
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
/** `ctx.passThroughOnException()`: there is no origin to pass to, a throw answers 500. */
const passThroughOnException = () => {};
const noContent = (): Ending => ({
  t: "result",
  status: 204,
  statusText: "",
  headers: [],
  body: null,
});

const live = new Map<number, Live>();
async function run(
  msg: InvokeMessage & { body?: Uint8Array | null },
  state: Live,
  module: Promise<Loaded>,
  completed: Promise<void>,
  requestBody: ReadableStream<Uint8Array> | null,
): Promise<Ending> {
  const { target } = await module;
  const params = msg.params ? Object.freeze({ ...msg.params }) : NO_PARAMS;
  const remoteAddr = Object.freeze({ ...msg.remoteAddr });
  // Counted for the executor's background budget and for this invocation, whose completion (and
  // so its execution log row) waits for them.
  const waitUntil = (promise: unknown) => {
    state.waits++;
    background.add(promise, () => {
      if (--state.waits === 0) state.settle?.();
    });
  };
  const cap = capture.getStore();
  if (cap) cap.waitUntil = waitUntil;
  // Workers' third argument, with PiCloud's own fields.
  const ctx = Object.freeze({
    waitUntil,
    passThroughOnException,
    params,
    app: ctxBase.app,
    requestId: msg.requestId,
    remoteAddr,
  });
  const env = envFor({ remoteAddr, completed, params, requestId: msg.requestId, waitUntil });
  if (msg.kind === "check") {
    if (!handlerOf(target, "fetch") && !handlerOf(target, "scheduled")) {
      throw new ScriptFault(
        "Script has no fetch or scheduled handler: export default { fetch(request, env, ctx) }, " +
          'call Deno.serve(handler), or addEventListener("fetch", …)',
      );
    }
    return noContent();
  }
  if (msg.kind === "scheduled") {
    const controller = Object.freeze({
      cron: msg.cron,
      scheduledTime: msg.scheduledTime,
      // Runs are never retried: each tick runs once (see the scheduler).
      noRetry() {},
    });
    await pick(target, "scheduled")(controller, env, ctx);
    return noContent();
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
  return await respond(res, msg, state, send);
}

/** Runs one invocation and sends its ending (unless `reply` is false); resolves to that ending. */
async function invoke(
  msg: InvokeMessage & { body?: Uint8Array | null },
  module: Promise<Loaded>,
  reply = true,
): Promise<Ending> {
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
    waits: 0,
    settle: null,
  };
  if (reply) live.set(msg.id, state);
  // Made now: body chunks may arrive in the same batch, before the module is ready.
  const requestBody = msg.stream ? streamedBody(state, send) : null;
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
        message: err instanceof ScriptFault ? err.message : worded(err),
        producedBytes: 0,
      };
  }
  if (reply && !state.cancelled && state.waits > 0) {
    await tail(state, ending, cap, markCompleted);
    return ending;
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
  return ending;
}

/**
 * The ending of an invocation whose `ctx.waitUntil` work is still pending: the response goes
 * out now, marked `wait`; once that work settles, a `done` follows with the lines it logged (or,
 * if the invocation is cancelled at its time limit first, the `ack` carries them).
 */
async function tail(state: Live, ending: Ending, cap: Capture, markCompleted: () => void) {
  const id = state.id;
  // A copy: the reply is encoded at the end of this microtask, and the work may log before that.
  const logs = cap.logs.slice();
  if (ending.t === "result") {
    const { body, ...rest } = ending;
    send({ ...rest, id, logs, body, wait: true });
  } else if (ending.t === "fail") send({ ...ending, id, logs, wait: true });
  else send({ t: "end", id, logs, wait: true });
  markCompleted();
  const sent = logs.length;
  await new Promise<void>((resolve) => state.settle = resolve);
  state.settle = null;
  live.delete(id);
  send({ t: state.cancelled ? "ack" : "done", id, logs: cap.logs.slice(sent) });
}

/** Stops an invocation: its signal aborts, its streams end, nothing more is sent for it. */
function cancel(id: number, reason: string): void {
  const state = live.get(id);
  // One waiting for its waitUntil work is acknowledged by `tail()`, with the lines logged so far.
  if (!state?.settle) send({ t: "ack", id });
  if (!state) return;
  if (!state.settle) live.delete(id);
  state.cancelled = true;
  state.settle?.();
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
 * Lets the other script shapes register their handlers: `Deno.serve()` keeps its handler (one per
 * script) instead of listening, and `addEventListener("fetch" | "scheduled", …)` keeps the
 * listener; every other event type goes to the Worker's own `addEventListener` as before. Also
 * gives Supabase's `EdgeRuntime.waitUntil`.
 */
function installShapes(): void {
  Object.defineProperty(Deno, "serve", {
    value: function serve(...args: unknown[]) {
      const { served: next, port } = readServeArgs(args);
      if (served) {
        throw new TypeError(
          "Deno.serve() was already called: a script answers its requests with one handler",
        );
      }
      served = next;
      return servedServer(next, port);
    },
    writable: false,
    configurable: false,
  });
  // Supabase Edge Functions' way to keep work going after the response: the running request's
  // ctx.waitUntil, found from the async context like its console lines.
  Object.defineProperty(globalThis, "EdgeRuntime", {
    value: Object.freeze({
      waitUntil(promise: unknown) {
        const waitUntil = capture.getStore()?.waitUntil;
        if (!waitUntil) {
          throw new TypeError(
            "EdgeRuntime.waitUntil() is called while a request runs: call it from the handler",
          );
        }
        waitUntil(promise);
      },
    }),
    writable: false,
    configurable: false,
  });
  const g = globalThis as unknown as {
    addEventListener: (type: string, listener: unknown, options?: unknown) => void;
    removeEventListener: (type: string, listener: unknown, options?: unknown) => void;
  };
  const add = g.addEventListener.bind(globalThis);
  const remove = g.removeEventListener.bind(globalThis);
  const mine = (type: unknown): type is "fetch" | "scheduled" =>
    type === "fetch" || type === "scheduled";
  const usable = (l: unknown): l is Listener =>
    typeof l === "function" ||
    (typeof l === "object" && l !== null &&
      typeof (l as { handleEvent?: unknown }).handleEvent === "function");
  Object.defineProperty(globalThis, "addEventListener", {
    value: function addEventListener(type: string, listener: unknown, options?: unknown) {
      if (!mine(type)) return add(type, listener, options);
      if (usable(listener) && !listeners[type].includes(listener)) listeners[type].push(listener);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(globalThis, "removeEventListener", {
    value: function removeEventListener(type: string, listener: unknown, options?: unknown) {
      if (!mine(type)) return remove(type, listener, options);
      const at = listeners[type].indexOf(listener as Listener);
      if (at >= 0) listeners[type].splice(at, 1);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * Runs the whole invocation path once with a platform handler (and one blob import) while this
 * Worker is still a spare, so a new script's first request finds it compiled and warm: the first
 * `new Request` alone costs a new Worker 10-20 ms. It tells the child how it ended (`warm`), so a
 * warm-up that stops short of the response is seen, not silently paid for by the next script.
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
  const ending = await invoke(msg, Promise.resolve({ target }), false);
  post({
    t: "warm",
    status: ending.t === "result" ? ending.status : 0,
    body: ending.t === "result" && ending.body ? new TextDecoder().decode(ending.body) : "",
    error: ending.t === "fail" ? ending.message : "",
  }, []);
}

neuterGlobals();
// After the neutering: Deno's own `caches` (disk-backed, per origin) is gone; this one is private
// to the Worker and bounded.
installWorkersGlobals();
captureConsole(capture, (text) => inWords(text, wordsCtx));
scope.addEventListener("unhandledrejection", (e) => e.preventDefault());
scope.addEventListener("error", (e) => e.preventDefault());
installShapes();
// The child's one message: the script to load (its requests then come over the link).
scope.addEventListener("message", (event) => {
  const data = (event as MessageEvent).data;
  if (data?.t === "load") load(data);
});
warmUp();
