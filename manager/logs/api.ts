/**
 * @module `GET /apps/{app}/logs`: execution logs of an app, newest first with keyset pagination,
 * or (`follow=1`) a Server-Sent Events live tail woken by the log feed, which ends within about
 * a second once its credential or the caller's access to the app is gone. Needs app viewer. The
 * logs service authorizes and reads; this module parses, responds and streams.
 */
import type { Context } from "hono";
import { z } from "zod";
import { type AuthEnv, reauthenticate } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { isoDateTime } from "../validate.ts";
import { appStats, type LogTail, openLogTail, readLogs } from "./service.ts";

/** Interval of the SSE keep-alive comment while a client is connected. */
export const HEARTBEAT_MS = 15_000;

/**
 * How often an open tail re-checks that its credential would still be let in (session or key
 * alive, user active, still a viewer of the app, app not deleted). Only while a tail is open.
 */
export const REVALIDATE_MS = 1_000;

const date = isoDateTime.transform((s) => new Date(s));
/** How an invocation can end: the `outcome` of a log entry. */
export const OUTCOMES = [
  "ok",
  "timeout",
  "memory",
  "body_too_large",
  "response_too_large",
  "concurrency",
  "capacity",
  "crashed",
  "client_closed",
  "rejected",
] as const;

/** What started an invocation: the `trigger` of a log entry. */
export const TRIGGERS = ["http", "cron", "execute"] as const;

/** `GET /apps/{app}/logs`'s query (also the console's Logs tab filters). */
export const logsQuery = z.object({
  script: z.string().min(1).max(200).optional(),
  status: z.string().regex(/^([1-5][0-9][0-9]|[1-5]xx)$/, "Use a status (404) or a class (5xx)")
    .optional(),
  trigger: z.enum(TRIGGERS).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  since: date.optional(),
  until: date.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^[0-9]{1,18}$/, "Use the next_cursor of the previous page").optional(),
  follow: z.enum(["0", "1", "true", "false"]).optional(),
});
const appParams = z.object({ app: z.string() });

const limitSchema = z.object({ name: z.string(), limit: z.number(), used: z.number() });
const entrySchema = z.object({
  id: z.string(),
  at: z.string(),
  trigger: z.enum(["http", "cron", "execute"]),
  request_id: z.string(),
  script_id: z.uuid().nullable(),
  script_version_id: z.uuid().nullable(),
  version: z.number().int().nullable(),
  method: z.string().nullable(),
  path: z.string().nullable(),
  host: z.string().nullable(),
  status: z.number().int(),
  outcome: z.string(),
  duration_ms: z.number().int(),
  cpu_ms: z.number().nonnegative().nullable().describe(
    "CPU time of the script's thread while the request was in flight, in ms with µs precision " +
      "(time used while several requests of the script were in flight is shared equally)",
  ),
  memory_mb: z.number().int().nullable().describe(
    "Resident memory of the app's executor process when the request ended (what its memory " +
      "limit applies to)",
  ),
  limit: limitSchema.nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  logs: z.array(z.object({ level: z.string(), message: z.string(), at: z.number() })),
});
const statsQuery = z.object({
  since: date.optional().describe("Start of the window (default: an hour ago; at most a day)"),
});
const bucketSchema = z.object({
  at: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
});
const gapSchema = z.object({
  id: z.string(),
  dropped: z.number().int().min(1),
  first_at: z.string(),
  last_at: z.string(),
}).describe(
  "`dropped` rows of this app were never recorded (the log buffer was full or a write failed); " +
    "their times fall between `first_at` and `last_at`",
);

