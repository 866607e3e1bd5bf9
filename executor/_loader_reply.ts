/**
 * @module How the loader Worker answers: replies batched per microtask, the count of
 * `waitUntil` work, a streamed request body, and a response sent whole or streamed within the
 * window the supervisor grants. Exports only factories and functions taking their sink: every
 * capability stays in the loader's own scope.
 */

import {
  CHUNK_BYTES,
  concatBytes,
  encodeBatch,
  type FailCode,
  headerPairs,
  INLINE_BYTES,
  type InvokeMessage,
  type WorkerOut,
} from "./_protocol.ts";
import { errorText, ScriptFault } from "./_loader_console.ts";
import { writeAll } from "./_frames.ts";

/** Queues a reply to the executor. */
export type Send = (msg: WorkerOut) => void;

/**
 * The reply queue over `post` (the Worker's link, `socketPost`): everything queued in one
 * microtask goes to the supervisor as one buffer.
 */
export function createOutbox(post: (batch: Uint8Array) => void): Send {
  /** Replies queued during this microtask; sent to the supervisor as one buffer. */
  let outbox: { header: Record<string, unknown>; body?: Uint8Array | null }[] = [];
  const flushOut = (): void => {
    const batch = encodeBatch(outbox);
    outbox = [];
    post(batch);
  };
  return (msg: WorkerOut): void => {
    if (outbox.length === 0) queueMicrotask(flushOut);
    const { body, ...header } = msg;
    outbox.push({ header, body });
    // The body is copied into the batch (the one copy of this hop): the script may reuse it.
  };
}

/**
 * A `post` for `createOutbox` that writes each batch to a socket, in order. The write starts in
 * the call itself (Deno makes the system call when the write begins if the socket has room), so a
 * reply is out even if the script then blocks its thread, as a posted message would be.
 */
export function socketPost(
  conn: { write(p: Uint8Array): Promise<number> },
): (batch: Uint8Array) => void {
  const waiting: Uint8Array[] = [];
  let busy = false;
  const pump = async () => {
    busy = true;
    try {
      for (let batch = waiting.shift(); batch; batch = waiting.shift()) await writeAll(conn, batch);
    } catch {
      // The supervisor is gone: nothing more can be said, and the process ends with it.
      waiting.length = 0;
    } finally {
      busy = false;
    }
  };
  return (batch) => {
    waiting.push(batch);
    if (!busy) pump();
  };
}

/** The `ctx.waitUntil` counter. */
export interface Background {
  pending: number;
  /** Counts `promise` until it settles; `settled` is called then (after a rejection's line). */
  add(promise: unknown, settled?: () => void): void;
}

/**
 * Counts `ctx.waitUntil` promises still pending and tells the executor when there start or stop
 * being any: the supervisor keeps the process awake (not frozen) for them, within a budget.
 */
export function createBackground(
  send: Send,
  text: (err: unknown) => string = errorText,
): Background {
  return {
    pending: 0,
    add(promise: unknown, settled?: () => void): void {
      if (this.pending++ === 0) send({ t: "bg", pending: true });
      Promise.resolve(promise).catch((err) => console.error("waitUntil rejected:", text(err)))
        .finally(() => {
          if (--this.pending === 0) send({ t: "bg", pending: false });
          settled?.();
        });
    },
  };
}

/** One invocation in this Worker: its request body, its response flow and how to stop it. */
export interface Live {
  id: number;
  abort: AbortController;
  /** The request body's controller while it streams in. */
  body: ReadableStreamDefaultController<Uint8Array> | null;
  /** Request body bytes received and not yet consumed. */
  queued: number;
  /** Response bytes the supervisor still accepts before it reports more consumed. */
  window: number;
  creditWaiter: (() => void) | null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  cancelled: boolean;
  /** Its own `ctx.waitUntil` promises not yet settled. */
  waits: number;
  /** Set while its ending was sent and it waits for those promises (or a cancel) to finish. */
  settle: (() => void) | null;
}

/** A request body that streams in as the executor forwards it and reports what is consumed. */
export function streamedBody(state: Live, send: Send): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      state.body = controller;
    },
    pull() {
      // With no queue (high-water mark 0), a pull means everything enqueued was read.
      if (state.queued > 0) {
        send({ t: "credit", id: state.id, bytes: state.queued });
        state.queued = 0;
      }
    },
    cancel() {
      state.body = null;
      // The script does not want the rest: the executor may send it without waiting.
      send({ t: "credit", id: state.id, bytes: Number.MAX_SAFE_INTEGER });
    },
  }, { highWaterMark: 0 });
}

