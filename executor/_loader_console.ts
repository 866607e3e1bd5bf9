/**
 * @module What a script says in the loader Worker: its console output, captured per invocation
 * into bounded log lines, and the text of its errors. Exports only factories and pure functions:
 * the capture store itself lives in the loader's own scope.
 */

import type { LogLine } from "./types.ts";

const MAX_LOG_LINES = 200;
const MAX_LINE_CHARS = 2_000;
const MAX_ERROR_CHARS = 4_000;
const LEVELS = ["debug", "info", "log", "warn", "error"] as const;

/** One invocation's captured console output. */
export interface Capture {
  logs: LogLine[];
  /** The invocation's `ctx.waitUntil`, for the globals that reach it (`EdgeRuntime.waitUntil`). */
  waitUntil?: (promise: unknown) => void;
}

/** Runs code with its invocation's capture as the current one, across awaits and callbacks. */
export interface CaptureStore {
  getStore(): Capture | undefined;
  run<T>(store: Capture, fn: () => T): T;
}

const inspect = Deno.inspect;

/**
 * Which invocation the running code belongs to, across awaits, timers and callbacks, so console
 * output lands in its own request's log. Deno's own async-context variable (what its
 * `AsyncLocalStorage` is built on) is taken before the globals are neutered; it costs ~1 µs per
 * request and spares each Worker the Node compatibility layer that `node:async_hooks` loads.
 * If it is missing, `AsyncLocalStorage` is used instead.
 */
export function captureStore(): CaptureStore {
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

function format(args: unknown[], words: (text: string) => string): string {
  let line = "";
  for (let i = 0; i < args.length && line.length < MAX_LINE_CHARS; i++) {
    const arg = args[i];
    let text: string;
    try {
      text = typeof arg === "string" ? arg : inspect(arg, { depth: 4, colors: false });
      // An error's frames name the user's file; the user's own strings are kept as written.
      if (arg instanceof Error) text = words(text);
    } catch {
      text = "[uninspectable]";
    }
    line += (i > 0 ? " " : "") + text;
  }
  return line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) + "…" : line;
}

/**
 * Sends `console.*` and `process.stdout` / `stderr` writes to the current invocation's log;
 * errors logged are rewritten by `words` (see `_words.ts`).
 */
export function captureConsole(
  capture: CaptureStore,
  words: (text: string) => string = (text) => text,
): void {
  const con = console as unknown as Record<string, unknown>;
  const record = (level: LogLine["level"]) => (...args: unknown[]) => {
    const cap = capture.getStore();
    if (!cap || cap.logs.length >= MAX_LOG_LINES) return;
    cap.logs.push({ level, message: format(args, words), at: Date.now() });
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
        log(typeof chunk === "string" ? chunk.replace(/\n$/, "") : format([chunk], words));
        const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        if (done) queueMicrotask(done);
        return true;
      };
    } catch { /* best effort: the pipes are discarded or bounded anyway */ }
  }
}

/** An error as text (its stack when it has one), bounded. */
export function errorText(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  } catch {
    text = "Unprintable error";
  }
  return text.slice(0, MAX_ERROR_CHARS);
}

/** A fault the loader found in the script: reported as itself, without the loader's stack. */
export class ScriptFault extends Error {}