/** Binds `/{app}/logs` and `/{app}/stats` under the apps router. */
export function bindLogsApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "/{app}/stats",
    summary: "Requests, errors (5xx or an abnormal end) and p50/p95 latency of an app per minute " +
      "over the last hour (or since `since`, at most a day), with its 10 newest errors",
    action: "logs.read",
    tag: "logs",
    params: appParams,
    query: statsQuery,
    responses: {
      200: {
        description: "Buckets oldest first, every minute of the window included",
        schema: z.object({
          since: z.string(),
          until: z.string(),
          bucket_ms: z.number().int(),
          buckets: z.array(bucketSchema),
          requests: z.number().int(),
          errors: z.number().int(),
          recent_errors: z.array(entrySchema),
          truncated: z.boolean(),
        }),
      },
      400: { description: "Invalid query" },
      404: { description: "No such app (or not visible)" },
    },
  }, async ({ p, params, query }, c) => c.json(await appStats(deps, p, params.app, query)));

  r.add({
    method: "get",
    path: "/{app}/logs",
    summary:
      "Execution logs of an app, newest first (keyset pages via next_cursor); follow=1 streams " +
      "new entries as Server-Sent Events (event: log). `gaps` lists rows that were never " +
      "recorded (N dropped between first_at and last_at) overlapping the page's time span, " +
      "whatever the script and status filters; a gap spanning two pages appears on both (same id)",
    action: "logs.read",
    tag: "logs",
    params: appParams,
    query: logsQuery,
    responses: {
      200: {
        description: "A page of entries, or with follow=1 a text/event-stream",
        schema: z.object({
          items: z.array(entrySchema),
          next_cursor: z.string().nullable(),
          gaps: z.array(gapSchema),
        }),
      },
      400: { description: "Invalid query" },
      404: { description: "No such app (or not visible)" },
    },
  }, async ({ p, params, query }, c) => {
    if (query.follow === "1" || query.follow === "true") {
      const credential = c.get("auth").credential ?? null;
      const tail = await openLogTail(deps, p, params.app, {
        ...query,
        reauthenticate: async () => credential && await reauthenticate(deps, credential),
      });
      return follow(c, deps, tail);
    }
    return c.json(await readLogs(deps, p, params.app, query));
  });
}

/**
 * The live tail: subscribes to the app's feed, and on each wake sends the rows after the last one
 * sent. Nothing runs between wakes except, while the client is connected, a heartbeat and the
 * access re-check: when `tail.stillAllowed` says no (or cannot tell), the stream ends.
 */
function follow(c: Context<AuthEnv>, deps: ManagerDeps, tail: LogTail): Response {
  const enc = new TextEncoder();
  const signal = c.req.raw.signal;
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      let lastId = "0";
      let draining: Promise<void> | undefined;
      let again = false;
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(enc.encode(text));
        } catch {
          stop();
        }
      };
      const drain = async () => {
        if (draining) {
          again = true;
          return;
        }
        draining = (async () => {
          do {
            again = false;
            for (;;) {
              const rows = await tail.after(lastId, 200);
              for (const row of rows) {
                send(`event: log\nid: ${row.id}\ndata: ${JSON.stringify(row)}\n\n`);
                lastId = row.id;
              }
              if (rows.length < 200 || closed) break;
            }
          } while (again && !closed);
        })().catch((err) => {
          deps.log.error("log tail read failed", { err: String(err) });
        }).finally(() => draining = undefined);
        await draining;
      };
      // Subscribe before reading the starting point: a row written in between is not lost.
      const unsubscribe = deps.logFeed.subscribe(tail.appId, () => void drain());
      const heartbeat = setInterval(() => send(": heartbeat\n\n"), HEARTBEAT_MS);
      let recheck: ReturnType<typeof setTimeout> | undefined;
      const revalidate = async () => {
        let ok = false;
        try {
          ok = await tail.stillAllowed();
        } catch (err) {
          deps.log.warn("log tail access check failed", { err: String(err) });
        }
        if (closed) return;
        if (!ok) {
          send(`event: end\ndata: ${JSON.stringify({ reason: "access_revoked" })}\n\n`);
          return stop();
        }
        recheck = setTimeout(revalidate, REVALIDATE_MS);
      };
      recheck = setTimeout(revalidate, REVALIDATE_MS);
      stop = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(recheck);
        signal.removeEventListener("abort", stop);
        deps.closing.removeEventListener("abort", stop);
        try {
          controller.close();
        } catch { /* already closed */ }
      };
      signal.addEventListener("abort", stop);
      deps.closing.addEventListener("abort", stop);
      if (signal.aborted || deps.closing.aborted) return stop();
      try {
        lastId = await tail.start();
      } catch (err) {
        deps.log.error("log tail start failed", { err: String(err) });
        return stop();
      }
      send(": following\n\n");
      void drain();
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}
