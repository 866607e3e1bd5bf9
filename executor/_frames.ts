/** @module Length-prefixed binary frames (JSON header + raw body) over a byte stream, shared by supervisor and child. */

/** Largest header accepted, in bytes; headers carry metadata and logs, never bodies. */
export const MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Largest body accepted in one frame, in bytes. */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;
/** Bodies at or above this size are written without copying them into the coalescing buffer. */
const DIRECT_WRITE_BYTES = 64 * 1024;
const PREFIX_BYTES = 8;

/** One decoded frame. */
export interface Frame {
  header: Record<string, unknown>;
  body: Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one frame as prefix+header and the body (kept separate so large bodies are not copied). */
export function encodeFrame(
  header: Record<string, unknown>,
  body?: Uint8Array | null,
): [Uint8Array, Uint8Array | null] {
  const json = encoder.encode(JSON.stringify(header));
  const bodyLength = body?.byteLength ?? 0;
  if (json.byteLength > MAX_HEADER_BYTES) throw new RangeError("Frame header too large");
  if (bodyLength > MAX_FRAME_BODY_BYTES) throw new RangeError("Frame body too large");
  const head = new Uint8Array(PREFIX_BYTES + json.byteLength);
  const view = new DataView(head.buffer);
  view.setUint32(0, json.byteLength);
  // Body length 0 means "no body"; an empty body is sent as length 0 too and decoded as null.
  view.setUint32(4, bodyLength);
  head.set(json, PREFIX_BYTES);
  return [head, bodyLength > 0 ? body! : null];
}

/** Writes frames to a stream, coalescing the small ones queued in the same microtask. */
export class FrameWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #failed: unknown = null;

  /** Wraps a writable byte stream; the writer owns its lock. */
  constructor(writable: WritableStream<Uint8Array>) {
    this.#writer = writable.getWriter();
  }

  /** Queues one frame; throws if the stream already failed. */
  send(header: Record<string, unknown>, body?: Uint8Array | null): void {
    if (this.#failed) throw this.#failed;
    const [head, payload] = encodeFrame(header, body);
    this.#push(head);
    if (payload) this.#push(payload);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #push(part: Uint8Array): void {
    this.#queue.push(part);
    this.#queuedBytes += part.byteLength;
  }

  #flush(): void {
    if (!this.#scheduled) return;
    this.#scheduled = false;
    const parts = this.#queue;
    const total = this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    const chunks: Uint8Array[] = [];
    let small: Uint8Array[] = [];
    let smallBytes = 0;
    const pushSmall = () => {
      if (small.length === 1) chunks.push(small[0]);
      else if (small.length > 1) {
        const merged = new Uint8Array(smallBytes);
        let offset = 0;
        for (const s of small) {
          merged.set(s, offset);
          offset += s.byteLength;
        }
        chunks.push(merged);
      }
      small = [];
      smallBytes = 0;
    };
    for (const part of parts) {
      if (part.byteLength >= DIRECT_WRITE_BYTES && total > part.byteLength) {
        pushSmall();
        chunks.push(part);
      } else {
        small.push(part);
        smallBytes += part.byteLength;
      }
    }
    pushSmall();
    this.#chain = this.#chain.then(async () => {
      for (const chunk of chunks) await this.#writer.write(chunk);
    }).catch((err) => {
      this.#failed ??= err;
    });
  }

  /** Closes the underlying stream after pending writes. */
  async close(): Promise<void> {
    if (this.#scheduled) this.#flush();
    await this.#chain;
    await this.#writer.close().catch(() => {});
  }
}

/** Reads frames from a byte stream; rejects oversized frames by throwing before buffering them. */
export async function* readFrames(
  readable: ReadableStream<Uint8Array>,
  limits: { maxHeaderBytes?: number; maxBodyBytes?: () => number } = {},
): AsyncGenerator<Frame> {
  const maxHeader = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const maxBody = () =>
    Math.min(limits.maxBodyBytes?.() ?? MAX_FRAME_BODY_BYTES, MAX_FRAME_BODY_BYTES);
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let offset = 0;
    while (offset < n) {
      const head = chunks[0];
      const need = n - offset;
      if (head.byteLength <= need) {
        out.set(head, offset);
        offset += head.byteLength;
        chunks.shift();
      } else {
        out.set(head.subarray(0, need), offset);
        chunks[0] = head.subarray(need);
        offset += need;
      }
    }
    buffered -= n;
    return out;
  };
  const fill = async (n: number): Promise<boolean> => {
    while (buffered < n) {
      const { value, done } = await reader.read();
      if (done) return false;
      chunks.push(value);
      buffered += value.byteLength;
    }
    return true;
  };
  try {
    while (true) {
      if (!(await fill(PREFIX_BYTES))) return;
      const prefix = take(PREFIX_BYTES);
      const view = new DataView(prefix.buffer);
      const headerLength = view.getUint32(0);
      const bodyLength = view.getUint32(4);
      if (headerLength > maxHeader || bodyLength > maxBody()) {
        throw new RangeError(`Frame too large (header ${headerLength}, body ${bodyLength})`);
      }
      if (!(await fill(headerLength + bodyLength))) throw new Error("Stream ended inside a frame");
      const header = JSON.parse(decoder.decode(take(headerLength)));
      if (typeof header !== "object" || header === null || Array.isArray(header)) {
        throw new TypeError("Frame header is not an object");
      }
      yield { header, body: bodyLength > 0 ? take(bodyLength) : null };
    }
  } finally {
    reader.releaseLock();
  }
}
