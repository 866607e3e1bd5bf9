/**
 * @module One executor child process per app: spawn, its Unix socket (Workers started and
 * stopped), each Worker's own link (a loopback connection that presents a token, carrying that
 * Worker's requests), limits at all times, freeze when quiet, kill and death classification.
 */

import { type Frame, FrameWriter, readFrames } from "./_frames.ts";
import { CHUNK_BYTES, INLINE_BYTES, KIND_CALL, KIND_CONTROL, PREFIX_BYTES } from "./_protocol.ts";
import { UsageMeter } from "./_usage.ts";
import { childCommand } from "./_command.ts";
import { drainStderr, exitDeath, spawnConnected } from "./_spawn.ts";
import { type Death, type InvocationSink, invokeHeader } from "./_invocation.ts";
import { prepareDenoDir, removeDenoDir } from "./_deno_dir.ts";
import { readRssMb } from "./_proc.ts";
import { type BackgroundPolicy, DEFAULT_BACKGROUND_POLICY } from "./_background.ts";
import { ExecutorWatch } from "./_watch.ts";
import type { InvokeMessage } from "./_protocol.ts";
import type { JobKind } from "./types.ts";
import { RecentMap } from "../common/recent_map.ts";

const SOCKET_CLOSE_GRACE_MS = 2_000;
/** A Worker's link must present its token this soon after connecting. */
const LINK_HELLO_MS = 2_000;
/** Link handshakes under way at once; a further connection ends the oldest (see `#link`). */
const LINK_HANDSHAKES_MAX = 64;
/** What a request for a Worker whose link ended is answered. */
const WORKER_ENDED = "The script's Worker ended";

/** Reads exactly `n` bytes (throws if the connection ends first). */
async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array<ArrayBuffer>> {
  const buf = new Uint8Array(n);
  for (let at = 0; at < n;) {
    const got = await conn.read(buf.subarray(at));
    if (got === null) throw new Error("connection ended");
    at += got;
  }
  return buf;
}

/** Options for one executor process. */
export interface ExecutorProcessOptions {
  appId: string;
  /** What it runs; default `"app"`. */
  job?: JobKind;
  memoryLimitMb: number;
  /** Outbound hosts the process may hand to its Workers (the union of its scripts' `netAllow`). */
  netGrant: string[];
  socketDir: string;
  /**
   * Where the process's private Deno cache directory is made (removed when the process ends).
   * Pass the data directory's executor folder; defaults to `socketDir`.
   */
  stateDir?: string;
  /** Budget of work after the response (CPU with nothing of its own in flight). */
  background?: BackgroundPolicy;
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

interface Pending {
  w: number;
  sink: InvocationSink;
}

/** A live executor child process and its socket; user code runs only inside it. */
export class ExecutorProcess {
  /** The app it serves; a spare's placeholder until `adopt()` binds it. */
  appId: string;
  /** What it runs: the app's invocations or its deploy checks; a spare's is set by `adopt()`. */
  job: JobKind;
  /** RSS cap; may only be lowered, by `adopt()` (the heap cap stays what it was at spawn). */
  memoryLimitMb: number;
  readonly netGrant: ReadonlySet<string>;
  /** Set when replaced by a fresh executor: it finishes its in-flight work, then stops. */
  retiring = false;
  readonly startedAt = Date.now();
  pid = 0;
  lastUsedAt = Date.now();
  /** Settles once the process is reaped and every pipe and socket is closed. */
  readonly closed: Promise<void>;
  /** Worker ids by script fingerprint, in least-recently-used order. */
  readonly versions = new RecentMap<string, number>();

  #opts: ExecutorProcessOptions;
  #pending = new Map<number, Pending>();
  /**
   * Invocations answered while their `ctx.waitUntil` work runs: only their `done` (or the `ack`
   * of their cancel) is still read. Not in flight: that work is background, on its budget.
   */
  #tails = new Map<number, Pending>();
  #nextId = 1;
  #nextWorker = 1;
  #writer: FrameWriter | null = null;
  #ready: Promise<void>;
  #death: Death | null = null;
  #stderr = "";
  #child: Deno.ChildProcess | null = null;
  #watcher: ExecutorWatch | null = null;
  #denoDir = "";
  #usage: UsageMeter | null = null;
  #suspicion: Promise<void> | null = null;
  #started = false;
  /** Settles `closed`. */
  #lifecycle: () => void = () => {};
  /** Loopback listener the Workers connect to, each with its own token (see `#link`). */
  #linkListener: Deno.TcpListener | null = null;
  /** Worker ids by the token each was given and has not presented yet. */
  #linkTokens = new Map<string, number>();
  /** Link handshakes under way, oldest first: each one's `close`. */
  #handshakes = new Set<() => void>();
  /** Workers that could not start or whose link ended, with what their invocations are told. */
  #gone = new Map<number, string>();
  /** Each connected Worker's writer. */
  #links = new Map<number, FrameWriter>();
  /** Frames for Workers not connected yet, in order. */
  #linkQueue = new Map<number, [Record<string, unknown>, Uint8Array | null][]>();

