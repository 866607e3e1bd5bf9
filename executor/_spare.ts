/** @module At most one pre-started executor that belongs to no app yet, frozen while it waits, so a new app's first request skips the process start. */

import type { BackgroundPolicy } from "./_background.ts";
import { isHost } from "./_command.ts";
import { ExecutorProcess } from "./supervisor.ts";
import type { JobKind, ScriptRef } from "./types.ts";

/** The platform's own script a spare runs once, in a Worker it then drops. */
const WARM_UP_SOURCE = `export default { fetch: () => new Response("") };`;
const WARM_UP_FINGERPRINT = "spare-warm-up";

/** Options of the spare; units are in the names. */
export interface SpareOptions {
  /** RSS and heap cap the spare is spawned with; scripts needing more do not take it. */
  memoryLimitMb: number;
  /** Wait after the executor that asked for a spare is connected, before the spare is spawned. */
  delayMs: number;
  socketDir: string;
  stateDir?: string;
  background?: BackgroundPolicy;
  /** Whether a spare may be spawned now (below the executor cap, nobody waiting, not closed). */
  canStart: () => boolean;
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Holds the spare executor. It is spawned like an app's executor with no outbound hosts and a
 * placeholder app id of its own (so its `--location` origin and private cache directory are never
 * shared with any app), connects, warms its loader Worker, and is then frozen by its watch like
 * any quiet executor: 0 CPU while it waits. Only `want()` spawns one — once per executor started
 * for an app — and only when `canStart()` allows; no timer runs while a spare waits.
 */
export class SpareExecutor {
  #opts: SpareOptions;
  #ex: ExecutorProcess | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A spare was asked for but could not be started yet (the fleet was at its cap). */
  #wanted = false;
  #closed = false;

  constructor(opts: SpareOptions) {
    this.#opts = opts;
  }

  /** The waiting spare's pid, or 0. */
  get pid(): number {
    return this.#ex && !this.#ex.dead ? this.#ex.pid : 0;
  }

  /**
   * Takes the spare for `script`'s app (its `job` executor) if it fits (heap cap at least the
   * script's, no outbound hosts): the process is bound to the app, its RSS cap lowered to the
   * script's. Null otherwise.
   */
  take(script: ScriptRef, job: JobKind): ExecutorProcess | null {
    const ex = this.#ex;
    if (!ex || ex.dead) return null;
    if (script.limits.memoryLimitMb > ex.memoryLimitMb || script.netAllow.some(isHost)) {
      return null;
    }
    this.#ex = undefined;
    ex.adopt(script.appId, script.limits.memoryLimitMb, job);
    return ex;
  }

  /**
   * Asks for a spare once `started` (an executor just started or adopted for an app) has
   * connected, after `delayMs`: the spare's spawn then does not compete with that start.
   */
  want(started: ExecutorProcess): void {
    if (this.#closed) return;
    this.#wanted = true;
    const later = () => this.retry();
    started.ready().then(later, later);
  }

  /** Spawns a wanted spare soon if none is waiting; the fleet calls it whenever a slot frees. */
  retry(): void {
    if (!this.#wanted || this.#closed || this.#timer !== undefined || this.pid !== 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || this.pid !== 0 || !this.#opts.canStart()) return;
      this.#wanted = false;
      this.#spawn();
    }, this.#opts.delayMs);
  }

  #spawn(): void {
    const { memoryLimitMb, socketDir, stateDir, background, log } = this.#opts;
    const ex = new ExecutorProcess({
      appId: `spare:${crypto.randomUUID()}`,
      memoryLimitMb,
      netGrant: [],
      socketDir,
      stateDir,
      background,
      log,
    });
    this.#ex = ex;
    // A spare that dies unadopted is not replaced until an app's executor asks again: no loop.
    ex.closed.then(() => {
      if (this.#ex === ex) this.#ex = undefined;
    });
    log("info", "Spare executor started", { pid: ex.pid, memoryLimitMb });
    ex.ready().then(() => warmUp(ex), () => {});
  }

  /** Stops the waiting spare and any pending spawn; waits until its process is gone. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ex = this.#ex;
    this.#ex = undefined;
    if (!ex) return;
    ex.kill({
      outcome: { kind: "crashed", reason: "Executor stopped: Pool closed" },
      code: "executor_restarted",
    });
    await ex.closed;
  }
}

/**
 * Runs one request through a throwaway Worker of the spare, then drops that Worker. A process's
 * first script pays one-time costs (the transpiler, the child's and loader's first run of each
 * path: ~20–120 ms here) that a warm executor's next new script does not; paid now, while no one
 * waits, they leave the adopting app's first request the cost of a new script in a warm app.
 */
async function warmUp(ex: ExecutorProcess): Promise<void> {
  const w = ex.load(WARM_UP_FINGERPRINT, {
    appId: ex.appId,
    appSlug: "spare",
    env: {},
    netAllow: [],
  }, WARM_UP_SOURCE);
  let settle = () => {};
  const settled = new Promise<void>((resolve) => settle = resolve);
  // Any final frame (or the process's death) ends the warm-up; its content does not matter.
  const sink = {
    onFrame(header: Record<string, unknown>) {
      if (header.t !== "head" && header.t !== "chunk" && header.t !== "credit") settle();
    },
    onDeath: settle,
  };
  ex.invoke(
    {
      w,
      kind: "fetch",
      method: "GET",
      url: "http://spare.invalid/",
      headers: [],
      requestId: "spare-warm-up",
      remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 0 },
      maxBodyBytes: 1024,
    },
    sink,
  );
  await settled;
  if (!ex.dead) ex.unload(WARM_UP_FINGERPRINT);
}
