/** @module Runs a routed request in its script's executor and records the invocation. */
import type { LimitDefaults } from "../common/config.ts";
import { errorResponse } from "../common/errors.ts";
import type {
  Completion,
  ExecutorPool,
  Invocation,
  InvokeOptions,
  ScriptRef,
  Trigger,
} from "../executor/mod.ts";
import type { LogWriter } from "./log_writer.ts";
import type { ScriptRow } from "./repo.ts";
import type { SourceCache } from "./source_cache.ts";
import type { StackMaps } from "./stack_maps.ts";

/** What dispatch needs; built once in `main.ts`. */
export interface DispatchDeps {
  pool: ExecutorPool;
  sources: SourceCache;
  logs: LogWriter;
  limits: LimitDefaults;
  /** Maps frames of bundled versions to the upload's files; without it, traces stay as they are. */
  maps?: StackMaps;
}

/** The request being dispatched and where it came from. */
export interface DispatchInput {
  script: ScriptRow;
  app: { id: string; slug: string };
  params: Record<string, string>;
  trigger: Trigger;
  remoteAddr: InvokeOptions["remoteAddr"];
  host: string | null;
  /** `req.url`, already parsed by the caller (recorded in the execution log). */
  url: URL;
}

/** Per-script limits: the policy may narrow the platform defaults, never widen them. */
export function effectiveLimits(defaults: LimitDefaults, policy: ScriptRow["policy"]) {
  const narrow = (v: number | undefined, cap: number) =>
    typeof v === "number" && v > 0 ? Math.min(v, cap) : cap;
  return {
    timeoutMs: narrow(policy.timeoutMs, defaults.timeoutMs),
    memoryLimitMb: narrow(policy.memoryLimitMb, defaults.memoryLimitMb),
    maxBodyBytes: narrow(policy.maxBodyBytes, defaults.maxBodyBytes),
    maxConcurrency: narrow(policy.maxConcurrency, defaults.maxConcurrency),
  };
}

/**
 * The `ScriptRef` of a routing snapshot's script row, once its source has loaded: a row is
 * immutable (a reload replaces every row), so the request path builds the ref and awaits the
 * source cache once per row, not per request. At most `MAX_REFS` rows, oldest out first (rows of
 * earlier snapshots leave as the current ones come in).
 */
const refs = new Map<
  ScriptRow,
  { deps: DispatchDeps; app: { id: string; slug: string }; ref: ScriptRef }
>();
const MAX_REFS = 1000;

/** Resolves the script's live version into a `ScriptRef`, or null if it has none. */
export function resolveScript(
  deps: DispatchDeps,
  script: ScriptRow,
  app: { id: string; slug: string },
): Promise<ScriptRef | null> {
  const known = knownRef(deps, script, app);
  return known ? Promise.resolve(known) : loadRef(deps, script, app);
}

/** The row's ref built from its version's source (and remembered for the row). */
function loadRef(
  deps: DispatchDeps,
  script: ScriptRow,
  app: { id: string; slug: string },
): Promise<ScriptRef | null> {
  if (!script.activeVersionId) return Promise.resolve(null);
  const versionId = script.activeVersionId;
  return deps.sources.get(versionId).then((code) => {
    if (code === null) return null;
    const ref: ScriptRef = {
      appId: app.id,
      appSlug: app.slug,
      scriptId: script.id,
      versionId,
      source: code.source,
      entry: code.entry ?? undefined,
      env: script.env,
      limits: effectiveLimits(deps.limits, script.policy),
      netAllow: script.policy.allowedHosts ?? [],
    };
    if (refs.size >= MAX_REFS) refs.delete(refs.keys().next().value!);
    refs.set(script, { deps, app, ref });
    return ref;
  });
}

/** The row's ref if it was resolved before, with these deps, for this app (id and slug). */
function knownRef(
  deps: DispatchDeps,
  script: ScriptRow,
  app: { id: string; slug: string },
): ScriptRef | undefined {
  const known = refs.get(script);
  if (!known || known.deps !== deps) return undefined;
  return known.app.id === app.id && known.app.slug === app.slug ? known.ref : undefined;
}

/** Dispatches `req` to the script and queues its execution log row. */
export function dispatch(
  deps: DispatchDeps,
  req: Request,
  input: DispatchInput,
): Promise<Response> {
  return dispatchTraced(deps, req, input).then(responseOf);
}

const responseOf = (d: Dispatched) => d.response;

/** One dispatched request as its caller may follow it beyond the response. */
export interface Dispatched {
  /** The script's response (or the platform's error response), `x-request-id` set. */
  response: Response;
  /** The execution log's `request_id` of this invocation (null when nothing ran). */
  requestId: string | null;
  /**
   * Settles once the response was delivered (or the invocation ended otherwise) with the final
   * outcome, console lines and usage; null when nothing ran.
   */
  completed: Promise<Completion | null>;
}

/**
 * `dispatch`, also answering the request id and the invocation's completion. (Plain functions
 * and `then` on the request path: each async function costs a promise and a saved frame.)
 */
