/** @module One executor child process per app: spawn, Unix-socket framing, limits at all times, freeze when quiet, kill and death classification. */

import { type Frame, FrameWriter, readFrames } from "./_frames.ts";
import { childCommand } from "./_command.ts";
import { prepareDenoDir, removeDenoDir } from "./_deno_dir.ts";
import { readCpuNs, readRssMb } from "./_proc.ts";
import { type BackgroundPolicy, DEFAULT_BACKGROUND_POLICY } from "./_background.ts";
import { ExecutorWatch } from "./_watch.ts";
import type { FailMessage, InvokeMessage, ResultMessage } from "./_protocol.ts";
import type { Outcome } from "./types.ts";

const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_CLOSE_GRACE_MS = 2_000;
const QUIET_WINDOW_MS = 100;
/** At most this share of one core over the window counts as quiet. */
const QUIET_CPU_SHARE = 0.1;
const STDERR_KEEP_CHARS = 8_192;
const OOM_PATTERN = /out of memory|heap limit|allocation failed/i;

/** How an invocation that never got a reply ended, with the HTTP error code to answer. */
export interface Death {
  outcome: Outcome;
  code: "memory_limit" | "executor_restarted" | "executor_crashed";
}

/** What `invoke()` settles with. */
export type Reply =
  | { t: "result"; msg: ResultMessage; body: Uint8Array | null }
  | { t: "fail"; msg: FailMessage }
  | { t: "died"; death: Death };

/** Options for one executor process. */
export interface ExecutorProcessOptions {
  appId: string;
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
  resolve: (reply: Reply) => void;
}

/** A live executor child process and its socket; user code runs only inside it. */
export class ExecutorProcess {
  /** The app it serves; a spare's placeholder until `adopt()` binds it. */
  appId: string;
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
  readonly versions = new Map<string, number>();

  #opts: ExecutorProcessOptions;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #nextWorker = 1;
  #writer: FrameWriter | null = null;
  #ready: Promise<void>;
  #death: Death | null = null;
  #stderr = "";
  #child: Deno.ChildProcess | null = null;
  #watcher: ExecutorWatch | null = null;
  #denoDir = "";
  #maxBodyBytes = 0;
  /** Settles `closed`. */
  #lifecycle: () => void = () => {};

