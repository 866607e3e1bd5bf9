/** @module Length-prefixed binary frames (JSON header + raw body) over a socket, shared by supervisor and child: reads into one reused buffer, writes once per event-loop turn. */

import { KIND_CALL, PREFIX_BYTES, putFrameHead } from "./_protocol.ts";

/** Largest header accepted, in bytes; headers carry metadata and logs, never bodies. */
export const MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Largest body accepted in one frame, in bytes (a script's source; bodies travel in chunks). */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;
/** Bodies at or above this size are written as they are, not copied into the turn's buffer. */
const DIRECT_WRITE_BYTES = 64 * 1024;
/** Bodies at or above this size are read straight into their own buffer (one copy). */
const DIRECT_READ_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 64 * 1024;

/** One decoded frame; `w` and `kind` come from its prefix (see `_protocol.ts`). */
export interface Frame {
  header: Record<string, unknown>;
  body: Uint8Array | null;
  w: number;
  kind: number;
}

/** The part of a `Deno.Conn` the frame codec uses (a test may pass any pair of pipes). */
export interface ByteConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
}

const decoder = new TextDecoder();

/** The buffer this turn's frames are encoded into (grown, or replaced when full). */
const TURN_BUFFER_BYTES = 64 * 1024;

/**
 * Writes frames to a socket. Every frame queued during one turn of the event loop goes out in one
 * write (a busy peer is woken once per turn, not once per frame): frames are encoded straight into
 * one reused buffer, small bodies copied after their header, large bodies written as they are.
 * Back-pressure is the callers' (each invocation's body flows within a credit window).
 */
export class FrameWriter {
  #conn: ByteConn;
  /** What is handed to the socket next, in order: views of the buffer and large bodies. */
  #queue: Uint8Array[] = [];
  #buf = new Uint8Array(TURN_BUFFER_BYTES);
  #view = new DataView(this.#buf.buffer);
  /** `#buf[0, #sealed)` is queued (or written); `#buf[#sealed, #len)` holds frames not yet queued. */
  #sealed = 0;
  #len = 0;
  #scheduled = false;
  #writing: Promise<void> | null = null;
  #failed: unknown = null;
  #drained: (() => void)[] = [];

  /** Wraps the writing side of a socket. */
  constructor(conn: ByteConn) {
    this.#conn = conn;
  }

