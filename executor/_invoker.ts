/**
 * @module Admission of one invocation: its script's concurrency cap, its declared body size, a
 * reserved executor with the script's Worker loaded, then the `Call` that runs it; and the one
 * timer that watches the deadlines of every call in flight.
 */

import { type ErrorCode, errorResponse } from "./_errors.ts";
import { isHost } from "./_command.ts";
import type { Fleet } from "./_fleet.ts";
import { Call } from "./_call.ts";
import { headerPairs } from "./_protocol.ts";
import type { ExecutorProcess } from "./supervisor.ts";
import type {
  Completion,
  Invocation,
  InvokeOptions,
  JobKind,
  Outcome,
  ScheduledEvent,
  ScriptRef,
} from "./types.ts";

/** The pool's log sink. */
export type Log = (
  level: "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** What to run: a request, a scheduled event, or a deploy-time check of a module. */
export type Input =
  | { kind: "fetch"; req: Request; signal?: () => AbortSignal }
  | { kind: "scheduled"; event: ScheduledEvent }
  | { kind: "check" };

/** Deadlines are checked this often while anything is in flight (no timer when idle). */
const SWEEP_MS = 25;

/**
 * Admits invocations onto the fleet's executors and starts their calls. A deploy check
 * (`input.kind === "check"`) runs on the fleet's check executor of its app, never the app's own.
 */
export class Invoker {
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

  constructor(fleet: Fleet, opts: { maxVersionsPerExecutor: number; log: Log }) {
    this.#fleet = fleet;
    this.#maxVersions = opts.maxVersionsPerExecutor;
    this.#log = opts.log;
  }

  /** Safety net: a platform bug must become a 502 with a log line, never a rejected promise. */
  run(script: ScriptRef, opts: InvokeOptions, input: Input): Promise<Invocation> {
    const start = performance.now();
    let attempt: Promise<Invocation>;
    try {
      attempt = this.#attempt(script, opts, input, start);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    return attempt.catch((err) => {
      this.#log("error", "Invocation failed in the platform", {
        appId: script.appId,
        error: String(err),
      });
      return this.#fail(start, { kind: "crashed", reason: `Platform error: ${err}` }, opts);
    });
  }

  /**
   * Admits the invocation and starts it. The usual case (the app's executor is up, nothing held
   * back) runs without an async frame; the rest waits in `#admit`.
   */
  #attempt(
    script: ScriptRef,
    opts: InvokeOptions,
    input: Input,
    start: number,
  ): Promise<Invocation> {
    const { maxConcurrency, maxBodyBytes } = script.limits;
    const inFlight = this.#inFlightByVersion.get(script.versionId) ?? 0;
    const req = input.kind === "fetch" ? input.req : null;
    const body = req && req.method !== "GET" && req.method !== "HEAD" ? req.body : null;
    if (inFlight >= maxConcurrency) {
      return this.#refuse(body, start, opts, {
        kind: "concurrency",
        limit: maxConcurrency,
        inFlight,
      });
    }
    if (this.#closed) return this.#refuse(body, start, opts, ...this.#closedOutcome());
    // A declared length over the limit is refused before anything is read or started.
    const declared = Number(req?.headers.get("content-length") ?? "NaN");
    if (declared > maxBodyBytes) {
      return this.#refuse(body, start, opts, {
        kind: "body_too_large",
        limitBytes: maxBodyBytes,
        receivedBytes: declared,
      });
    }
    this.#inFlightByVersion.set(script.versionId, inFlight + 1);
    // Reserved from the moment it is chosen until the invocation completes: never evicted meanwhile.
    const hold = new Hold(this.#fleet, this.#inFlightByVersion, script.versionId);
    try {
      const a: Attempt = { script, opts, input, start, req, body };
      const ex = this.#fleet.acquireNow(script, jobOf(input));
      if (ex !== null) {
        hold.held = ex;
        if (ex.started && !ex.suspicion) return this.#start(hold, ex, a);
      }
      return this.#admit(hold, ex, a);
    } catch (err) {
      hold.release();
      return Promise.reject(err);
    }
  }

  /** The slow path of `#attempt`: an executor to wait for (spawn, queue, start, verdict). */
  async #admit(hold: Hold, reserved: ExecutorProcess | null, a: Attempt): Promise<Invocation> {
    const { script, opts, input, start, body } = a;
    try {
      let ex = reserved;
      if (ex === null) {
        const got = await this.#fleet.acquire(script, jobOf(input));
        if ("refused" in got) {
          hold.release();
          if (got.refused === "closed") {
            return this.#refuse(body, start, opts, ...this.#closedOutcome());
          }
          return this.#refuse(body, start, opts, {
            kind: "capacity",
            reason: got.refused,
            maxExecutors: this.#fleet.maxExecutors,
            maxQueue: this.#fleet.maxQueue,
            queueLength: got.queueLength,
            waitedMs: got.waitedMs,
          });
        }
        ex = hold.held = got;
      }
      try {
        await ex.ready();
      } catch (err) {
        hold.release();
        return this.#refuse(body, start, opts, {
          kind: "crashed",
          reason: `Executor failed to start: ${err}`,
        });
      }
      if (ex.suspicion) {
        // A timed-out request's Worker there has not answered yet: wait for the verdict, and
        // start over on a fresh executor if it was killed.
        await ex.suspicion;
        if (ex.dead) {
          hold.release();
          return await this.#attempt(script, opts, input, start);
        }
      }
      return await this.#start(hold, ex, a);
    } catch (err) {
      hold.release();
      throw err;
    }
  }

  /** Loads the version on the reserved executor and starts the call; answers its head. */
  #start(hold: Hold, ex: ExecutorProcess, a: Attempt): Promise<Invocation> {
    const { script, opts, input, start, req, body } = a;
    const { timeoutMs, maxBodyBytes } = script.limits;
    const fingerprint = this.#fingerprintOf(script);
    const w = this.#loadVersion(ex, script, fingerprint);
    if (input.kind === "check") hold.checked = fingerprint;
    const call = new Call({
      ex,
      msg: {
        w,
        kind: input.kind,
        method: req?.method ?? "",
        url: req?.url ?? "",
        headers: req ? headerPairs(req.headers) : [],
        params: opts.params,
        requestId: opts.requestId,
        remoteAddr: opts.remoteAddr,
        maxBodyBytes,
        // One object shape for every kind (a spread here would build each message field by field).
        cron: input.kind === "scheduled" ? input.event.cron : undefined,
        scheduledTime: input.kind === "scheduled" ? input.event.scheduledTime : undefined,
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
    this.#track(call);
    // Let go of at completion, not at the next sweep (25 ms on): what a call holds (its request,
    // response, promises) then dies young instead of being promoted to the old generation.
    call.completed.then(() => {
      hold.release();
      if (call.finished) this.#calls.delete(call);
    }, hold.release);
    call.begin();
    return call.head;
  }

  /** An invocation refused before it ran (its request body, if any, is cancelled). */
  #refuse(
    body: ReadableStream<Uint8Array> | null,
    start: number,
    opts: InvokeOptions,
    outcome: Outcome,
    code?: ErrorCode,
  ): Promise<Invocation> {
    body?.cancel().catch(() => {});
    return Promise.resolve(this.#fail(start, outcome, opts, code));
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
      entry: script.entry,
    }, script.source);
    // Least recently used first; only Workers with nothing in flight are dropped.
    if (ex.versions.size > this.#maxVersions) {
      for (const [fp, wid] of ex.versions) {
        if (ex.versions.size <= this.#maxVersions) break;
        if (wid !== w && !ex.busy(wid)) ex.unload(fp);
      }
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

  /** Refuses new invocations and stops the deadline sweep (the fleet is closed by the pool). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}

/** One invocation as `#attempt` admitted it, for the steps after. */
interface Attempt {
  script: ScriptRef;
  opts: InvokeOptions;
  input: Input;
  start: number;
  req: Request | null;
  body: ReadableStream<Uint8Array> | null;
}

/**
 * An admitted invocation's place: its version's in-flight count and, once chosen, its reserved
 * executor; `release` gives both back once (a checked source's Worker is dropped then too).
 */
class Hold {
  held: ExecutorProcess | undefined;
  checked: string | undefined;
  #released = false;
  #fleet: Fleet;
  #inFlight: Map<string, number>;
  #versionId: string;

  constructor(fleet: Fleet, inFlight: Map<string, number>, versionId: string) {
    this.#fleet = fleet;
    this.#inFlight = inFlight;
    this.#versionId = versionId;
  }

  readonly release = (): void => {
    if (this.#released) return;
    this.#released = true;
    const held = this.held;
    // A checked source is never run again: its Worker goes at once.
    if (this.checked && held && !held.dead) held.unload(this.checked);
    const left = (this.#inFlight.get(this.#versionId) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(this.#versionId, left);
    else this.#inFlight.delete(this.#versionId);
    if (held) {
      if (held.dead) this.#fleet.drop(held);
      this.#fleet.release(held);
    }
  };
}

/** Which of the fleet's executors an input runs on. */
function jobOf(input: Input): JobKind {
  return input.kind === "check" ? "check" : "app";
}
