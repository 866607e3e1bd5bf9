/** @module The executor pool: one executor process per app, capped (busy ones never evicted, the rest wait in a bounded queue), idle-stopped, with limits enforced here. */

import { type ErrorCode, errorResponse } from "./_errors.ts";
import { isHost } from "./_command.ts";
import { CHECK_PREFIX, Fleet } from "./_fleet.ts";
import { Call } from "./_call.ts";
import type { ExecutorProcess } from "./supervisor.ts";
import { diagnosticsOf } from "./_diagnostics.ts";
import { reapOrphanedExecutors } from "./_orphans.ts";
import type { BackgroundPolicy } from "./_background.ts";
import type {
  CheckInput,
  Completion,
  Diagnostic,
  ExecutorPool,
  ExecutorStats,
  Invocation,
  InvokeOptions,
  Outcome,
  ScheduledEvent,
  ScriptRef,
} from "./types.ts";

/** Pool options; units are in the names. */
export interface ExecutorPoolOptions {
  /** Stop an app's executor after this long unused (scale to zero). Default 300_000. */
  idleMs?: number;
  /**
   * Most live executor processes. When all are taken, the idle one unused for longest is stopped;
   * executors that are starting, reserved or running a request are never stopped for room.
   * Default 16.
   */
  maxExecutors?: number;
  /** Most requests waiting for an executor slot when none is free. Default 16 × maxExecutors. */
  maxQueue?: number;
  /** Longest wait for a slot (the request's own timeout, if shorter, wins). Default 5_000. */
  queueTimeoutMs?: number;
  /**
   * An executor's turn on its slot: within it, it is never evicted for another app; past it, while
   * other apps wait, its app's new requests queue and it is evicted once drained, so apps sharing
   * slots take turns instead of swapping on every request or starving. Default 1_000.
   */
  minResidencyMs?: number;
  /** Private directory for the Unix sockets; created with mode 0o700. */
  socketDir: string;
  /** Where each executor's private Deno cache directory goes (under the data dir). Default socketDir. */
  stateDir?: string;
  /** Work after the response each executor may do. Default `DEFAULT_BACKGROUND_POLICY`. */
  background?: BackgroundPolicy;
  /**
   * Keep one executor started ahead of need, frozen (0 CPU, ~30–40 MB RSS), for the next new app
   * whose scripts fit it (no outbound hosts, memory limit ≤ `spareMemoryLimitMb`): its first
   * request then skips the process start. Armed after the first executor starts and again after
   * each use, only while below `maxExecutors`, which it does not count against. Default true;
   * always off with `maxExecutors` ≤ 1.
   */
  spareExecutor?: boolean;
  /** Memory limit the spare is started with: the platform's default script limit. Default 512. */
  spareMemoryLimitMb?: number;
  /** Delay between an app's executor connecting and a new spare being started. Default 50. */
  spareDelayMs?: number;
  /** Most script versions kept warm per executor. Default 8. */
  maxVersionsPerExecutor?: number;
  /** Structured log sink. Default: none. */
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

type Log = NonNullable<ExecutorPoolOptions["log"]>;
/** What to run: a request, a scheduled event, or a deploy-time check of a module. */
type Input =
  | { kind: "fetch"; req: Request; signal?: () => AbortSignal }
  | { kind: "scheduled"; event: ScheduledEvent }
  | { kind: "check" };
/** Deadlines are checked this often while anything is in flight (no timer when idle). */
const SWEEP_MS = 25;

/** Creates the pool; no process is spawned until the first invocation. */
export function createExecutorPool(options: ExecutorPoolOptions): ExecutorPool {
  return new Pool(options);
}

class Pool implements ExecutorPool {
  #maxVersions: number;
  #log: Log;
  #fleet: Fleet;
  #inFlightByVersion = new Map<string, number>();
  #fingerprints = new WeakMap<
    Record<string, string>,
    { versionId: string; netAllow: string[]; fingerprint: string }
  >();
  #closed = false;
  /** Calls in flight, for the deadline sweep. */
  #calls = new Set<Call>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #checkQueues = new Map<string, Promise<void>>();