const SLOW = Symbol("slow");
/** At most this much of a response body that is ready at once is read before its head is sent. */
const PREBUFFER_BYTES = 16 * 1024 * 1024;
/**
 * The read's result if the body had it ready (a body made from a string, bytes or a closed
 * stream settles within a couple of microtasks), else SLOW: then the body is streamed.
 */
function soon<T>(read: Promise<T>): Promise<T | typeof SLOW> {
  let settled = false;
  let value: T | undefined;
  read.then((v) => {
    settled = true;
    value = v;
  }, () => {
    settled = true;
  });
  return (async () => {
    for (let i = 0; i < 6 && !settled; i++) await null;
    // A rejected read is awaited by the caller, which then sees the error.
    return settled ? (value !== undefined ? value : await read) : SLOW;
  })();
}

/** What an invocation ended with, for `invoke()` to send. */
export type Ending =
  | {
    t: "result";
    status: number;
    statusText: string;
    headers: [string, string][];
    body: Uint8Array<ArrayBuffer> | null;
  }
  | { t: "streamed" }
  | { t: "fail"; code: FailCode; message: string; producedBytes: number };

/**
 * Sends a response: in one reply when its whole body is ready at once and small (most
 * responses), else its head at once and then each chunk as it is produced, within the window
 * the supervisor grants (a slow client slows the script's stream; nothing piles up here).
 */
export async function respond(
  res: Response,
  msg: InvokeMessage,
  state: Live,
  send: Send,
): Promise<Ending> {
  const head = () => ({
    status: res.status,
    statusText: res.statusText,
    headers: headerPairs(res.headers),
  });
  if (!res.body) return { t: "result", ...head(), body: null };
  const reader = state.reader = res.body.getReader();
  const limit = msg.maxBodyBytes;
  // Whatever the body has ready at once is read first (up to the limit, bounded): a body over
  // the limit then still gets a clean 502, and a small one goes out in a single reply.
  const prebuffer = Math.min(limit + 1, PREBUFFER_BYTES);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  let ended = false;
  while (total < prebuffer) {
    const read = reader.read();
    const got = await soon(read);
    if (got === SLOW) {
      pending = read;
      break;
    }
    if (got.done) {
      if (total <= INLINE_BYTES) {
        // One chunk (most bodies) goes as it is: the batch it is sent in copies it.
        const body = total === 0
          ? null
          : chunks.length === 1
          ? chunks[0] as Uint8Array<ArrayBuffer>
          : concatBytes(chunks, total);
        return { t: "result", ...head(), body };
      }
      ended = true;
      break;
    }
    total += chunkBytes(got.value);
    if (total > limit) return tooLarge(reader, total);
    chunks.push(got.value);
  }
  if (state.cancelled) return { t: "streamed" };
  // The head goes out now; the body follows as the script produces it, within the window.
  send({ t: "head", id: msg.id, ...head() });
  for (const chunk of chunks) await sendChunk(state, chunk, send);
  while (!ended && !state.cancelled) {
    const next = await (pending ?? reader.read());
    pending = null;
    if (next.done) break;
    total += chunkBytes(next.value);
    if (total > limit) return tooLarge(reader, total);
    await sendChunk(state, next.value, send);
  }
  return { t: "streamed" };
}

/** A response body chunk's size; anything but bytes is the script's error, named as such. */
function chunkBytes(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  const kind = chunk === null
    ? "null"
    : typeof chunk === "object"
    ? chunk.constructor?.name
    : typeof chunk;
  throw new ScriptFault(`TypeError: response body chunks must be Uint8Array, got ${kind}`);
}

function tooLarge(reader: ReadableStreamDefaultReader<Uint8Array>, total: number): Ending {
  reader.cancel().catch(() => {});
  return {
    t: "fail",
    code: "response_too_large",
    message: "Response body over limit",
    producedBytes: total,
  };
}

/** Sends one body chunk in pieces of at most CHUNK_BYTES, each when the window allows. */
async function sendChunk(state: Live, chunk: Uint8Array, send: Send): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength && !state.cancelled; offset += CHUNK_BYTES) {
    while (state.window <= 0 && !state.cancelled) {
      await new Promise<void>((resolve) => state.creditWaiter = resolve);
    }
    if (state.cancelled) return;
    const piece = chunk.subarray(offset, offset + CHUNK_BYTES);
    state.window -= piece.byteLength;
    send({ t: "chunk", id: state.id, body: piece });
  }
}