export function dispatchTraced(
  deps: DispatchDeps,
  req: Request,
  input: DispatchInput,
): Promise<Dispatched> {
  const requestId = crypto.randomUUID();
  const known = knownRef(deps, input.script, input.app);
  if (known) return fetchTraced(deps, req, input, requestId, known);
  return loadRef(deps, input.script, input.app).then((ref) =>
    fetchTraced(deps, req, input, requestId, ref)
  );
}

function fetchTraced(
  deps: DispatchDeps,
  req: Request,
  input: DispatchInput,
  requestId: string,
  ref: ScriptRef | null,
): Promise<Dispatched> {
  if (!ref) {
    const response = errorResponse("no_active_version", "The script has no deployed version", {
      script_id: input.script.id,
    });
    return Promise.resolve({ response, requestId: null, completed: Promise.resolve(null) });
  }
  return deps.pool.fetch(ref, req, {
    params: input.params,
    requestId,
    remoteAddr: input.remoteAddr,
    trigger: input.trigger,
    signal: () => req.signal,
  }).then((inv) => {
    const status = inv.response.status;
    // A streamed response is logged once it has been delivered, with its final outcome; one
    // with `ctx.waitUntil` work once that settled, with the lines it logged.
    const completed = inv.completed.then((done) => {
      pushRow(
        deps,
        ref,
        logRow(ref, done, status, {
          trigger: input.trigger,
          requestId,
          method: req.method,
          path: input.url.pathname + input.url.search,
          host: input.host,
        }),
      );
      return done;
    });
    inv.response.headers.set("x-request-id", requestId);
    return { response: inv.response, requestId, completed };
  });
}

/** Runs a script's `scheduled(event, ctx)` and queues its execution log row. */
export async function dispatchScheduled(
  deps: DispatchDeps,
  input: {
    script: ScriptRow;
    app: { id: string; slug: string };
    cron: string;
    scheduledTime: number;
  },
): Promise<Invocation | null> {
  const ref = await resolveScript(deps, input.script, input.app);
  if (!ref) return null;
  const requestId = crypto.randomUUID();
  const inv = await deps.pool.scheduled(ref, {
    cron: input.cron,
    scheduledTime: input.scheduledTime,
  }, {
    params: {},
    requestId,
    remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 0 },
    trigger: "cron",
  });
  const status = inv.response.status;
  // Recorded once its waitUntil work settled too, with the lines that work logged.
  inv.completed.then((done) =>
    pushRow(
      deps,
      ref,
      logRow(ref, done, status, {
        trigger: "cron",
        requestId,
        method: null,
        path: input.cron,
        host: null,
      }),
    )
  );
  return inv;
}

/**
 * Queues a log row: at once when it names no stack frame (the usual row), else once its frames
 * are mapped to the upload's files (`pushLater`, which `flush` and `close` wait for).
 */
function pushRow(
  deps: Pick<DispatchDeps, "maps" | "logs">,
  ref: Pick<ScriptRef, "versionId" | "entry">,
  row: ReturnType<typeof logRow>,
): void {
  if (!deps.maps || (row.error === null && row.logs.length === 0)) return deps.logs.push(row);
  deps.logs.pushLater(withUserFrames(deps, ref, row));
}

/** Builds the execution log row of one invocation. */
export function logRow(
  ref: ScriptRef,
  inv: Completion,
  status: number,
  req: {
    trigger: Trigger;
    requestId: string;
    method: string | null;
    path: string | null;
    host: string | null;
  },
) {
  const o = inv.outcome;
  return {
    app_id: ref.appId,
    script_id: ref.scriptId,
    script_version_id: ref.versionId,
    trigger: req.trigger,
    request_id: req.requestId,
    method: req.method,
    path: req.path?.slice(0, 2048) ?? null,
    host: req.host,
    // A stream that broke off after its head was sent: the client saw that status, cut short.
    status,
    outcome: o.kind,
    duration_ms: Math.round(inv.durationMs),
    cpu_ms: inv.cpuMs === null ? null : Math.round(inv.cpuMs * 1000) / 1000,
    memory_mb: inv.memoryMb,
    logs: inv.logs,
    error: o.kind === "ok" ? null : o,
    at: new Date(),
  };
}

/**
 * The log row with the frames of a bundled version named at the upload's files and lines (the
 * outcome's error text and the console lines); a row of an unbundled version is returned as is.
 */
export async function withUserFrames(
  deps: Pick<DispatchDeps, "maps">,
  ref: Pick<ScriptRef, "versionId" | "entry">,
  row: ReturnType<typeof logRow>,
): Promise<ReturnType<typeof logRow>> {
  const maps = deps.maps;
  if (!maps) return row;
  const entry = ref.entry ?? "main.ts";
  const remap = (text: string) => maps.remap(ref.versionId, entry, text);
  let error = row.error;
  if (error?.kind === "rejected") error = { ...error, error: await remap(error.error) };
  else if (error?.kind === "crashed") error = { ...error, reason: await remap(error.reason) };
  const logs = await Promise.all(
    row.logs.map(async (l) => {
      const message = await remap(l.message);
      return message === l.message ? l : { ...l, message };
    }),
  );
  return { ...row, error, logs };
}
