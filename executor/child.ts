/** @module Executor child process: relays frames from the supervisor's Unix socket to permission-locked loader Workers. */

import { type Frame, FrameWriter, MAX_HEADER_BYTES, readFrames } from "./_frames.ts";
import {
  CHUNK_BYTES,
  concatBytes,
  decodeBatch,
  INLINE_BYTES,
  KIND_CALL,
  KIND_CONTROL,
  type LoadMessage,
  scanBatch,
} from "./_protocol.ts";

/** Delay before a used spare loader is replaced, so its spawn does not compete with the first import. */
/**
 * A used spare loader is replaced only once the child has been quiet this long (no frame in or
 * out) and every new Worker has answered once: creating a Worker blocks this thread for ~15 ms,
 * which would otherwise land on a request in flight (often the new script's first one).
 */
const SPARE_QUIET_MS = 10;
/** A Worker's frame carries a chunk or a whole small response at most. */
const MAX_REPLY_BODY_BYTES = Math.max(CHUNK_BYTES, INLINE_BYTES);

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
  const out = new FrameWriter(conn);
  const workers = new Map<number, Worker>();

  // Deno names the OS thread of the n-th Worker of a process `worker-n`. Scripts cannot create
  // Workers, so counting ours tells the supervisor which thread runs which script (per-thread CPU).
  let created = 0;
  const threadOf = new WeakMap<Worker, number>();
  const announce = (w: number, worker: Worker) => {
    const n = threadOf.get(worker);
    if (n !== undefined) out.send({ t: "thread", w, n }, null, 0, KIND_CONTROL);
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
  let lastActivity = performance.now();
  /** Workers that have not answered yet (their first import and request are under way). */
  const starting = new Set<number>();
  const refillWhenQuiet = () => {
    clearTimeout(refill);
    refill = setTimeout(() => {
      const quietFor = performance.now() - lastActivity;
      if (spare) return;
      if (quietFor < SPARE_QUIET_MS || starting.size > 0) return refillWhenQuiet();
      spare = spawnSpare();
    }, SPARE_QUIET_MS);
  };
  const takeSpare = (): Worker => {
    const worker = spare ?? spawn([]);
    spare = null;
    refillWhenQuiet();
    return worker;
  };

  /** Frames for each Worker gathered from one socket read, posted as one buffer. */
  const inbox = new Map<number, Uint8Array[]>();
  const deliver = (w: number) => {
    const frames = inbox.get(w);
    if (!frames) return;
    inbox.delete(w);
    const worker = workers.get(w);
    if (!worker) return;
    const batch = frames.length === 1 ? frames[0] : concatBytes(frames);
    try {
      // The frames were copied out of the read buffer: ours to hand over without another copy.
      worker.postMessage(batch, [batch.buffer as ArrayBuffer]);
    } catch (err) {
      for (const { header } of decodeBatch(batch)) {
        if (header.t === "invoke") {
          fail(header.id as number, w, `Executor could not deliver the request: ${err}`);
        }
      }
    }
  };
  const fail = (id: number, w: number, message: string) =>
    out.send({ t: "fail", id, code: "script_error", message, logs: [], producedBytes: 0 }, null, w);
  /** An invocation's frame, routed to its Worker unparsed. */
  const route = (bytes: Uint8Array, w: number) => {
    lastActivity = performance.now();
    if (workers.has(w)) {
      let frames = inbox.get(w);
      if (!frames) inbox.set(w, frames = []);
      frames.push(bytes);
      return;
    }
    // No such Worker: an invocation fails at once, a cancel is acknowledged, the rest is dropped.
    for (const { header } of decodeBatch(bytes)) {
      if (typeof header.id !== "number") continue;
      if (header.t === "invoke") {
        fail(header.id, w, broken.get(w) ?? "Script version is not loaded");
      } else if (header.t === "cancel") out.send({ t: "ack", id: header.id }, null, w);
    }
  };

  /**
   * Relays a Worker's batch of frames to the socket as they are, after checking that they are
   * whole frames of bounded size and stamping each with the Worker's id: whatever runs inside a
   * Worker can only ever speak for that Worker.
   */
  const relay = (w: number, data: unknown) => {
    lastActivity = performance.now();
    starting.delete(w);
    if (!(data instanceof Uint8Array)) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const whole = scanBatch(data, MAX_HEADER_BYTES, MAX_REPLY_BODY_BYTES, (offset) => {
      view.setUint32(offset + 8, w);
      view.setUint32(offset + 12, KIND_CALL);
    });
    if (!whole) {
      console.error(`Worker ${w} sent a malformed batch of ${data.byteLength} bytes; dropped`);
      return;
    }
    out.sendRaw(data);
  };

  // Workers that could not be created: their invocations fail instead of hanging.
  const broken = new Map<number, string>();
  const load = (w: number, msg: LoadMessage, body: Uint8Array | null) => {
    try {
      const worker = msg.netAllow.length === 0 ? takeSpare() : spawn(msg.netAllow);
      worker.onmessage = (e) => relay(w, e.data);
      workers.set(w, worker);
      starting.add(w);
      announce(w, worker);
      worker.postMessage({
        t: "load",
        source: new TextDecoder().decode(body ?? new Uint8Array()),
        env: msg.env,
        app: { id: msg.appId, slug: msg.appSlug },
        entry: msg.entry,
      });
    } catch (err) {
      broken.set(w, `Executor could not start the script's Worker: ${err}`);
    }
  };
  /** Frames for the child itself: `load` and `unload`. */
  const control = ({ header, body, w }: Frame) => {
    if (header.t === "load") {
      // Frames already gathered for other Workers keep their order relative to this one.
      return load(w, header as unknown as LoadMessage, body);
    }
    if (header.t === "unload") {
      deliver(w);
      workers.get(w)?.terminate();
      workers.delete(w);
      broken.delete(w);
      starting.delete(w);
    }
  };
  const flushInbox = () => {
    for (const w of [...inbox.keys()]) deliver(w);
  };

  out.send({ t: "ready" }, null, 0, KIND_CONTROL);
  try {
    await readFrames(conn, control, {
      raw: (_w, kind) => kind === KIND_CALL,
      onRaw: route,
    }, flushInbox);
  } catch (err) {
    console.error("Executor child failed:", err);
    Deno.exit(1);
  } finally {
    // The supervisor is gone: nothing may outlive it, busy Workers included.
    Deno.exit(0);
  }
}

if (import.meta.main) await runExecutorChild(Deno.args);