  /** Queues one frame; throws if the socket already failed or the frame is over the limits. */
  send(header: Record<string, unknown>, body?: Uint8Array | null, w = 0, kind = KIND_CALL): void {
    if (this.#failed) throw this.#failed;
    const bodyLength = body?.byteLength ?? 0;
    if (bodyLength > MAX_FRAME_BODY_BYTES) throw new RangeError("Frame body too large");
    const json = JSON.stringify(header);
    // Body length 0 means "no body"; an empty body is sent as length 0 too and decoded as null.
    const inline = bodyLength > 0 && bodyLength < DIRECT_WRITE_BYTES;
    this.#room(PREFIX_BYTES + json.length * 3 + (inline ? bodyLength : 0));
    const head = putFrameHead(this.#buf, this.#view, this.#len, json, bodyLength, w, kind);
    // Not counted in `#len`: the refused frame's bytes are written over by the next one.
    if (head - PREFIX_BYTES > MAX_HEADER_BYTES) throw new RangeError("Frame header too large");
    this.#len += head;
    if (inline) {
      this.#buf.set(body!, this.#len);
      this.#len += bodyLength;
    } else if (bodyLength > 0) {
      this.#seal();
      this.#queue.push(body!);
    }
    this.#schedule();
  }

  /** Queues the frames encoded since the last seal (a view: never written over until sent). */
  #seal(): void {
    if (this.#len === this.#sealed) return;
    this.#queue.push(this.#buf.subarray(this.#sealed, this.#len));
    this.#sealed = this.#len;
  }

  /** Room for `bytes` more: a full buffer is left to the views queued from it for a new one. */
  #room(bytes: number): void {
    if (this.#len + bytes <= this.#buf.byteLength) return;
    this.#seal();
    this.#buf = new Uint8Array(Math.max(TURN_BUFFER_BYTES, bytes));
    this.#view = new DataView(this.#buf.buffer);
    this.#sealed = this.#len = 0;
  }

  #idle(): boolean {
    return this.#queue.length === 0 && this.#len === this.#sealed;
  }

  #schedule(): void {
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Resolves once everything queued so far is written (or the socket failed). */
  drained(): Promise<void> {
    if (this.#idle() && !this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#writing || this.#idle()) return;
    this.#writing = this.#writeAll().finally(() => {
      this.#writing = null;
      if (!this.#idle() && !this.#failed) return this.#flush();
      const waiters = this.#drained;
      this.#drained = [];
      for (const resolve of waiters) resolve();
    });
  }

  async #writeAll(): Promise<void> {
    try {
      for (;;) {
        this.#seal();
        if (this.#queue.length === 0) break;
        const parts = this.#queue;
        this.#queue = [];
        for (const chunk of parts) await writeAll(this.#conn, chunk);
      }
    } catch (err) {
      this.#failed ??= err;
      this.#queue = [];
    } finally {
      // Everything is written (or dropped): the buffer is reused from its start, a grown one let go.
      this.#sealed = this.#len = 0;
      if (this.#buf.byteLength > TURN_BUFFER_BYTES) {
        this.#buf = new Uint8Array(TURN_BUFFER_BYTES);
        this.#view = new DataView(this.#buf.buffer);
      }
    }
  }

  /** Waits for pending writes; the caller closes the socket. */
  async close(): Promise<void> {
    if (this.#scheduled) this.#flush();
    while (this.#writing) await this.#writing;
  }
}

/** Writes all of `bytes`, however many writes the socket takes. */
export async function writeAll(conn: Pick<ByteConn, "write">, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    offset += await conn.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}

/** Limits of a frame reader; `maxBodyBytes` is read per frame (it may grow over time). */
export interface ReadLimits {
  maxHeaderBytes?: number;
  maxBodyBytes?: () => number;
}

/**
 * Reads frames from a socket until it ends, calling `onFrame` for each, synchronously for all the
 * frames one read delivered (so the callee can batch what it does with them) and then `onBatch`.
 * Reads go into one reused buffer; a frame body is copied out once (large ones are read straight
 * into their own buffer). Throws on an oversized or malformed frame before buffering it.
 */
export async function readFrames(
  conn: ByteConn,
  onFrame: (frame: Frame) => void,
  limits: ReadLimits = {},
  onBatch: () => void = () => {},
): Promise<void> {
  const maxHeader = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const maxBody = () =>
    Math.min(limits.maxBodyBytes?.() ?? MAX_FRAME_BODY_BYTES, MAX_FRAME_BODY_BYTES);
  let buf = new Uint8Array(READ_BUFFER_BYTES);
  let view = new DataView(buf.buffer);
  let start = 0;
  let end = 0;
  /** Makes room for a frame of `need` bytes from `start`, then reads once; false at the end. */
  const fill = async (need: number): Promise<boolean> => {
    if (buf.byteLength < need) {
      const bigger = new Uint8Array(Math.max(need, buf.byteLength * 2));
      bigger.set(buf.subarray(start, end));
      buf = bigger;
      view = new DataView(buf.buffer);
      end -= start;
      start = 0;
    } else if (buf.byteLength - start < need || start > buf.byteLength / 2) {
      buf.copyWithin(0, start, end);
      end -= start;
      start = 0;
    }
    const n = await conn.read(buf.subarray(end));
    if (n === null) return false;
    end += n;
    return true;
  };
  const readExact = async (into: Uint8Array): Promise<void> => {
    let offset = 0;
    const have = Math.min(end - start, into.byteLength);
    into.set(buf.subarray(start, start + have));
    start += have;
    offset += have;
    while (offset < into.byteLength) {
      const n = await conn.read(into.subarray(offset));
      if (n === null) throw new Error("Stream ended inside a frame");
      offset += n;
    }
  };
  for (;;) {
    // Every complete frame already buffered is handled before the next read.
    while (end - start >= PREFIX_BYTES) {
      const headerLength = view.getUint32(start);
      const bodyLength = view.getUint32(start + 4);
      const w = view.getUint32(start + 8);
      const kind = view.getUint32(start + 12);
      if (headerLength > maxHeader || bodyLength > maxBody()) {
        throw new RangeError(`Frame too large (header ${headerLength}, body ${bodyLength})`);
      }
      const total = PREFIX_BYTES + headerLength + bodyLength;
      if (end - start < total) {
        if (bodyLength < DIRECT_READ_BYTES || end - start < PREFIX_BYTES + headerLength) break;
        // A large body: the header is here, the body is read straight into its own buffer.
        const header = parseHeader(
          buf.subarray(start + PREFIX_BYTES, start + PREFIX_BYTES + headerLength),
        );
        start += PREFIX_BYTES + headerLength;
        const body = new Uint8Array(bodyLength);
        await readExact(body);
        onFrame({ header, body, w, kind });
        continue;
      }
      const header = parseHeader(
        buf.subarray(start + PREFIX_BYTES, start + PREFIX_BYTES + headerLength),
      );
      const bodyAt = start + PREFIX_BYTES + headerLength;
      const body = bodyLength > 0 ? buf.slice(bodyAt, bodyAt + bodyLength) : null;
      start += total;
      onFrame({ header, body, w, kind });
    }
    if (start === end) start = end = 0;
    onBatch();
    const pending = end - start;
    let need = pending + 1;
    if (pending >= PREFIX_BYTES) {
      const headerLength = view.getUint32(start);
      const bodyLength = view.getUint32(start + 4);
      need = PREFIX_BYTES + headerLength + (bodyLength < DIRECT_READ_BYTES ? bodyLength : 0);
    }
    if (!(await fill(need))) {
      if (end - start > 0) throw new Error("Stream ended inside a frame");
      return;
    }
  }
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> {
  const header = JSON.parse(decoder.decode(bytes));
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new TypeError("Frame header is not an object");
  }
  return header;
}