  constructor(options: ExecutorPoolOptions) {
    this.#maxVersions = options.maxVersionsPerExecutor ?? 8;
    const socketDir = options.socketDir;
    // Unix socket paths are limited to 108 bytes; each socket adds a 17-byte file name.
    if (new TextEncoder().encode(socketDir).byteLength > 90) {
      throw new RangeError("socketDir is too long for Unix socket paths (max 90 bytes)");
    }
    this.#log = options.log ?? (() => {});
    Deno.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(socketDir, 0o700);
    if (options.stateDir) {
      const reaped = reapOrphanedExecutors(options.stateDir);
      if (reaped.killed.length > 0) {
        this.#log("warn", "Ended executors left by a previous PiCloud process", {
          pids: reaped.killed,
        });
      }
    }
    const maxExecutors = options.maxExecutors ?? 16;
    this.#fleet = new Fleet({
      idleMs: options.idleMs ?? 300_000,
      maxExecutors,
      maxQueue: options.maxQueue ?? 16 * maxExecutors,
      queueTimeoutMs: options.queueTimeoutMs ?? 5_000,
      minResidencyMs: options.minResidencyMs ?? 1_000,
      socketDir,
      stateDir: options.stateDir,
      background: options.background,
      spare: (options.spareExecutor ?? true) && maxExecutors > 1
        ? {
          memoryLimitMb: options.spareMemoryLimitMb ?? 512,
          delayMs: options.spareDelayMs ?? 50,
        }
        : undefined,
      log: this.#log,
    });
  }

  fetch(
    script: ScriptRef,
    req: Request,
    opts: InvokeOptions & { signal?: () => AbortSignal },
  ): Promise<Invocation> {
    return this.#run(script, opts, { kind: "fetch", req, signal: opts.signal });
  }

  scheduled(script: ScriptRef, event: ScheduledEvent, opts: InvokeOptions): Promise<Invocation> {
    return this.#run(script, opts, { kind: "scheduled", event });
  }

  async check(input: CheckInput): Promise<Diagnostic[]> {
    // One check at a time per app: concurrent loads would add up against the memory cap and
    // one bad module's kill would fail its neighbours' checks.
    const key = CHECK_PREFIX + input.appId;
    const previous = this.#checkQueues.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => release = resolve);
    const tail = previous.then(() => mine);
    this.#checkQueues.set(key, tail);
    await previous;
    try {
      return await this.#checkNow(input);
    } finally {
      release();
      if (this.#checkQueues.get(key) === tail) this.#checkQueues.delete(key);
    }
  }

  async #checkNow(input: CheckInput): Promise<Diagnostic[]> {
    const script: ScriptRef = {
      appId: CHECK_PREFIX + input.appId,
      appSlug: "check",
      scriptId: "check",
      versionId: CHECK_PREFIX + crypto.randomUUID(),
      source: input.source,
      env: {},
      limits: {
        timeoutMs: input.timeoutMs,
        memoryLimitMb: input.memoryLimitMb,
        maxBodyBytes: 1024,
        maxConcurrency: 1,
      },
      netAllow: [],
    };
    const inv = await this.#run(script, {
      params: {},
      requestId: script.versionId,
      remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 0 },
      trigger: "execute",
    }, { kind: "check" });
    await inv.response.body?.cancel();
    return diagnosticsOf(inv.outcome);
  }

  /** Safety net: a platform bug must become a 502 with a log line, never a rejected promise. */
  async #run(script: ScriptRef, opts: InvokeOptions, input: Input): Promise<Invocation> {
    const start = performance.now();
    try {
      return await this.#attempt(script, opts, input, start);
    } catch (err) {
      this.#log("error", "Invocation failed in the platform", {
        appId: script.appId,
        error: String(err),
      });
      return this.#fail(start, { kind: "crashed", reason: `Platform error: ${err}` }, opts);
    }
  }

  async #attempt(
    script: ScriptRef,
    opts: InvokeOptions,
    input: Input,
    start: number,
  ): Promise<Invocation> {
    const { maxConcurrency, timeoutMs, maxBodyBytes } = script.limits;
    const inFlight = this.#inFlightByVersion.get(script.versionId) ?? 0;
    const req = input.kind === "fetch" ? input.req : null;
    const body = req && req.method !== "GET" && req.method !== "HEAD" ? req.body : null;
    const refuse = (outcome: Outcome, code?: ErrorCode) => {
      body?.cancel().catch(() => {});
      return this.#fail(start, outcome, opts, code);
    };
    if (inFlight >= maxConcurrency) {
      return refuse({ kind: "concurrency", limit: maxConcurrency, inFlight });
    }
    if (this.#closed) return refuse(...this.#closedOutcome());
    // A declared length over the limit is refused before anything is read or started.
    const declared = Number(req?.headers.get("content-length") ?? "NaN");
    if (declared > maxBodyBytes) {
      return refuse({ kind: "body_too_large", limitBytes: maxBodyBytes, receivedBytes: declared });
    }
    this.#inFlightByVersion.set(script.versionId, inFlight + 1);
    // Reserved from the moment it is chosen until the invocation completes: never evicted meanwhile.
    let held: ExecutorProcess | undefined;
    let checked: string | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // A checked source is never run again: its Worker goes at once.
      if (checked && held && !held.dead) held.unload(checked);
      const left = (this.#inFlightByVersion.get(script.versionId) ?? 1) - 1;
      if (left > 0) this.#inFlightByVersion.set(script.versionId, left);
      else this.#inFlightByVersion.delete(script.versionId);
      if (held) {
        if (held.dead) this.#fleet.drop(held);
        this.#fleet.release(held);
      }
    };
    try {
      const got = await this.#fleet.acquire(script);
      if ("refused" in got) {
        release();
        if (got.refused === "closed") return refuse(...this.#closedOutcome());
        return refuse({
          kind: "capacity",
          reason: got.refused,
          maxExecutors: this.#fleet.maxExecutors,
          maxQueue: this.#fleet.maxQueue,
          queueLength: got.queueLength,
          waitedMs: got.waitedMs,
        });
      }
      const ex = held = got;
      try {
        await ex.ready();
      } catch (err) {
        release();
        return refuse({ kind: "crashed", reason: `Executor failed to start: ${err}` });
      }
      if (ex.suspicion) {
        // A timed-out request's Worker there has not answered yet: wait for the verdict, and
        // start over on a fresh executor if it was killed.
        await ex.suspicion;
        if (ex.dead) {
          release();
          return await this.#attempt(script, opts, input, start);
        }
      }
      const fingerprint = this.#fingerprintOf(script);
      const w = this.#loadVersion(ex, script, fingerprint);
      if (input.kind === "check") checked = fingerprint;
      const call = new Call({
        ex,
        msg: {
          w,
          kind: input.kind,
          method: req?.method ?? "",
          url: req?.url ?? "",
          headers: req ? [...req.headers] : [],
          params: opts.params,
          requestId: opts.requestId,
          remoteAddr: opts.remoteAddr,
          maxBodyBytes,
          ...(input.kind === "scheduled" ? input.event : {}),
        },
        body,
        timeoutMs,
        maxBodyBytes,
        requestId: opts.requestId,
        start,
        signal: input.kind === "fetch" ? input.signal : undefined,
        kill: (reason) => this.#killFor(ex, script, opts.requestId, reason),
        log: this.#log,
      });
      call.completed.then(release, release);
      this.#track(call);
      call.begin();
      return await call.head;
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * terminate() cannot stop a busy loop: only killing the process can. That process's requests
   * in flight get executor_restarted; other apps' executors are untouched.
   */
  #killFor(ex: ExecutorProcess, script: ScriptRef, requestId: string, reason: string): void {
    if (ex.dead) return;
    this.#log("warn", "Executor killed: a timed-out request's script was stuck", {
      appId: script.appId,
      versionId: script.versionId,
      requestId,
      reason,
      inFlight: ex.inFlight,
    });
    ex.kill({
      outcome: { kind: "crashed", reason: `Executor restarted: ${reason}` },
      code: "executor_restarted",
    });
    this.#fleet.drop(ex);
  }

  /** Watches the deadlines of calls in flight with one timer, only while there are any. */
  #track(call: Call): void {
    this.#calls.add(call);
    this.#sweep ??= setInterval(() => {
      const now = performance.now();
      for (const c of this.#calls) {
        if (!c.finished && now >= c.deadline) c.expire(now);
        else c.watchClient(now);
        if (c.finished) this.#calls.delete(c);
      }
      if (this.#calls.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, SWEEP_MS);
  }

  #fail(start: number, outcome: Outcome, opts: InvokeOptions, code?: ErrorCode): Invocation {
    const completion: Completion = {
      outcome,
      logs: [],
      durationMs: Math.round(performance.now() - start),
      cpuMs: null,
      memoryMb: outcome.kind === "memory" ? Math.round(outcome.usedMb) : null,
    };
    return {
      ...completion,
      response: errorResponse(outcome, opts.requestId, code),
      completed: Promise.resolve(completion),
    };
  }

  #closedOutcome(): [Outcome, ErrorCode] {
    return [{ kind: "crashed", reason: "Executor pool is closed" }, "executor_restarted"];
  }

  #loadVersion(ex: ExecutorProcess, script: ScriptRef, fingerprint: string): number {
    const w = ex.load(fingerprint, {
      appId: script.appId,
      appSlug: script.appSlug,
      env: script.env,
      netAllow: script.netAllow.filter(isHost),
    }, script.source);
    // Least recently used first; only Workers with nothing in flight are dropped.
    for (const [fp, wid] of ex.versions) {
      if (ex.versions.size <= this.#maxVersions) break;
      if (wid !== w && !ex.busy(wid)) ex.unload(fp);
    }
    return w;
  }

  /**
   * A loaded Worker is reused only for the same version, vars and outbound hosts. Serialising the
   * vars costs time proportional to their size, so it happens once per vars object (the routing
   * snapshot hands the same object to every request of a script), not once per request.
   */
  #fingerprintOf(script: ScriptRef): string {
    const memo = this.#fingerprints.get(script.env);
    if (
      memo && memo.versionId === script.versionId &&
      (memo.netAllow === script.netAllow ||
        (memo.netAllow.length === 0 && script.netAllow.length === 0))
    ) return memo.fingerprint;
    const fingerprint = `${script.versionId}\0${JSON.stringify([script.env, script.netAllow])}`;
    this.#fingerprints.set(script.env, {
      versionId: script.versionId,
      netAllow: script.netAllow,
      fingerprint,
    });
    return fingerprint;
  }

  stopApp(appId: string): Promise<void> {
    return this.#fleet.stopApp(appId);
  }

  stats(): ExecutorStats[] {
    return this.#fleet.stats();
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    return this.#fleet.close();
  }
}
