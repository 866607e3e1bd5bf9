/** @module The live executor processes of a pool: at most `maxExecutors`, reservations, eviction of idle ones, and the wait for a slot. */

import type { BackgroundPolicy } from "./_background.ts";
import { AdmissionQueue, type QueueWaits, type Refusal } from "./_admission.ts";
import { isHost } from "./_command.ts";
import { SpareExecutor } from "./_spare.ts";
import { ExecutorProcess } from "./supervisor.ts";
import type { ExecutorStats, JobKind, ScriptRef } from "./types.ts";

/** How long an idle check executor is kept. */
const CHECK_IDLE_MS = 10_000;
/** Idle this long, an executor may be evicted for a waiting app even within its turn. */
const HANDOVER_IDLE_MS = 50;

/** What a waiter wants: an executor of `job` kind for `script`'s app. */
interface Wanted {
  script: ScriptRef;
  job: JobKind;
}

/**
 * The admission queue's lane of a waiter: one per app and job kind, so a check waiting for a slot
 * is never served with the app's executor, nor the other way round.
 */
function laneOf(job: JobKind, appId: string): string {
  return job === "app" ? appId : `${appId}\u0000${job}`;
}

/** Fleet options; units are in the names (defaults are the pool's, see `ExecutorPoolOptions`). */
export interface FleetOptions {
  idleMs: number;
  maxExecutors: number;
  maxQueue: number;
  queueTimeoutMs: number;
  minResidencyMs: number;
  socketDir: string;
  stateDir?: string;
  background?: BackgroundPolicy;
  /** The pre-started spare executor's cap and spawn delay; none when absent. */
  spare?: { memoryLimitMb: number; delayMs: number };
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Owns every executor process. A request reserves its app's executor from the moment it is chosen
 * until the invocation settles (`acquire()` … `release()`); only executors with no reservation and
 * nothing in flight are ever stopped to make room, longest idle first. When every slot is taken,
 * requests of apps without an executor wait in a bounded FIFO queue.
 */
export class Fleet {
  readonly maxExecutors: number;
  readonly maxQueue: number;
  #idleMs: number;
  #queueTimeoutMs: number;
  #minResidencyMs: number;
  #socketDir: string;
  #stateDir: string | undefined;
  #background: BackgroundPolicy | undefined;
  #log: FleetOptions["log"];
  /** The live executor of each app, per job kind. */
  #live: Record<JobKind, Map<string, ExecutorProcess>> = { app: new Map(), check: new Map() };
  #all = new Set<ExecutorProcess>();
  #idleTimers = new Map<ExecutorProcess, ReturnType<typeof setTimeout>>();
  /** Requests that chose an executor and have not settled yet, per executor. */
  #holds = new Map<ExecutorProcess, number>();
  #queue: AdmissionQueue<ExecutorProcess, Wanted>;
  /** When each executor's current turn on its slot began (spawn, or a grant to waiters). */
  #turns = new Map<ExecutorProcess, number>();
  #pumpQueued = false;
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Outside `maxExecutors` until adopted: it never makes an app wait or be refused. */
  #spare: SpareExecutor | undefined;

