/** @module Executor child process: relays frames from the supervisor's Unix socket to permission-locked loader Workers. */

import { type Frame, FrameWriter, readFrames } from "./_frames.ts";
import type { LoadMessage, WorkerIn, WorkerOut } from "./_protocol.ts";

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
  const out = new FrameWriter(conn);
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

  /** Messages for each Worker gathered from one socket read, posted as one message. */
  const inbox = new Map<number, { msgs: WorkerIn[]; transfer: ArrayBuffer[] }>();
  const deliver = (w: number) => {
    const batch = inbox.get(w);
    if (!batch) return;
    inbox.delete(w);
    const worker = workers.get(w);
    if (!worker) return;
    try {
      worker.postMessage(batch.msgs, batch.transfer);
    } catch (err) {
      for (const m of batch.msgs) {
        if (m.t === "invoke") fail(m.id, w, `Executor could not deliver the request: ${err}`);
      }
    }
  };
  const queue = (w: number, msg: WorkerIn, body: Uint8Array | null) => {
    let batch = inbox.get(w);
    if (!batch) inbox.set(w, batch = { msgs: [], transfer: [] });
    if (body) {
      msg.body = body;
      // The frame reader copied the body out of its buffer: it is ours to hand over.
      batch.transfer.push(body.buffer as ArrayBuffer);
    }
    batch.msgs.push(msg);
  };
  const fail = (id: number, w: number, message: string) =>
    out.send({ t: "fail", id, w, code: "script_error", message, logs: [], producedBytes: 0 });

  /** Relays a Worker's batch of replies as frames (one socket write per turn for all of them). */
  const relay = (w: number, data: unknown) => {
    if (!Array.isArray(data)) return;
    for (const m of data as WorkerOut[]) {
      if (!m || typeof m !== "object" || typeof m.t !== "string") continue;
      try {
        const { body, ...rest } = m;
        const bytes = body instanceof Uint8Array ? body : null;
        if (rest.t === "result" || rest.t === "head") {
          const headers = Array.isArray(rest.headers) ? rest.headers.slice(0, MAX_HEADERS) : [];
          out.send({ ...rest, headers, w }, bytes);
        } else out.send({ ...rest, w }, bytes);
      } catch (err) {
        // An unencodable or oversized reply fails that invocation, never the process.
        if (typeof (m as { id?: unknown }).id !== "number") continue;
        const code = err instanceof RangeError ? "response_too_large" : "script_error";
        const message = `Executor could not relay the reply: ${err}`;
        const id = (m as { id: number }).id;
        out.send({ t: "fail", id, w, code, message, logs: [], producedBytes: 0 });
      }
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
  const handle = ({ header, body }: Frame) => {
    const w = header.w as number;
    switch (header.t) {
      case "invoke":
        if (!workers.has(w)) {
          return fail(header.id as number, w, broken.get(w) ?? "Script version is not loaded");
        }
        return queue(w, header as unknown as WorkerIn, body);
      case "chunk":
      case "end":
      case "abort":
      case "cancel":
      case "credit":
        if (workers.has(w)) queue(w, header as unknown as WorkerIn, body);
        else if (header.t === "cancel") out.send({ t: "ack", id: header.id, w });
        return;
      case "load":
        // Messages already gathered for other Workers keep their order relative to this one.
        return load(header as unknown as LoadMessage, body);
      case "unload":
        deliver(w);
        workers.get(w)?.terminate();
        workers.delete(w);
        broken.delete(w);
        return;
    }
  };
  const flushInbox = () => {
    for (const w of [...inbox.keys()]) deliver(w);
  };

  out.send({ t: "ready" });
  try {
    await readFrames(conn, handle, {}, flushInbox);
  } catch (err) {
    console.error("Executor child failed:", err);
    Deno.exit(1);
  } finally {
    // The supervisor is gone: nothing may outlive it, busy Workers included.
    Deno.exit(0);
  }
}

if (import.meta.main) await runExecutorChild(Deno.args);
