/**
 * @module Executor child process: starts and stops permission-locked loader Workers as the
 * supervisor's Unix socket tells it; each Worker then carries its requests over its own link
 * (a loopback connection to the supervisor, opened with a token before any script code runs).
 */

import { type Frame, FrameWriter, readFrames } from "./_frames.ts";
import { KIND_CONTROL, type LoadMessage } from "./_protocol.ts";

/**
 * A used spare loader is replaced once every new Worker has answered its first request (checked
 * this often): creating a Worker takes ~15 ms of CPU, which would otherwise compete with the new
 * script's first import and request.
 */
const SPARE_WAIT_MS = 10;

type Permissions = { net: string[] } & Record<string, boolean | string[]>;

interface Options {
  socket: string;
  compiled: boolean;
  /** The supervisor's loopback port each Worker connects to (its link). */
  linkPort: number;
}

function parseArgs(args: string[]): Options {
  const at = args.indexOf("--socket");
  const socket = at >= 0 ? args[at + 1] : undefined;
  if (!socket) throw new Error("Usage: child.ts --socket <path>");
  const port = args.indexOf("--link-port");
  const linkPort = port >= 0 ? Number(args[port + 1]) : 0;
  if (!Number.isInteger(linkPort) || linkPort < 1 || linkPort > 65535) {
    throw new Error("Usage: child.ts --socket <path> --link-port <port>");
  }
  return {
    socket,
    compiled: args.includes("--compiled"),
    linkPort,
  };
}

/** A Worker's permissions: its link to the supervisor and its script's outbound hosts, no more. */
function permissionsFor(netAllow: string[], linkPort: number): Permissions {
  // Every key explicit: an omitted key would inherit the child's permissions.
  return {
    net: [`127.0.0.1:${linkPort}`, ...netAllow],
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
 * (Workers load the embedded loader) and net stays (every Worker's link, and the scripts'
 * outbound hosts): Deno cannot revoke "all but these", so each Worker's own permission list is
 * the net boundary there.
 */
async function dropPermissions(): Promise<void> {
  for (const name of ["run", "env", "ffi", "sys", "write"] as const) {
    await Deno.permissions.revoke({ name }).catch(() => {});
  }
}

/** Runs the executor child until the supervisor closes the socket. */
export async function runExecutorChild(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const loaderUrl = new URL("./loader.ts", import.meta.url);
  const conn = await Deno.connect({ transport: "unix", path: opts.socket });
  if (opts.compiled) await dropPermissions();
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
      deno: { permissions: permissionsFor(netAllow, opts.linkPort) },
    } as WorkerOptions);
    threadOf.set(worker, ++created);
    // An uncaught error in user code must not take the process down.
    worker.onerror = (e) => e.preventDefault();
    worker.onmessageerror = () => {};
    worker.onmessage = (e) => warmed(e.data);
    return worker;
  };
  /** A loader's warm-up that did not answer as it should is said on stderr (the supervisor keeps its tail). */
  const warmed = (data: { t?: string; status?: number; body?: string; error?: string }) => {
    if (data?.t !== "warm" || (data.status === 200 && data.body === "warm")) return;
    console.error(`Loader warm-up ended short of its response: ${JSON.stringify(data)}`);
  };
  const spawnSpare = (): Worker => {
    const worker = spawn([]);
    // Id 0: the platform's own warm-up, never charged to a script.
    announce(0, worker);
    return worker;
  };
  let spare: Worker | null = spawnSpare();
  let refill: ReturnType<typeof setTimeout> | undefined;
  /** Workers that have not answered yet (their first import and request are under way). */
  const starting = new Set<number>();
  const refillWhenStarted = () => {
    clearTimeout(refill);
    refill = setTimeout(() => {
      if (spare) return;
      if (starting.size > 0) return refillWhenStarted();
      spare = spawnSpare();
    }, SPARE_WAIT_MS);
  };
  const takeSpare = (): Worker => {
    const worker = spare ?? spawn([]);
    spare = null;
    refillWhenStarted();
    return worker;
  };

  const load = (w: number, msg: LoadMessage, body: Uint8Array | null) => {
    try {
      const worker = msg.netAllow.length === 0 ? takeSpare() : spawn(msg.netAllow);
      // A linked Worker tells the child only that it answered its first request, or could not link.
      worker.onmessage = (e) => {
        if (e.data === "answered") starting.delete(w);
        else if (e.data?.t === "broken") broken(w, String(e.data.message));
        else warmed(e.data);
      };
      workers.set(w, worker);
      starting.add(w);
      announce(w, worker);
      worker.postMessage({
        t: "load",
        source: new TextDecoder().decode(body ?? new Uint8Array()),
        env: msg.env,
        app: { id: msg.appId, slug: msg.appSlug },
        entry: msg.entry,
        link: { port: opts.linkPort, token: msg.link },
      });
    } catch (err) {
      broken(w, `Executor could not start the script's Worker: ${err}`);
    }
  };
  /** The supervisor holds a Worker's requests until it links: told this, it fails them instead. */
  const broken = (w: number, message: string) => {
    starting.delete(w);
    out.send({ t: "broken", w, message }, null, w, KIND_CONTROL);
  };
  /** The supervisor's frames: `load` and `unload` (requests go to each Worker's own link). */
  const control = ({ header, body, w }: Frame) => {
    if (header.t === "load") return load(w, header as unknown as LoadMessage, body);
    if (header.t === "unload") {
      workers.get(w)?.terminate();
      workers.delete(w);
      starting.delete(w);
    }
  };

  out.send({ t: "ready" }, null, 0, KIND_CONTROL);
  try {
    await readFrames(conn, control);
  } catch (err) {
    console.error("Executor child failed:", err);
    Deno.exit(1);
  } finally {
    // The supervisor is gone: nothing may outlive it, busy Workers included.
    Deno.exit(0);
  }
}

if (import.meta.main) await runExecutorChild(Deno.args);
