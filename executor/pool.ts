/** @module The executor pool: one executor process per app, LRU-capped, idle-stopped, with limits enforced here. */

import { type ErrorCode, errorResponse } from "./_errors.ts";
import { isHost } from "./_command.ts";
import { readBodyCounted, toInvocation } from "./_reply.ts";
import { ExecutorProcess, type Reply } from "./supervisor.ts";
import { diagnosticsOf } from "./_diagnostics.ts";
import type {
  CheckInput,
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
  /** Most live executor processes; the least recently used idle one is stopped first. Default 16. */
  maxExecutors?: number;
  /** Private directory for the Unix sockets; created with mode 0o700. */
  socketDir: string;
  /** Most script versions kept warm per executor. Default 8. */
  maxVersionsPerExecutor?: number;
  /** Structured log sink. Default: none. */
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

type Log = NonNullable<ExecutorPoolOptions["log"]>;
interface Prepared {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
}
/** Reads what the invocation needs up front, or answers early (for example 413). */
type Prepare = (
  start: number,
) => Promise<Invocation | { event: ScheduledEvent } | { check: true } | Prepared>;

/** Check executors are keyed apart from the app's own, so a bad deploy never disturbs it. */
const CHECK_PREFIX = "check:";
/** How long an idle check executor is kept. */
const CHECK_IDLE_MS = 10_000;

/** Creates the pool; no process is spawned until the first invocation. */
export function createExecutorPool(options: ExecutorPoolOptions): ExecutorPool {
  return new Pool(options);
}

/** A loaded Worker is reused only for the same version, vars and outbound hosts. */
function fingerprintOf(script: ScriptRef): string {
  return `${script.versionId}\0${JSON.stringify([script.env, script.netAllow])}`;
}

class Pool implements ExecutorPool {
  #idleMs: number;
  #maxExecutors: number;
  #maxVersions: number;
  #socketDir: string;
  #log: Log;
  #live = new Map<string, ExecutorProcess>();
  #all = new Set<ExecutorProcess>();
  #idleTimers = new Map<ExecutorProcess, ReturnType<typeof setTimeout>>();
  #inFlightByVersion = new Map<string, number>();
  #closed = false;
  #checkQueues = new Map<string, Promise<void>>();

  constructor(options: ExecutorPoolOptions) {
    this.#idleMs = options.idleMs ?? 300_000;
    this.#maxExecutors = options.maxExecutors ?? 16;
    this.#maxVersions = options.maxVersionsPerExecutor ?? 8;
    this.#socketDir = options.socketDir;
    // Unix socket paths are limited to 108 bytes; each socket adds a 17-byte file name.
    if (new TextEncoder().encode(this.#socketDir).byteLength > 90) {
      throw new RangeError("socketDir is too long for Unix socket paths (max 90 bytes)");
    }
    this.#log = options.log ?? (() => {});
    Deno.mkdirSync(this.#socketDir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(this.#socketDir, 0o700);
  }

  fetch(script: ScriptRef, req: Request, opts: InvokeOptions): Promise<Invocation> {
    return this.#run(script, opts, async (start) => {
      const limit = script.limits.maxBodyBytes;
      const declared = Number(req.headers.get("content-length") ?? "NaN");
      if (declared > limit) {
        await req.body?.cancel().catch(() => {});
        return this.#fail(start, {
          kind: "body_too_large",
          limitBytes: limit,
          receivedBytes: declared,
        }, opts);
      }
      const read = await readBodyCounted(req, {
        limitBytes: limit,
        timeoutMs: script.limits.timeoutMs,
      });
      if (read && "tooLarge" in read) {
        return this.#fail(start, {
          kind: "body_too_large",
          limitBytes: limit,
          receivedBytes: read.tooLarge,
        }, opts);
      }
      if (read && "timedOut" in read) {
        const elapsedMs = Math.round(performance.now() - start);
        const outcome: Outcome = { kind: "timeout", limitMs: script.limits.timeoutMs, elapsedMs };
        // The client, not the script, was too slow: 408 rather than 504.
        return {
          ...this.#fail(start, outcome, opts),
          response: errorResponse(outcome, opts.requestId, "timeout", 408),
        };
      }
      return {
        method: req.method,
        url: req.url,
        headers: [...req.headers],
        body: read,
      };
    });
  }

  scheduled(script: ScriptRef, event: ScheduledEvent, opts: InvokeOptions): Promise<Invocation> {
    return this.#run(script, opts, () => Promise.resolve({ event }));
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
    }, () => Promise.resolve({ check: true }));
    await inv.response.body?.cancel();
    return diagnosticsOf(inv.outcome);
  }

  /** Safety net: a platform bug must become a 502 with a log line, never a rejected promise. */
  async #run(
    script: ScriptRef,
    opts: InvokeOptions,
    prepare: Prepare,
  ): Promise<Invocation> {
    const start = performance.now();
    try {
      return await this.#attempt(script, opts, prepare);
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
    prepare: Prepare,
  ): Promise<Invocation> {
    const start = performance.now();
    const { maxConcurrency, timeoutMs } = script.limits;
    const inFlight = this.#inFlightByVersion.get(script.versionId) ?? 0;
    if (inFlight >= maxConcurrency) {
      return this.#fail(start, { kind: "concurrency", limit: maxConcurrency, inFlight }, opts);
    }
    if (this.#closed) {
      return this.#fail(
        start,
        { kind: "crashed", reason: "Executor pool is closed" },
        opts,
        "executor_restarted",
      );
    }
    this.#inFlightByVersion.set(script.versionId, inFlight + 1);
    let used: ExecutorProcess | undefined;
    let checked: string | undefined;
    try {
      const prepared = await prepare(start);
      if ("response" in prepared) return prepared;
      const ex = used = this.#executorFor(script);
      try {
        await ex.ready();
      } catch (err) {
        return this.#fail(
          start,
          { kind: "crashed", reason: `Executor failed to start: ${err}` },
          opts,
        );
      }
      const w = this.#loadVersion(ex, script);
      if ("check" in prepared) checked = fingerprintOf(script);
      const isFetch = !("event" in prepared) && !("check" in prepared);
      const { id, reply } = ex.invoke({
        w,
        kind: "check" in prepared ? "check" : isFetch ? "fetch" : "scheduled",
        method: isFetch ? prepared.method : "",
        url: isFetch ? prepared.url : "",
        headers: isFetch ? prepared.headers : [],
        params: opts.params,
        requestId: opts.requestId,
        remoteAddr: opts.remoteAddr,
        trigger: opts.trigger,
        maxBodyBytes: script.limits.maxBodyBytes,
        cron: "event" in prepared ? prepared.event.cron : "",
        scheduledTime: "event" in prepared ? prepared.event.scheduledTime : 0,
      }, isFetch ? prepared.body : null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timeout">((resolve) =>
        timer = setTimeout(() => resolve("timeout"), timeoutMs)
      );
      const settled: Reply | "timeout" = await Promise.race([reply, timedOut]);
      clearTimeout(timer);
      if (settled === "timeout") {
        const elapsedMs = Math.round(performance.now() - start);
        ex.forget(id);
        const outcome: Outcome = { kind: "timeout", limitMs: timeoutMs, elapsedMs };
        if (ex.retiring || !(await ex.quiet())) {
          // terminate() cannot stop a busy loop: only killing the process can. Same-app
          // requests in flight get executor_restarted; other apps are untouched.
          ex.kill({
            outcome: {
              kind: "crashed",
              reason: `Executor restarted: request ${opts.requestId} timed out`,
            },
            code: "executor_restarted",
          });
          this.#drop(ex);
          this.#log("warn", "Invocation timed out; executor killed", {
            appId: script.appId,
            requestId: opts.requestId,
          });
        } else {
          this.#log("warn", "Invocation timed out while idle; executor kept", {
            appId: script.appId,
            requestId: opts.requestId,
          });
        }
        return this.#fail(start, outcome, opts);
      }
      if (settled.t === "died") {
        this.#drop(ex);
        return this.#fail(start, settled.death.outcome, opts, settled.death.code);
      }
      return toInvocation(settled, {
        start,
        requestId: opts.requestId,
        maxBodyBytes: script.limits.maxBodyBytes,
      });
    } finally {
      // A checked source is never run again: its Worker goes at once.
      if (checked && used && !used.dead) used.unload(checked);
      const left = (this.#inFlightByVersion.get(script.versionId) ?? 1) - 1;
      if (left > 0) this.#inFlightByVersion.set(script.versionId, left);
      else this.#inFlightByVersion.delete(script.versionId);
      if (used?.retiring && used.inFlight === 0) this.#stop(used, "Replaced");
      const ex = this.#live.get(script.appId);
      if (ex && ex.inFlight === 0) this.#armIdle(ex);
    }
  }

  #fail(start: number, outcome: Outcome, opts: InvokeOptions, code?: ErrorCode): Invocation {
    return {
      response: errorResponse(outcome, opts.requestId, code),
      outcome,
      logs: [],
      durationMs: Math.round(performance.now() - start),
    };
  }

  #executorFor(script: ScriptRef): ExecutorProcess {
    let ex = this.#live.get(script.appId);
    const netAllow = script.netAllow.filter(isHost);
    let memoryLimitMb = script.limits.memoryLimitMb;
    // Heap cap and outbound hosts are fixed at spawn and only grow (no flapping between scripts
    // with different limits): a script needing more gets a fresh executor with the union, and
    // the old one finishes its in-flight work first. The cap resets when the executor restarts.
    if (
      ex &&
      (ex.memoryLimitMb < memoryLimitMb || !netAllow.every((h) => ex!.netGrant.has(h)))
    ) {
      this.#retire(ex);
      netAllow.push(...ex.netGrant);
      memoryLimitMb = Math.max(memoryLimitMb, ex.memoryLimitMb);
      ex = undefined;
    }
    if (ex) {
      this.#live.delete(script.appId);
      this.#live.set(script.appId, ex);
      return ex;
    }
    this.#evictForRoom();
    ex = new ExecutorProcess({
      appId: script.appId,
      memoryLimitMb,
      netGrant: [...new Set(netAllow)],
      socketDir: this.#socketDir,
      log: this.#log,
    });
    this.#live.set(script.appId, ex);
    this.#all.add(ex);
    const spawned = ex;
    spawned.closed.then(() => {
      this.#all.delete(spawned);
      this.#drop(spawned);
    });
    this.#log("info", "Executor started", { appId: script.appId });
    return ex;
  }

  #loadVersion(ex: ExecutorProcess, script: ScriptRef): number {
    const w = ex.load(fingerprintOf(script), {
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

  #evictForRoom(): void {
    for (const ex of this.#live.values()) {
      if (this.#live.size < this.#maxExecutors) return;
      if (ex.inFlight === 0) this.#stop(ex, "Evicted (maxExecutors)");
    }
    if (this.#live.size >= this.#maxExecutors) {
      this.#log("warn", "All executors busy; exceeding maxExecutors", { live: this.#live.size });
    }
  }

  /** One timer per executor, armed only when it goes idle; it re-arms itself if used meanwhile. */
  #armIdle(ex: ExecutorProcess): void {
    if (this.#idleTimers.has(ex) || ex.dead) return;
    // Deploy checks are rare: their executor does not linger like an app's.
    const idleMs = ex.appId.startsWith(CHECK_PREFIX)
      ? Math.min(this.#idleMs, CHECK_IDLE_MS)
      : this.#idleMs;
    const fire = () => {
      this.#idleTimers.delete(ex);
      if (ex.dead) return;
      const idleFor = Date.now() - ex.lastUsedAt;
      if (ex.inFlight > 0) return;
      if (idleFor >= idleMs) this.#stop(ex, "Idle");
      else this.#idleTimers.set(ex, setTimeout(fire, idleMs - idleFor));
    };
    this.#idleTimers.set(ex, setTimeout(fire, idleMs));
  }

  #drop(ex: ExecutorProcess): void {
    if (this.#live.get(ex.appId) === ex) this.#live.delete(ex.appId);
    clearTimeout(this.#idleTimers.get(ex));
    this.#idleTimers.delete(ex);
  }

  #retire(ex: ExecutorProcess): void {
    this.#drop(ex);
    if (ex.inFlight === 0) this.#stop(ex, "Replaced");
    else ex.retiring = true;
  }

  #stop(ex: ExecutorProcess, why: string): void {
    this.#log("info", "Executor stopped", { appId: ex.appId, pid: ex.pid, why });
    ex.kill({
      outcome: { kind: "crashed", reason: `Executor stopped: ${why}` },
      code: "executor_restarted",
    });
    this.#drop(ex);
  }

  async stopApp(appId: string): Promise<void> {
    const ex = this.#live.get(appId);
    if (!ex) return;
    this.#stop(ex, "App stopped");
    await ex.closed;
  }

  stats(): ExecutorStats[] {
    return [...this.#live.values()].filter((ex) => !ex.dead).map((ex) => ({
      appId: ex.appId,
      pid: ex.pid,
      rssMb: ex.rssMb(),
      inFlight: ex.inFlight,
      loadedVersions: ex.versions.size,
      startedAt: ex.startedAt,
      lastUsedAt: ex.lastUsedAt,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const ex of [...this.#live.values()]) this.#stop(ex, "Pool closed");
    await Promise.all([...this.#all].map((ex) => ex.closed));
  }
}