  constructor(opts: ExecutorProcessOptions) {
    this.appId = opts.appId;
    this.memoryLimitMb = opts.memoryLimitMb;
    this.netGrant = new Set(opts.netGrant);
    this.#opts = opts;
    this.closed = new Promise((resolve) => this.#lifecycle = resolve);
    this.#ready = this.#start().catch((err) => {
      this.kill({
        outcome: { kind: "crashed", reason: `Executor failed to start: ${err}` },
        code: "executor_crashed",
      });
      throw err;
    });
    this.#ready.catch(() => {});
  }

  /**
   * Binds a spare executor (started before any app needed it) to `appId` and lowers its RSS cap to
   * `memoryLimitMb`. Nothing of the app reached the child at spawn: it learns the app per `load`.
   */
  adopt(appId: string, memoryLimitMb: number): void {
    this.appId = appId;
    this.memoryLimitMb = Math.min(this.memoryLimitMb, memoryLimitMb);
    this.lastUsedAt = Date.now();
    this.#watcher?.adopt(appId, this.memoryLimitMb);
  }

  /** Resolves when the child has connected; rejects if it could not start. */
  ready(): Promise<void> {
    return this.#ready;
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
    const path = `${this.#opts.socketDir}/${crypto.randomUUID().slice(0, 12)}.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    let connTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.#denoDir = prepareDenoDir(this.#opts.stateDir ?? this.#opts.socketDir);
      const cmd = childCommand({
        socketPath: path,
        memoryLimitMb: this.memoryLimitMb,
        netGrant: [...this.netGrant],
        appId: this.appId,
        denoDir: this.#denoDir,
      });
      this.#child = new Deno.Command(cmd.execPath, {
        args: cmd.args,
        env: cmd.env,
        clearEnv: true,
        cwd: cmd.cwd,
        stdin: "null",
        // Nothing platform-side writes there; a script's writes must cost the trusted side nothing.
        stdout: "null",
        stderr: "piped",
      }).spawn();
      this.pid = this.#child.pid;
      this.#watcher = new ExecutorWatch({
        appId: this.appId,
        pid: this.pid,
        child: this.#child,
        memoryLimitMb: this.memoryLimitMb,
        background: this.#opts.background ?? DEFAULT_BACKGROUND_POLICY,
        pending: this.#pending,
        log: this.#opts.log,
        kill: (death) => this.kill(death),
      });
      this.#watch(this.#child);
      const timeout = new Promise<never>((_, reject) => {
        connTimer = setTimeout(
          () => reject(new Error("Executor did not connect in time")),
          CONNECT_TIMEOUT_MS,
        );
      });
      const exited = this.#child.status.then(() =>
        Promise.reject(new Error(`Executor exited early: ${this.#stderr.slice(-500)}`))
      );
      exited.catch(() => {});
      // Exactly one connection is accepted; the socket file is removed right after.
      const conn = await Promise.race([listener.accept(), timeout, exited]);
      if (this.#death) {
        conn.close();
        return;
      }
      this.#writer = new FrameWriter(conn.writable);
      this.#read(conn);
      this.#watcher.wake();
    } finally {
      clearTimeout(connTimer);
      listener.close();
      await Deno.remove(path).catch(() => {});
    }
  }

  async #watch(child: Deno.ChildProcess): Promise<void> {
    const drainErr = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(
          -STDERR_KEEP_CHARS,
        );
      }
    })();
    const status = await child.status;
    await drainErr.catch(() => {});
    this.#watcher?.stop();
    // Whatever Deno cached for this process goes with it (the app's deletion stops it, too).
    if (this.#denoDir) await removeDenoDir(this.#denoDir);
    if (!this.#death) {
      const oom = OOM_PATTERN.test(this.#stderr);
      this.#opts.log(oom ? "warn" : "error", "Executor exited", {
        appId: this.appId,
        pid: this.pid,
        code: status.code,
        signal: status.signal,
        stderr: this.#stderr.slice(-1_000),
      });
      this.kill(
        oom
          ? {
            outcome: {
              kind: "memory",
              limitMb: this.memoryLimitMb,
              usedMb: Math.max(this.#watcher?.peakRssMb ?? 0, this.memoryLimitMb),
            },
            code: "memory_limit",
          }
          : {
            outcome: {
              kind: "crashed",
              reason: `Executor exited (code ${status.code}, signal ${status.signal ?? "none"})`,
            },
            code: "executor_crashed",
          },
      );
    }
    this.#lifecycle();
  }

  async #read(conn: Deno.UnixConn): Promise<void> {
    const crashed: Death = {
      outcome: { kind: "crashed", reason: "Executor socket closed" },
      code: "executor_crashed",
    };
    try {
      // The trusted process never buffers more than the largest body it asked for.
      const limits = { maxBodyBytes: () => this.#maxBodyBytes };
      for await (const frame of readFrames(conn.readable, limits)) this.#onFrame(frame);
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

  #onFrame({ header, body }: Frame): void {
    const id = header.id;
    if (header.t === "thread" || header.t === "bg") return this.#watcher?.onFrame(header);
    if (header.t !== "result" && header.t !== "fail") return;
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    // A Worker may only answer requests sent to it: no cross-version forgery.
    if (!pending || pending.w !== header.w) return;
    this.#pending.delete(id as number);
    this.#settled(pending.w);
    if (header.t === "result") {
      pending.resolve({ t: "result", msg: header as unknown as ResultMessage, body });
    } else pending.resolve({ t: "fail", msg: header as unknown as FailMessage });
  }

  /** Sends a script version's source once and returns its Worker id. */
  load(
    fingerprint: string,
    msg: { appId: string; appSlug: string; env: Record<string, string>; netAllow: string[] },
    source: string,
  ): number {
    const existing = this.versions.get(fingerprint);
    if (existing !== undefined) {
      this.versions.delete(fingerprint);
      this.versions.set(fingerprint, existing);
      return existing;
    }
    const w = this.#nextWorker++;
    this.versions.set(fingerprint, w);
    this.#watcher?.label(w, fingerprint);
    this.#watcher?.wake();
    try {
      this.#writer?.send({ t: "load", w, ...msg }, new TextEncoder().encode(source));
    } catch (err) {
      this.kill({
        outcome: { kind: "crashed", reason: `Executor socket failed: ${err}` },
        code: "executor_crashed",
      });
    }
    return w;
  }

  /** Tells the child to drop a Worker. */
  unload(fingerprint: string): void {
    const w = this.versions.get(fingerprint);
    if (w === undefined) return;
    this.versions.delete(fingerprint);
    this.#watcher?.wake();
    this.#writer?.send({ t: "unload", w });
  }

  /** Whether Worker `w` has invocations in flight. */
  busy(w: number): boolean {
    for (const p of this.#pending.values()) if (p.w === w) return true;
    return false;
  }

  /** Runs one invocation; settles with the reply or with how the executor died. */
  invoke(
    msg: Omit<InvokeMessage, "t" | "id">,
    body: Uint8Array | null,
  ): { id: number; reply: Promise<Reply> } {
    const id = this.#nextId++;
    this.lastUsedAt = Date.now();
    if (this.#death) return { id, reply: Promise.resolve({ t: "died", death: this.#death }) };
    this.#maxBodyBytes = Math.max(this.#maxBodyBytes, msg.maxBodyBytes);
    const reply = new Promise<Reply>((resolve) => this.#pending.set(id, { w: msg.w, resolve }));
    // A frozen process is resumed before its frame is written (the kernel buffers it meanwhile).
    this.#watcher?.invoked(msg.w);
    try {
      this.#writer!.send({ t: "invoke", id, ...msg }, body);
    } catch (err) {
      this.kill({
        outcome: { kind: "crashed", reason: `Executor socket failed: ${err}` },
        code: "executor_crashed",
      });
    }
    return { id, reply };
  }

  /** Forgets an invocation (after a timeout answered it). */
  forget(id: number): void {
    const pending = this.#pending.get(id);
    if (pending && this.#pending.delete(id)) this.#settled(pending.w);
  }

  #settled(w: number): void {
    this.lastUsedAt = Date.now();
    this.#watcher?.settled(w);
  }

  /**
   * Whether the whole process used almost no CPU over a short window: then nothing in it is
   * spinning, and a timed-out invocation is merely waiting (no kill needed). Busy means kill.
   */
  async quiet(windowMs = QUIET_WINDOW_MS): Promise<boolean> {
    const before = readCpuNs(this.pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = readCpuNs(this.pid);
    if (before < 0 || after < 0 || this.#death) return false;
    return after - before <= windowMs * 1e6 * QUIET_CPU_SHARE;
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
      this.#child?.kill("SIGKILL");
    } catch { /* already exited */ }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.resolve({ t: "died", death });
    if (!this.#child) {
      if (this.#denoDir) removeDenoDir(this.#denoDir).finally(() => this.#lifecycle());
      else this.#lifecycle();
    }
  }
}
