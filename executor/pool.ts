/** @module The executor pool: one executor process per app, capped (busy ones never evicted, the rest wait in a bounded queue), idle-stopped, with limits enforced here. */

import { Fleet } from "./_fleet.ts";
import { Invoker } from "./_invoker.ts";
import { DeployChecks } from "./_checks.ts";
import { reapOrphanedExecutors } from "./_orphans.ts";
import type { BackgroundPolicy } from "./_background.ts";
import type {
  CheckInput,
  Diagnostic,
  ExecutorPool,
  ExecutorStats,
  Invocation,
  InvokeOptions,
  QueueWaits,
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

/** Creates the pool; no process is spawned until the first invocation. */
export function createExecutorPool(options: ExecutorPoolOptions): ExecutorPool {
  return new Pool(options);
}

/** The public face over the fleet (processes), the invoker (admission) and deploy checks. */
class Pool implements ExecutorPool {
  #fleet: Fleet;
  #invoker: Invoker;
  #checks: DeployChecks;

  constructor(options: ExecutorPoolOptions) {
    const socketDir = options.socketDir;
    // Unix socket paths are limited to 108 bytes; each socket adds a 17-byte file name.
    if (new TextEncoder().encode(socketDir).byteLength > 90) {
      throw new RangeError("socketDir is too long for Unix socket paths (max 90 bytes)");
    }
    const log = options.log ?? (() => {});
    Deno.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(socketDir, 0o700);
    if (options.stateDir) {
      const reaped = reapOrphanedExecutors(options.stateDir);
      if (reaped.killed.length > 0) {
        log("warn", "Ended executors left by a previous PiCloud process", {
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
      log,
    });
    this.#invoker = new Invoker(this.#fleet, {
      maxVersionsPerExecutor: options.maxVersionsPerExecutor ?? 8,
      log,
    });
    this.#checks = new DeployChecks(this.#invoker);
  }

  fetch(
    script: ScriptRef,
    req: Request,
    opts: InvokeOptions & { signal?: () => AbortSignal },
  ): Promise<Invocation> {
    return this.#invoker.run(script, opts, { kind: "fetch", req, signal: opts.signal });
  }

  scheduled(script: ScriptRef, event: ScheduledEvent, opts: InvokeOptions): Promise<Invocation> {
    return this.#invoker.run(script, opts, { kind: "scheduled", event });
  }

  check(input: CheckInput): Promise<Diagnostic[]> {
    return this.#checks.check(input);
  }

  stopApp(appId: string): Promise<void> {
    return this.#fleet.stopApp(appId);
  }

  stats(): ExecutorStats[] {
    return this.#fleet.stats();
  }

  /** How long requests that queued for an executor slot waited before they were admitted. */
  queueWaits(): QueueWaits {
    return this.#fleet.queueWaits();
  }

  close(): Promise<void> {
    this.#invoker.close();
    return this.#fleet.close();
  }
}
