/** @module Executor child process: relays frames from the supervisor's Unix socket to permission-locked loader Workers. */

import { type Frame, FrameWriter, readFrames } from "./_frames.ts";
import type { InvokeMessage, LoadMessage, WorkerReply } from "./_protocol.ts";

/** Delay before a used spare loader is replaced, so its spawn does not compete with the first import. */
const SPARE_REFILL_MS = 25;
const MAX_HEADERS = 1_000;

type Permissions = "none" | { net: string[] } & Record<string, boolean | string[]>;

interface Options {
  socket: string;
  compiled: boolean;
  noNet: boolean;
}

function parseArgs(args: string[]): Options {
  const at = args.indexOf("--socket");
  const socket = at >= 0 ? args[at + 1] : undefined;
  if (!socket) throw new Error("Usage: child.ts --socket <path>");
  return { socket, compiled: args.includes("--compiled"), noNet: args.includes("--no-net") };
}

function permissionsFor(netAllow: string[]): Permissions {
  if (netAllow.length === 0) return "none";
  // Every key explicit: an omitted key would inherit the child's permissions.
  return {
    net: netAllow,
    read: false,
    write: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/**
 * Drops what a compiled binary (built with -A) grants but the child does not need. Read stays
 * (Workers load the embedded loader) and net stays when scripts need outbound hosts: Deno cannot
 * revoke "all but these", so there each Worker's own permission list is the only net boundary.
 */
async function dropPermissions(noNet: boolean): Promise<void> {
  const names = ["run", "env", "ffi", "sys", "write", ...(noNet ? ["net"] as const : [])] as const;
  for (const name of names) await Deno.permissions.revoke({ name }).catch(() => {});
}

/** Runs the executor child until the supervisor closes the socket. */
export async function runExecutorChild(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const loaderUrl = new URL("./loader.ts", import.meta.url);
  const conn = await Deno.connect({ transport: "unix", path: opts.socket });
  if (opts.compiled) await dropPermissions(opts.noNet);
  const out = new FrameWriter(conn.writable);
  const workers = new Map<number, Worker>();

  // Deno names the OS thread of the n-th Worker of a process `worker-n`. Scripts cannot create
  // Workers, so counting ours tells the supervisor which thread runs which script (per-thread CPU).
  let created = 0;
  const threadOf = new WeakMap<Worker, number>();
  const announce = (w: number, worker: Worker) => {
    const n = threadOf.get(worker);
    if (n !== undefined) out.send({ t: "thread", w, n });
  };
  const spawn = (netAllow: string[]): Worker => {
    const worker = new Worker(loaderUrl, {
      type: "module",
      deno: { permissions: permissionsFor(netAllow) },
    } as WorkerOptions);
    threadOf.set(worker, ++created);
    // An uncaught error in user code must not take the process down.
    worker.onerror = (e) => e.preventDefault();
    worker.onmessageerror = () => {};
    return worker;
  };
  const spawnSpare = (): Worker => {
    const worker = spawn([]);
    // Id 0: the platform's own warm-up, never charged to a script.
    announce(0, worker);
    return worker;
  };
  let spare: Worker | null = spawnSpare();
  let refill: ReturnType<typeof setTimeout> | undefined;
  const takeSpare = (): Worker => {
    const worker = spare ?? spawn([]);
    spare = null;
    clearTimeout(refill);
    refill = setTimeout(() => spare ??= spawnSpare(), SPARE_REFILL_MS);
    return worker;
  };

  const relay = (w: number, data: WorkerReply | { t: "bg"; pending: unknown }) => {
    if (!data || typeof data !== "object") return;
    if (data.t === "bg") return out.send({ t: "bg", w, pending: data.pending === true });
    if (typeof data.id !== "number") return;
    try {
      forward(w, data);
    } catch (err) {
      // An unencodable or oversized reply fails that invocation, never the process.
      const code = err instanceof RangeError ? "response_too_large" : "script_error";
      const message = `Executor could not relay the reply: ${err}`;
      out.send({ t: "fail", id: data.id, w, code, message, logs: [], producedBytes: 0 });
    }
  };
  const forward = (w: number, data: WorkerReply) => {
    if (data.t === "result") {
      const { body, ...rest } = data;
      const headers = Array.isArray(rest.headers) ? rest.headers.slice(0, MAX_HEADERS) : [];
      const bytes = body instanceof ArrayBuffer ? new Uint8Array(body) : null;
      out.send({ ...rest, headers, w }, bytes);
    } else if (data.t === "fail") {
      out.send({ ...data, w });
    }
  };

  // Workers that could not be created: their invocations fail instead of hanging.
  const broken = new Map<number, string>();
  const load = (msg: LoadMessage, body: Uint8Array | null) => {
    try {
      const worker = msg.netAllow.length === 0 ? takeSpare() : spawn(msg.netAllow);
      worker.onmessage = (e) => relay(msg.w, e.data);
      workers.set(msg.w, worker);
      announce(msg.w, worker);
      worker.postMessage({
        t: "load",
        source: new TextDecoder().decode(body ?? new Uint8Array()),
        env: msg.env,
        app: { id: msg.appId, slug: msg.appSlug },
      });
    } catch (err) {
      broken.set(msg.w, `Executor could not start the script's Worker: ${err}`);
    }
  };
  const invoke = (msg: InvokeMessage, body: Uint8Array | null) => {
    const worker = workers.get(msg.w);
    const fail = (message: string) =>
      out.send({
        t: "fail",
        id: msg.id,
        w: msg.w,
        code: "script_error",
        message,
        logs: [],
        producedBytes: 0,
      });
    if (!worker) return fail(broken.get(msg.w) ?? "Script version is not loaded");
    const buffer = body ? body.buffer as ArrayBuffer : null;
    try {
      worker.postMessage({ ...msg, body: buffer }, buffer ? [buffer] : []);
    } catch (err) {
      fail(`Executor could not deliver the request: ${err}`);
    }
  };
  const handle = ({ header, body }: Frame) => {
    if (header.t === "load") load(header as unknown as LoadMessage, body);
    else if (header.t === "invoke") invoke(header as unknown as InvokeMessage, body);
    else if (header.t === "unload") {
      workers.get(header.w as number)?.terminate();
      workers.delete(header.w as number);
      broken.delete(header.w as number);
    }
  };

  out.send({ t: "ready" });
  try {
    for await (const frame of readFrames(conn.readable)) handle(frame);
  } catch (err) {
    console.error("Executor child failed:", err);
    Deno.exit(1);
  } finally {
    // The supervisor is gone: nothing may outlive it, busy Workers included.
    Deno.exit(0);
  }
}

if (import.meta.main) await runExecutorChild(Deno.args);
