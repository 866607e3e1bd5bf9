/** @module The contract between the trusted orchestrator and the executor pool that runs user code. */

import type { QueueWaits } from "./_admission.ts";

export type { QueueWaits };

/** Per-script limits, enforced by the trusted side. Units are in the names. */
export interface ScriptLimits {
  /** Wall time for one invocation, from dispatch to the last byte of the response. */
  timeoutMs: number;
  /** Memory cap of the app's executor process (RSS), and the heap cap of each isolate. */
  memoryLimitMb: number;
  /** Largest request body and largest response body accepted. */
  maxBodyBytes: number;
  /** Concurrent in-flight invocations of one script version. */
  maxConcurrency: number;
}

/** One deployable unit: an immutable script version of an app. */
export interface ScriptRef {
  appId: string;
  appSlug: string;
  scriptId: string;
  /** Immutable version id; a new id means new source. */
  versionId: string;
  /** TypeScript or JavaScript module source, `export default { fetch, scheduled? }`. */
  source: string;
  /** The app's and the script's vars and secrets, in clear text (exposed as `ctx.env`). */
  env: Record<string, string>;
  limits: ScriptLimits;
  /** Outbound hosts the script may fetch (`host` or `host:port`); empty means none. */
  netAllow: string[];
  /** The version's entry file name, shown in stack traces (default `main.ts`). */
  entry?: string;
}

/** Why an invocation trigger happened. */
export type Trigger = "http" | "execute" | "cron";

/** What the script sees as `ctx` besides `env` and `app`. */
export interface InvokeOptions {
  params: Record<string, string>;
  requestId: string;
  remoteAddr: { transport: "tcp"; hostname: string; port: number };
  trigger: Trigger;
}

/** One captured console line. */
export interface LogLine {
  level: "debug" | "info" | "log" | "warn" | "error";
  message: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * Why an invocation ended. `ok` means the script produced a response (of any status).
 * Every other kind is also reflected in the JSON error response the caller gets.
 */
export type Outcome =
  | { kind: "ok" }
  | { kind: "timeout"; limitMs: number; elapsedMs: number }
  | { kind: "memory"; limitMb: number; usedMb: number }
  | { kind: "body_too_large"; limitBytes: number; receivedBytes: number }
  | { kind: "response_too_large"; limitBytes: number; producedBytes: number }
  | { kind: "concurrency"; limit: number; inFlight: number }
  | {
    /** Every executor slot was busy and the request could not wait (queue full or waited too long). */
    kind: "capacity";
    reason: "queue_full" | "queue_timeout" | "closed";
    maxExecutors: number;
    maxQueue: number;
    queueLength: number;
    waitedMs: number;
  }
  | { kind: "crashed"; reason: string }
  /** The client went away before the response was complete (its `request.signal` aborted). */
  | { kind: "client_closed" }
  | { kind: "rejected"; error: string };

/** What the execution log records of one invocation, once it has ended. */
export interface Completion {
  outcome: Outcome;
  logs: LogLine[];
  durationMs: number;
  /**
   * CPU time of the script's thread while the invocation was in flight (shared fairly), until its
   * response ended: its `ctx.waitUntil` work after that is charged to the executor's background
   * budget instead.
   */
  cpuMs: number | null;
  /** Resident memory of the app's executor when the invocation ended (what its limit applies to). */
  memoryMb: number | null;
  /** Response body bytes produced. */
  responseBytes?: number;
}

/**
 * Result of one invocation: the response to send as soon as its head exists, with what was known
 * then. A streamed response's body arrives later: `completed` settles once it was delivered (or
 * the invocation ended otherwise) and its `ctx.waitUntil` work settled (at most until the script's
 * timeout), with the final outcome, every log line (that work's too) and the usage.
 */
export interface Invocation extends Completion {
  response: Response;
  completed: Promise<Completion>;
}

/** A scheduled event, as passed to `scheduled(event, ctx)`. */
export interface ScheduledEvent {
  cron: string;
  scheduledTime: number;
}

/** One problem found by a deploy-time check; line and column are 1-based in the source. */
export interface Diagnostic {
  message: string;
  line?: number;
  column?: number;
  /** Set when the module was not checked because every executor slot was busy: try again. */
  busy?: true;
  /** Set when the module uses a Workers API PiCloud does not provide (`unsupported_api`). */
  api?: string;
}

/** A source to check before it is deployed to an app, and how long and how much it may take. */
export interface CheckInput {
  appId: string;
  source: string;
  /** The version's entry file name, shown in diagnostics (default `main.ts`). */
  entry?: string;
  timeoutMs: number;
  memoryLimitMb: number;
}

/** The pool of per-app executor processes, owned by the trusted main process. */
export interface ExecutorPool {
  /**
   * Run the script's `fetch(request, env, ctx)` in its app's executor; never throws for script
   * faults. The request body streams to the script; the client's signal (asked for lazily,
   * once the invocation has run a while: creating one has a cost) aborts it.
   */
  fetch(
    script: ScriptRef,
    req: Request,
    opts: InvokeOptions & { signal?: () => AbortSignal },
  ): Promise<Invocation>;
  /** Run the script's `scheduled(event, ctx)`; response is 204 on success or the JSON error. */
  scheduled(script: ScriptRef, event: ScheduledEvent, opts: InvokeOptions): Promise<Invocation>;
  /**
   * Loads `source` in a throwaway permission-less Worker of a separate per-app check executor,
   * exactly as it would run, and reports why it cannot run (empty: it can). Never throws.
   */
  check(input: CheckInput): Promise<Diagnostic[]>;
  /** Stop an app's executor (for example when the app is deleted). */
  stopApp(appId: string): Promise<void>;
  /** Live executor processes, for tests and the dashboard. */
  stats(): ExecutorStats[];
  /** How long requests that queued for an executor slot waited before they were admitted. */
  queueWaits(): QueueWaits;
  /** Stop every executor process. */
  close(): Promise<void>;
}

/**
 * What an executor process is for: an app's invocations, or deploy checks of that app's modules.
 * Each app has at most one executor of each kind, so a bad deploy never disturbs the app's own.
 */
export type JobKind = "app" | "check";

/** A live executor process. */
export interface ExecutorStats {
  appId: string;
  job: JobKind;
  pid: number;
  rssMb: number;
  inFlight: number;
  loadedVersions: number;
  startedAt: number;
  lastUsedAt: number;
}