  constructor(opts: ExecutorProcessOptions) {
    this.appId = opts.appId;
    this.job = opts.job ?? "app";
    this.memoryLimitMb = opts.memoryLimitMb;
    this.netGrant = new Set(opts.netGrant);
    this.#opts = opts;
    this.closed = new Promise((resolve) => this.#lifecycle = resolve);
    this.#ready = this.#start().then(() => {
      this.#started = true;
    }, (err) => {
      this.kill({
        outcome: { kind: "crashed", reason: `Executor failed to start: ${err}` },
        code: "executor_crashed",
      });
      throw err;
    });
    this.#ready.catch(() => {});
  }

  /**
   * Binds a spare executor (started before any app needed it) to `appId`'s `job` and lowers its RSS cap to
   * `memoryLimitMb`. Nothing of the app reached the child at spawn: it learns the app per `load`.
   */
  adopt(appId: string, memoryLimitMb: number, job: JobKind): void {
    this.appId = appId;
    this.job = job;
    this.memoryLimitMb = Math.min(this.memoryLimitMb, memoryLimitMb);
    this.lastUsedAt = Date.now();
    this.#watcher?.adopt(appId, this.memoryLimitMb);
  }

  /** Resolves when the child has connected; rejects if it could not start. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** True once `ready()` has resolved (the request path then need not wait for it). */
  get started(): boolean {
    return this.#started;
  }

  /** True once killed or exited; a dead executor is replaced, never reused. */
  get dead(): boolean {
    return this.#death !== null;
  }

  /** Invocations awaiting a reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** True while the process is stopped (SIGSTOP) because nothing ran in it for a while. */
  get frozen(): boolean {
    return this.#watcher?.frozen ?? false;
  }