  constructor(opts: FleetOptions) {
    this.maxExecutors = opts.maxExecutors;
    this.maxQueue = opts.maxQueue;
    this.#idleMs = opts.idleMs;
    this.#queueTimeoutMs = opts.queueTimeoutMs;
    this.#minResidencyMs = opts.minResidencyMs;
    this.#socketDir = opts.socketDir;
    this.#stateDir = opts.stateDir;
    this.#background = opts.background;
    this.#log = opts.log;
    this.#queue = new AdmissionQueue({
      maxQueue: opts.maxQueue,
      // No single app may take more than a quarter of the queue (at least one place).
      maxQueuePerKey: Math.max(1, Math.ceil(opts.maxQueue / 4)),
    });
    if (opts.spare) {
      this.#spare = new SpareExecutor({
        ...opts.spare,
        socketDir: opts.socketDir,
        stateDir: opts.stateDir,
        background: opts.background,
        // Not at the cap: a spare must never take memory or CPU that admitted apps compete for.
        canStart: () =>
          !this.#closed && this.#queue.length === 0 && this.#occupied() < this.maxExecutors,
        log: opts.log,
      });
    }
  }

  /**
   * The app's live executor, reserved, when it can be had at once (the request path's fast
   * case); null when `acquire()` must decide (spawn, queue, refuse).
   */
  acquireNow(script: ScriptRef, job: JobKind): ExecutorProcess | null {
    return this.#closed ? null : this.#current(script, job);
  }

  /**
   * The app's executor, reserved for this request. An app that has one never waits; otherwise a
   * free slot, or the slot of the longest-idle executor, or a place in the bounded queue.
   */
  async acquire(script: ScriptRef, job: JobKind): Promise<ExecutorProcess | Refusal> {
    if (this.#closed) return { refused: "closed", queueLength: 0, waitedMs: 0 };
    const mine = this.#current(script, job);
    if (mine) return mine;
    // Newcomers queue behind earlier waiters: a freed slot goes to the head of the queue.
    if (this.#queue.length === 0 && this.#makeRoom()) {
      return this.#reserve(this.#spawn(script, job));
    }
    const waitMs = Math.max(0, Math.min(script.limits.timeoutMs, this.#queueTimeoutMs));
    const got = await this.#queue.wait(laneOf(job, script.appId), { script, job }, waitMs);
    if ("refused" in got) return got;
    // Served with the executor another waiter of this app got: it may lack this script's caps.
    if (this.#fits(got, script)) return got;
    this.release(got);
    if (this.#closed) return { refused: "closed", queueLength: 0, waitedMs: 0 };
    return this.#current(script, job) ?? this.acquire(script, job);
  }

  /** The app's live executor, reserved; replaced first (without waiting) if it lacks caps. */
  #current(script: ScriptRef, job: JobKind): ExecutorProcess | null {
    const ex = this.#live[job].get(script.appId);
    if (!ex || this.#yields(ex)) return null;
    if (this.#fits(ex, script)) return this.#reserve(ex);
    // Heap cap and outbound hosts are fixed at spawn and only grow (no flapping between scripts
    // with different limits): a script needing more gets a fresh executor with the union, and
    // the old one finishes its in-flight work first. The cap resets when the executor restarts.
    // The swap keeps the app's slot, so it does not queue.
    this.#retire(ex);
    return this.#reserve(this.#spawn(script, job, ex));
  }

  /**
   * Past its turn, while other apps wait, an executor takes no new requests: they queue behind
   * the earlier waiters, it drains, and its slot goes to the head of the queue. Without this,
   * apps under steady load would never go idle and waiting apps would starve.
   */
  #yields(ex: ExecutorProcess): boolean {
    if (this.#queue.length === 0 || this.#queue.head()?.key === laneOf(ex.job, ex.appId)) {
      return false;
    }
    return Date.now() - (this.#turns.get(ex) ?? 0) >= this.#minResidencyMs;
  }

  #fits(ex: ExecutorProcess, script: ScriptRef): boolean {
    return !ex.dead && ex.memoryLimitMb >= script.limits.memoryLimitMb &&
      script.netAllow.every((h) => !isHost(h) || ex.netGrant.has(h));
  }

  #spawn(script: ScriptRef, job: JobKind, replaces?: ExecutorProcess): ExecutorProcess {
    // A replacement needs the union of caps of a running app: never the spare's.
    const adopted = replaces ? null : this.#spare?.take(script, job);
    const ex = adopted ?? this.#start(script, job, replaces);
    this.#live[job].set(script.appId, ex);
    this.#all.add(ex);
    this.#turns.set(ex, Date.now());
    ex.closed.then(() => {
      this.#all.delete(ex);
      this.#turns.delete(ex);
      this.drop(ex);
    });
    this.#log("info", "Executor started", {
      appId: script.appId,
      job,
      pid: ex.pid,
      spare: !!adopted,
    });
    // A new app came: the next one may come soon, so a spare is (re)armed once this one is up.
    if (!replaces) this.#spare?.want(ex);
    return ex;
  }

  #start(script: ScriptRef, job: JobKind, replaces?: ExecutorProcess): ExecutorProcess {
    const netAllow = script.netAllow.filter(isHost);
    let memoryLimitMb = script.limits.memoryLimitMb;
    if (replaces) {
      netAllow.push(...replaces.netGrant);
      memoryLimitMb = Math.max(memoryLimitMb, replaces.memoryLimitMb);
    }
    return new ExecutorProcess({
      appId: script.appId,
      job,
      memoryLimitMb,
      netGrant: [...new Set(netAllow)],
      socketDir: this.#socketDir,
      stateDir: this.#stateDir,
      background: this.#background,
      log: this.#log,
    });
  }

  #reserve(ex: ExecutorProcess): ExecutorProcess {
    this.#holds.set(ex, (this.#holds.get(ex) ?? 0) + 1);
    return ex;
  }

  release(ex: ExecutorProcess): void {
    const left = (this.#holds.get(ex) ?? 1) - 1;
    if (left > 0) {
      this.#holds.set(ex, left);
      return;
    }
    this.#holds.delete(ex);
    if (!this.#idle(ex)) return;
    if (ex.retiring) return this.#stop(ex, "Replaced");
    if (this.#live[ex.job].get(ex.appId) === ex) this.#armIdle(ex);
    // Someone is waiting for a slot: this one may be handed over now rather than after idleMs.
    if (this.#queue.length > 0) this.#schedulePump();
  }

  /** Nothing reserved and nothing in flight: the only executors that may be evicted. */
  #idle(ex: ExecutorProcess): boolean {
    return !ex.dead && !this.#holds.has(ex) && ex.inFlight === 0;
  }

  /** Executor processes alive now, retiring ones included (they still hold their memory). */
  #occupied(): number {
    let n = 0;
    for (const ex of this.#all) if (!ex.dead) n++;
    return n;
  }

  /**
   * Frees a slot if the fleet is full by stopping the idle executor unused for longest; false when
   * every executor is reserved, busy, or too recently started or used to be evicted yet.
   */
  #makeRoom(): boolean {
    if (this.#occupied() < this.maxExecutors) return true;
    const now = Date.now();
    let victim: ExecutorProcess | undefined;
    let soonest = Infinity;
    for (const ex of this.#liveExecutors()) {
      if (!this.#idle(ex)) continue;
      // An executor idle between two requests of a busy client is not swapped out at once (two
      // apps sharing one slot would ping-pong on every request): only once its turn is over or
      // it has stayed idle for a moment.
      const eligibleAt = Math.min(
        (this.#turns.get(ex) ?? 0) + this.#minResidencyMs,
        ex.lastUsedAt + HANDOVER_IDLE_MS,
      );
      if (eligibleAt > now) {
        soonest = Math.min(soonest, eligibleAt);
        continue;
      }
      if (!victim || ex.lastUsedAt < victim.lastUsedAt) victim = ex;
    }
    if (victim) {
      this.#stop(victim, "Evicted (maxExecutors)");
      return true;
    }
    if (soonest < Infinity) this.#pumpAt(soonest - now);
    return false;
  }

  #schedulePump(): void {
    if (this.#pumpQueued || this.#closed) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  #pumpAt(delayMs: number): void {
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = setTimeout(() => this.#pump(), Math.max(1, delayMs));
  }

  /** Serves waiters, oldest first, while slots free up; each served waiter is reserved at once. */
  #pump(): void {
    for (let guard = this.#queue.length; guard > 0 && !this.#closed; guard--) {
      const head = this.#queue.head();
      if (!head) return;
      const { script, job } = head.meta;
      let ex = this.#live[job].get(script.appId);
      if (!ex) {
        if (!this.#makeRoom()) return;
        ex = this.#spawn(script, job);
      }
      const served = ex;
      this.#turns.set(served, Date.now());
      this.#queue.grant(head.key, () => this.#reserve(served));
    }
  }

  /** One timer per executor, armed only when it goes idle; it re-arms itself if used meanwhile. */
  #armIdle(ex: ExecutorProcess): void {
    if (this.#idleTimers.has(ex) || ex.dead) return;
    // Deploy checks are rare: their executor does not linger like an app's.
    const idleMs = ex.job === "check" ? Math.min(this.#idleMs, CHECK_IDLE_MS) : this.#idleMs;
    const fire = () => {
      this.#idleTimers.delete(ex);
      // A reserved or busy executor re-arms when its last request settles.
      if (!this.#idle(ex)) return;
      const idleFor = Date.now() - ex.lastUsedAt;
      if (idleFor >= idleMs) this.#stop(ex, "Idle");
      else this.#idleTimers.set(ex, setTimeout(fire, idleMs - idleFor));
    };
    this.#idleTimers.set(ex, setTimeout(fire, idleMs));
  }

  drop(ex: ExecutorProcess): void {
    const live = this.#live[ex.job];
    if (live.get(ex.appId) === ex) live.delete(ex.appId);
    clearTimeout(this.#idleTimers.get(ex));
    this.#idleTimers.delete(ex);
    if (this.#queue.length > 0) this.#schedulePump();
    // A slot may have freed: a spare wanted while the fleet was full can start now.
    else this.#spare?.retry();
  }

  #retire(ex: ExecutorProcess): void {
    this.drop(ex);
    if (this.#idle(ex)) this.#stop(ex, "Replaced");
    else ex.retiring = true;
  }

  #stop(ex: ExecutorProcess, why: string): void {
    this.#log("info", "Executor stopped", { appId: ex.appId, pid: ex.pid, why });
    ex.kill({
      outcome: { kind: "crashed", reason: `Executor stopped: ${why}` },
      code: "executor_restarted",
    });
    this.drop(ex);
  }

  /** Stops an app's executors (its own and its deploy-check one) at once, busy or not. */
  async stopApp(appId: string): Promise<void> {
    // Its deploy-check executor too: a deleted app leaves no process behind.
    const all = [this.#live.app.get(appId), this.#live.check.get(appId)]
      .filter((ex): ex is ExecutorProcess => ex !== undefined);
    for (const ex of all) this.#stop(ex, "App stopped");
    await Promise.all(all.map((ex) => ex.closed));
  }

  /** The admission queue's waits so far (requests that queued for a slot). */
  queueWaits(): QueueWaits {
    return this.#queue.waits();
  }

  /** Live executor processes. */
  stats(): ExecutorStats[] {
    return [...this.#liveExecutors()].filter((ex) => !ex.dead).map((ex) => ({
      appId: ex.appId,
      job: ex.job,
      pid: ex.pid,
      rssMb: ex.rssMb(),
      inFlight: ex.inFlight,
      loadedVersions: ex.versions.size,
      startedAt: ex.startedAt,
      lastUsedAt: ex.lastUsedAt,
    }));
  }

  /** The live executors of every app, apps' own first, then check executors. */
  *#liveExecutors(): Iterable<ExecutorProcess> {
    yield* this.#live.app.values();
    yield* this.#live.check.values();
  }

  /** Refuses every waiter and stops every executor. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#pumpTimer);
    this.#queue.refuseAll();
    for (const ex of [...this.#all]) if (!ex.dead) this.#stop(ex, "Pool closed");
    await Promise.all([...this.#all].map((ex) => ex.closed).concat(this.#spare?.close() ?? []));
  }
}