  async #start(): Promise<void> {
    this.#denoDir = prepareDenoDir(this.#opts.stateDir ?? this.#opts.socketDir);
    const linkListener = this.#linkListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#acceptLinks(linkListener);
    const conn = await spawnConnected({
      socketDir: this.#opts.socketDir,
      command: (socketPath) =>
        childCommand({
          socketPath,
          memoryLimitMb: this.memoryLimitMb,
          netGrant: [...this.netGrant],
          appId: this.appId,
          job: this.job,
          denoDir: this.#denoDir,
          linkPort: linkListener.addr.port,
        }),
      onSpawn: (child) => {
        this.#child = child;
        this.pid = child.pid;
        this.#usage = new UsageMeter(this.pid);
        this.#watcher = new ExecutorWatch({
          appId: this.appId,
          pid: this.pid,
          child,
          memoryLimitMb: this.memoryLimitMb,
          background: this.#opts.background ?? DEFAULT_BACKGROUND_POLICY,
          pending: this.#pending,
          log: this.#opts.log,
          kill: (death) => this.kill(death),
        });
        this.#watch(child);
      },
      stderrTail: () => this.#stderr,
    });
    if (this.#death) {
      conn.close();
      return;
    }
    this.#writer = new FrameWriter(conn);
    this.#read(conn);
    this.#watcher!.wake();
  }

  async #watch(child: Deno.ChildProcess): Promise<void> {
    const drainErr = drainStderr(child, (tail) => this.#stderr = tail);
    const status = await child.status;
    await drainErr.catch(() => {});
    this.#watcher?.stop();
    // Whatever Deno cached for this process goes with it (the app's deletion stops it, too).
    if (this.#denoDir) await removeDenoDir(this.#denoDir);
    if (!this.#death) {
      const death = exitDeath(status, this.#stderr, {
        memoryLimitMb: this.memoryLimitMb,
        peakRssMb: this.#watcher?.peakRssMb ?? 0,
      });
      this.#opts.log(death.code === "memory_limit" ? "warn" : "error", "Executor exited", {
        appId: this.appId,
        pid: this.pid,
        code: status.code,
        signal: status.signal,
        stderr: this.#stderr.slice(-1_000),
      });
      this.kill(death);
    }
    this.#lifecycle();
  }

  async #read(conn: Deno.UnixConn): Promise<void> {
    const crashed: Death = {
      outcome: { kind: "crashed", reason: "Executor socket closed" },
      code: "executor_crashed",
    };
    try {
      // The child sends bodies in chunks, and whole bodies only when small: the trusted process
      // never buffers a large frame.
      const limits = { maxBodyBytes: () => Math.max(CHUNK_BYTES, INLINE_BYTES) };
      await readFrames(conn, (frame) => this.#onFrame(frame), limits, () => this.#usage?.batch());
    } catch (err) {
      this.#opts.log("error", "Executor protocol violation", {
        appId: this.appId,
        error: String(err),
      });
      this.kill(crashed);
    } finally {
      await this.#writer?.close();
      try {
        conn.close();
      } catch { /* already closed */ }
      // Usually the process is exiting: let #watch classify the death (OOM or crash) from stderr first.
      const grace = setTimeout(() => this.kill(crashed), SOCKET_CLOSE_GRACE_MS);
      this.closed.then(() => clearTimeout(grace));
    }
  }

  async #acceptLinks(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of listener) this.#link(conn);
    } catch { /* closed */ }
  }

  /**
   * A Worker's own connection (its link): its first frame must be the `hello` with the token its
   * Worker was given at load, within LINK_HELLO_MS; anything else is closed unheard. From then on
   * everything on it is that Worker's: its frames are stamped with its id, whatever they say.
   */
  async #link(conn: Deno.TcpConn): Promise<void> {
    const close = () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    if (this.#death) return close();
    // A flood of connections that never say hello ends the oldest of them, never a new one: a
    // Worker's hello follows its connect at once, so the port cannot be held shut against it.
    if (this.#handshakes.size >= LINK_HANDSHAKES_MAX) {
      const [oldest] = this.#handshakes;
      this.#handshakes.delete(oldest);
      oldest();
    }
    this.#handshakes.add(close);
    const timer = setTimeout(close, LINK_HELLO_MS);
    let w: number | undefined;
    try {
      w = await this.#hello(conn);
    } catch { /* closed, or not a hello */ }
    clearTimeout(timer);
    this.#handshakes.delete(close);
    if (w === undefined || this.#death) return close();
    conn.setNoDelay(true);
    const writer = new FrameWriter(conn);
    this.#links.set(w, writer);
    for (const [header, body] of this.#linkQueue.get(w) ?? []) {
      writer.send(header, body, w, KIND_CALL);
    }
    this.#linkQueue.delete(w);
    const limits = { maxBodyBytes: () => Math.max(CHUNK_BYTES, INLINE_BYTES) };
    try {
      await readFrames(
        conn,
        (frame) => this.#onFrame({ ...frame, w: w!, kind: KIND_CALL }),
        limits,
        () => this.#usage?.batch(),
      );
    } catch (err) {
      this.#opts.log("error", "Worker link protocol violation; link closed", {
        appId: this.appId,
        error: String(err),
      });
    }
    if (this.#links.get(w) === writer) this.#links.delete(w);
    // Unloaded, its id is never used again; still loaded, what is sent to it is answered here.
    if ([...this.versions.values()].includes(w)) this.#gone.set(w, WORKER_ENDED);
    await writer.close();
    close();
  }

  /** Reads a link's first frame; the Worker id its token was given to, or throws. */
  async #hello(conn: Deno.TcpConn): Promise<number> {
    const prefix = await readExactly(conn, PREFIX_BYTES);
    const view = new DataView(prefix.buffer);
    const headerLength = view.getUint32(0);
    if (headerLength > 512 || view.getUint32(4) !== 0) throw new Error("not a hello");
    const header = JSON.parse(new TextDecoder().decode(await readExactly(conn, headerLength)));
    const w = typeof header?.token === "string" && header.t === "hello"
      ? this.#linkTokens.get(header.token)
      : undefined;
    if (w === undefined) throw new Error("unknown token");
    this.#linkTokens.delete(header.token);
    return w;
  }

  /**
   * What the child would have answered for a Worker that is not there (it could not be started,
   * or it ended): an invocation fails at once, a cancel is acknowledged, the rest is dropped.
   */
  #answerForGone(header: Record<string, unknown>, w: number, message: string): void {
    const id = header.id;
    if (typeof id !== "number") return;
    const reply = header.t === "invoke"
      ? { t: "fail", id, code: "script_error", message, logs: [], producedBytes: 0 }
      : header.t === "cancel"
      ? { t: "ack", id }
      : null;
    if (reply) {
      queueMicrotask(() => this.#onFrame({ header: reply, body: null, w, kind: KIND_CALL }));
    }
  }

  #onFrame({ header, body, w, kind }: Frame): void {
    const t = header.t;
    if (kind === KIND_CONTROL) {
      if (t === "broken") return this.#broken(w, String(header.message));
      // The child's own frames: which thread runs which Worker.
      if (t !== "thread") return;
      this.#usage?.announce(header.w, header.n);
      return this.#watcher?.onFrame(header);
    }
    // `w` is stamped by the child on everything a Worker sends.
    if (t === "bg") return this.#watcher?.onFrame({ t, w, pending: header.pending });
    const id = header.id;
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    // A Worker may only answer requests sent to it: no cross-version forgery.
    if (!pending || pending.w !== w) return this.#onTail(header, body, w);
    let cpuUs: number | null = null;
    // An `ack` (of a cancel) is final too: the Worker sends nothing more for that invocation.
    if (t === "result" || t === "end" || t === "fail" || t === "ack") {
      this.#pending.delete(id as number);
      cpuUs = this.#usage?.finish(id as number, pending.w) ?? null;
      this.#settled(pending.w);
      if (header.wait === true && t !== "ack") this.#tails.set(id as number, pending);
    } else if (t !== "head" && t !== "chunk" && t !== "credit") return;
    pending.sink.onFrame(header, body, cpuUs);
  }

  /** The last frame of an invocation answered before its `ctx.waitUntil` work settled. */
  #onTail(header: Record<string, unknown>, body: Uint8Array | null, w: number): void {
    const t = header.t;
    if (t !== "done" && t !== "ack") return;
    const tail = this.#tails.get(header.id as number);
    if (!tail || tail.w !== w) return;
    this.#tails.delete(header.id as number);
    tail.sink.onFrame(header, body, null);
  }

  /** The child could not start Worker `w`: what waits for it, and what comes later, fails. */
  #broken(w: number, message: string): void {
    this.#gone.set(w, message);
    for (const [header] of this.#unlinked(w)) this.#answerForGone(header, w, message);
  }

  /** Forgets Worker `w`'s unused token; returns the frames that were waiting for its link. */
  #unlinked(w: number): [Record<string, unknown>, Uint8Array | null][] {
    for (const [token, id] of this.#linkTokens) if (id === w) this.#linkTokens.delete(token);
    const queued = this.#linkQueue.get(w) ?? [];
    this.#linkQueue.delete(w);
    return queued;
  }

  /** Sends a script version's source once and returns its Worker id. */
  load(
    fingerprint: string,
    msg: {
      appId: string;
      appSlug: string;
      env: Record<string, string>;
      netAllow: string[];
      entry?: string;
    },
    source: string,
  ): number {
    const existing = this.versions.touch(fingerprint);
    if (existing !== undefined) return existing;
    const w = this.#nextWorker++;
    this.versions.set(fingerprint, w);
    this.#watcher?.label(w, fingerprint);
    this.#watcher?.wake();
    const link = crypto.randomUUID();
    this.#linkTokens.set(link, w);
    this.#write({ t: "load", ...msg, link }, new TextEncoder().encode(source), w, KIND_CONTROL);
    return w;
  }

  /** Tells the child to drop a Worker. */
  unload(fingerprint: string): void {
    const w = this.versions.get(fingerprint);
    if (w === undefined) return;
    this.versions.delete(fingerprint);
    this.#watcher?.wake();
    this.#usage?.forgetWorker(w);
    this.#write({ t: "unload" }, null, w, KIND_CONTROL);
    this.#unlinked(w);
    this.#gone.delete(w);
  }

  /** Whether Worker `w` has invocations in flight. */
  busy(w: number): boolean {
    for (const p of this.#pending.values()) if (p.w === w) return true;
    for (const p of this.#tails.values()) if (p.w === w) return true;
    return false;
  }

  /**
   * Starts one invocation; what the executor sends for it goes to `sink` (its death included).
   * Returns its id, for `send()` and `forget()`.
   */
  invoke(msg: Omit<InvokeMessage, "t" | "id">, sink: InvocationSink): number {
    const id = this.#nextId++;
    this.lastUsedAt = Date.now();
    if (this.#death) {
      const death = this.#death;
      queueMicrotask(() => sink.onDeath(death));
      return id;
    }
    this.#pending.set(id, { w: msg.w, sink });
    this.#usage?.start(id, msg.w);
    // A frozen process is resumed before its frame is written (the kernel buffers it meanwhile).
    this.#watcher?.invoked(msg.w);
    // A request body follows in `chunk` frames (`send()`), as the client sends it.
    this.#write(invokeHeader(id, msg), null, msg.w, KIND_CALL);
    return id;
  }

  /** Sends a frame of a running invocation (`chunk`, `end`, `abort`, `cancel`, `credit`). */
  send(id: number, w: number, header: { t: string } & Record<string, unknown>, body?: Uint8Array) {
    if (this.#death) return;
    this.#watcher?.wake();
    this.#write({ ...header, id }, body ?? null, w, KIND_CALL);
  }

  #write(header: Record<string, unknown>, body: Uint8Array | null, w: number, kind: number) {
    try {
      if (kind === KIND_CALL) {
        const link = this.#links.get(w);
        if (link) {
          try {
            return link.send(header, body, w, kind);
          } catch {
            // That Worker's link broke (it ended): the others and the process are unharmed.
            this.#links.delete(w);
            this.#gone.set(w, WORKER_ENDED);
            return this.#answerForGone(header, w, WORKER_ENDED);
          }
        }
        const gone = this.#gone.get(w);
        if (gone !== undefined) return this.#answerForGone(header, w, gone);
        let queue = this.#linkQueue.get(w);
        if (!queue) this.#linkQueue.set(w, queue = []);
        queue.push([header, body]);
        return;
      }
      this.#writer!.send(header, body, w, kind);
    } catch (err) {
      this.kill({
        outcome: { kind: "crashed", reason: `Executor socket failed: ${err}` },
        code: "executor_crashed",
      });
    }
  }

  /** Forgets an invocation (after a timeout or a limit answered it); later frames are ignored. */
  forget(id: number): void {
    this.#tails.delete(id);
    const pending = this.#pending.get(id);
    if (pending && this.#pending.delete(id)) {
      this.#usage?.finish(id, pending.w);
      this.#settled(pending.w);
    }
  }

  /** CPU time in ns the thread of Worker `w` has used so far, or -1 if unknown. */
  threadCpuNs(w: number): number {
    return this.#usage?.read(w) ?? -1;
  }

  /**
   * Set while a timed-out invocation's Worker has not acknowledged its cancel: the process may be
   * about to be killed, so new requests wait for the verdict instead of joining it.
   */
  get suspicion(): Promise<void> | null {
    return this.#suspicion;
  }

  /** Holds new requests until `verdict` settles (see `suspicion`). */
  suspect(verdict: Promise<void>): void {
    this.#suspicion = verdict;
    verdict.finally(() => {
      if (this.#suspicion === verdict) this.#suspicion = null;
    });
  }

  /** Resident memory of the process in MiB as last sampled while it ran (0 before any sample). */
  get lastRssMb(): number {
    return this.#watcher?.lastRssMb ?? 0;
  }

  #settled(w: number): void {
    this.lastUsedAt = Date.now();
    this.#watcher?.settled(w);
  }

  /** Resident set size of the child in MiB (0 once gone). */
  rssMb(): number {
    return readRssMb(this.pid);
  }

  /** SIGKILLs the child (only ever this process) and settles every pending invocation with `death`. */
  kill(death: Death): void {
    if (this.#death) return;
    this.#death = death;
    this.#watcher?.stop();
    try {
      this.#linkListener?.close();
    } catch { /* closed */ }
    this.#linkQueue.clear();
    this.#linkTokens.clear();
    try {
      this.#child?.kill("SIGKILL");
    } catch { /* already exited */ }
    const pending = [...this.#pending.values(), ...this.#tails.values()];
    this.#pending.clear();
    this.#tails.clear();
    this.#usage?.close();
    for (const p of pending) p.sink.onDeath(death);
    if (!this.#child) {
      if (this.#denoDir) removeDenoDir(this.#denoDir).finally(() => this.#lifecycle());
      else this.#lifecycle();
    }
  }
}
