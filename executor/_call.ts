/** @module One invocation in flight on the trusted side: streams the request body in and the response out with back-pressure, enforces the body limits as bytes flow, and ends it at its deadline. */

import { errorResponse } from "./_errors.ts";
import { CHUNK_BYTES, WINDOW_BYTES } from "./_protocol.ts";
import type { InvokeMessage } from "./_protocol.ts";
import { sanitizeLogs } from "./_reply.ts";
import { invalidResponse, responseOf } from "./_response.ts";
import { watchCancel } from "./_cancel_watch.ts";
import type { Death, InvocationSink } from "./_invocation.ts";
import type { ExecutorProcess } from "./supervisor.ts";
import type { Completion, Invocation, LogLine, Outcome } from "./types.ts";

const MAX_ERROR_CHARS = 4_000;
/** A call still running after this long learns when its client goes away. */
const CLIENT_WATCH_MS = 100;
/** How long a Worker has to hand over its waitUntil lines once cancelled at the time limit. */
const TAIL_ACK_MS = 250;

/** What a call needs from the pool. */
export interface CallOptions {
  ex: ExecutorProcess;
  msg: Omit<InvokeMessage, "t" | "id" | "stream">;
  /** The request body to stream to the script, or null. */
  body: ReadableStream<Uint8Array> | null;
  timeoutMs: number;
  maxBodyBytes: number;
  requestId: string;
  start: number;
  /**
   * The client's signal (aborts when it goes away), asked for only once the call has run for a
   * sweep interval: creating it costs every request an AbortController and a DOMException.
   */
  signal?: () => AbortSignal;
  /** Kills the executor because this call's script thread stays busy after its deadline. */
  kill: (reason: string) => void;
  log: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Runs one invocation. `head` settles with the Invocation to answer as soon as the response's
 * status and headers exist (or it failed); `completed` settles once its body was delivered, or
 * the call ended otherwise, and its `ctx.waitUntil` work settled (or was cut short at the
 * deadline), with what the execution log records.
 */
export class Call implements InvocationSink {
  readonly head: Promise<Invocation>;
  readonly completed: Promise<Completion>;
  /** When the call's time is up (performance.now() clock). */
  readonly deadline: number;
  #o: CallOptions;
  #id = 0;
  #answer: (inv: Invocation) => void = () => {};
  #complete: (c: Completion) => void = () => {};
  #answered = false;
  #done = false;
  #logs: LogLine[] = [];
  // Answered while its `ctx.waitUntil` work runs: the completion waits for that work's `done`.
  #holding = false;
  #held: { outcome: Outcome; cpuUs: number | null } | null = null;
  #tailCancelAt = 0;
  // Request body towards the Worker.
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #sentBytes = 0;
  #unacked = 0;
  #creditWaiter: (() => void) | null = null;
  #bodyDone = true;
  // Response body towards the client.
  #stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  #responseBytes = 0;
  #uncredited = 0;
  // Cancellation.
  #cancelled = false;
  #acked = false;
  #watching = false;
  #onAbort = () => this.#clientClosed();
  #signal: AbortSignal | null = null;

  constructor(o: CallOptions) {
    this.#o = o;
    this.deadline = o.start + o.timeoutMs;
    this.head = new Promise((resolve) => this.#answer = resolve);
    this.completed = new Promise((resolve) => this.#complete = resolve);
  }

  /** Sends the invocation (and starts streaming its body). */
  begin(): void {
    const { ex, msg, body } = this.#o;
    this.#bodyDone = body === null;
    this.#id = ex.invoke({ ...msg, stream: body !== null }, this);
    if (body) this.#pump(body);
  }

  /**
   * Starts watching the client once the call has run `CLIENT_WATCH_MS` (see
   * `CallOptions.signal`); called by the pool's sweep.
   */
  watchClient(now: number): void {
    if (this.#signal || this.#done || !this.#o.signal) return;
    if (now - this.#o.start < CLIENT_WATCH_MS) return;
    const signal = this.#signal = this.#o.signal();
    if (signal.aborted) return this.#clientClosed();
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  async #pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const { ex, msg, maxBodyBytes } = this.#o;
    const reader = this.#reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (this.#cancelled) return;
        if (done) break;
        this.#sentBytes += value.byteLength;
        if (this.#sentBytes > maxBodyBytes) return this.#bodyTooLarge();
        for (let offset = 0; offset < value.byteLength; offset += CHUNK_BYTES) {
          // The script reads at its own pace: never more than a window ahead of it.
          // A call that ended (the script answered without reading the rest) stops its upload.
          while (this.#unacked >= WINDOW_BYTES && !this.#cancelled && !this.#done) {
            await new Promise<void>((resolve) => this.#creditWaiter = resolve);
          }
          if (this.#cancelled || this.#done) return;
          const piece = value.byteLength <= CHUNK_BYTES
            ? value
            : value.subarray(offset, offset + CHUNK_BYTES);
          this.#unacked += piece.byteLength;
          ex.send(this.#id, msg.w, { t: "chunk" }, piece);
        }
      }
      this.#bodyDone = true;
      if (!this.#done) ex.send(this.#id, msg.w, { t: "end" });
    } catch {
      // The client's body failed: it went away, or its upload broke off.
      if (!this.#cancelled) this.#clientClosed();
    } finally {
      this.#reader = null;
    }
  }

  #bodyTooLarge(): void {
    const { ex, msg, maxBodyBytes } = this.#o;
    this.#reader?.cancel().catch(() => {});
    const message =
      `Request body over the script's limit of ${maxBodyBytes} bytes (received ${this.#sentBytes})`;
    ex.send(this.#id, msg.w, { t: "abort", code: "body_too_large", message });
    this.#stop("limit", {
      kind: "body_too_large",
      limitBytes: maxBodyBytes,
      receivedBytes: this.#sentBytes,
    });
  }

  onFrame(header: Record<string, unknown>, body: Uint8Array | null, cpuUs: number | null): void {
    const t = header.t;
    // The Worker answered after a cancel: it was not stuck.
    if (t === "ack" || t === "result" || t === "end" || t === "fail") this.#acked = true;
    switch (t) {
      case "credit":
        this.#unacked = Math.max(0, this.#unacked - Math.max(0, Number(header.bytes) || 0));
        this.#wakePump();
        return;
      case "ack":
        // Cancelled at the time limit while its waitUntil work ran: its lines so far come along.
        if (this.#held) this.#finishTail(header.logs, this.#tailTimeoutNote());
        return;
      case "done":
        return this.#finishTail(header.logs);
      case "result":
        if (header.wait === true) this.#holding = true;
        return this.#result(header, body, cpuUs);
      case "head":
        return this.#head(header);
      case "chunk":
        return this.#chunk(body);
      case "end":
        if (header.wait === true) this.#holding = true;
        this.#logs = this.#logs.concat(sanitizeLogs(header.logs));
        this.#finishStream(cpuUs);
        return;
      case "fail":
        if (header.wait === true) this.#holding = true;
        return this.#fail(header, cpuUs);
    }
  }

  onDeath(death: Death): void {
    if (this.#held) {
      const o = death.outcome;
      const why = o.kind === "crashed" ? o.reason : o.kind;
      return this.#finishTail([], `waitUntil work was cut short: ${why}`);
    }
    this.#end(death.outcome, null, death.code);
  }

  /**
   * The invocation's waitUntil work ended: `late` is what it logged after the response, `note`
   * says why it was cut short. Its completion (and so its execution log row) goes out now.
   */
  #finishTail(late: unknown, note?: string): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    this.#logs = this.#logs.concat(sanitizeLogs(late));
    if (note) this.#logs.push({ level: "warn", message: note, at: Date.now() });
    this.#completeWith(held.outcome, held.cpuUs);
  }

  #tailTimeoutNote(): string {
    return `waitUntil work was still running at the script's time limit of ${this.#o.timeoutMs} ms; ` +
      "what it logs later is not recorded";
  }

  /**
   * At the deadline, waitUntil work still running is cancelled: an idle-waiting Worker answers
   * with its lines at once; one that does not answer within `TAIL_ACK_MS` is completed without
   * its late lines and then watched, as for any timed-out script (killed if its thread is busy).
   */
  #expireTail(now: number): void {
    const { ex, msg, requestId, log, kill } = this.#o;
    if (!this.#cancelled) {
      this.#acked = false;
      this.#tailCancelAt = now;
      this.#cancelWorker("timeout");
      return;
    }
    if (this.#acked || this.#watching || now - this.#tailCancelAt < TAIL_ACK_MS) return;
    this.#watching = true;
    this.#finishTail([], this.#tailTimeoutNote());
    watchCancel({ ex, w: msg.w, id: this.#id, requestId, log, kill, acked: () => this.#acked });
  }

  #result(header: Record<string, unknown>, body: Uint8Array | null, cpuUs: number | null): void {
    this.#logs = sanitizeLogs(header.logs);
    const produced = body?.byteLength ?? 0;
    if (produced > this.#o.maxBodyBytes) {
      return this.#end(
        { kind: "response_too_large", limitBytes: this.#o.maxBodyBytes, producedBytes: produced },
        cpuUs,
      );
    }
    const response = responseOf(header, body);
    if (!response) return this.#end(invalidResponse(header), cpuUs);
    this.#responseBytes = produced;
    this.#answerWith(response, { kind: "ok" });
    this.#end({ kind: "ok" }, cpuUs);
  }

  #head(header: Record<string, unknown>): void {
    if (this.#answered || this.#done) return;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      pull: () => {
        // Everything enqueued so far was taken by the client: the script may send that much more.
        if (this.#uncredited > 0 && !this.#done) {
          this.#o.ex.send(this.#id, this.#o.msg.w, { t: "credit", bytes: this.#uncredited });
          this.#uncredited = 0;
        }
      },
      cancel: () => {
        this.#stream = null;
        this.#clientClosed();
      },
    }, { highWaterMark: 0 });
    const response = responseOf(header, stream);
    if (!response) {
      this.#cancelWorker("limit");
      return this.#end(invalidResponse(header), null);
    }
    this.#stream = controller;
    this.#answerWith(response, { kind: "ok" });
  }

  #chunk(body: Uint8Array | null): void {
    if (!body || !this.#stream) return;
    this.#responseBytes += body.byteLength;
    if (this.#responseBytes > this.#o.maxBodyBytes) {
      return this.#stop("limit", {
        kind: "response_too_large",
        limitBytes: this.#o.maxBodyBytes,
        producedBytes: this.#responseBytes,
      });
    }
    this.#uncredited += body.byteLength;
    this.#stream.enqueue(body);
  }

  #finishStream(cpuUs: number | null): void {
    try {
      this.#stream?.close();
    } catch { /* cancelled by the client */ }
    this.#stream = null;
    this.#end({ kind: "ok" }, cpuUs);
  }

  #fail(header: Record<string, unknown>, cpuUs: number | null): void {
    this.#logs = this.#logs.concat(sanitizeLogs(header.logs));
    const message = String(header.message).slice(0, MAX_ERROR_CHARS);
    if (header.code === "exit") {
      return this.#end({ kind: "crashed", reason: message }, cpuUs, "executor_crashed");
    }
    if (header.code === "response_too_large") {
      const producedBytes = Number(header.producedBytes) || this.#o.maxBodyBytes + 1;
      return this.#end(
        { kind: "response_too_large", limitBytes: this.#o.maxBodyBytes, producedBytes },
        cpuUs,
      );
    }
    this.#end({ kind: "rejected", error: message }, cpuUs);
  }

  #answerWith(response: Response, outcome: Outcome): void {
    if (this.#answered) return;
    this.#answered = true;
    this.#answer({
      response,
      outcome,
      logs: this.#logs,
      durationMs: Math.round(performance.now() - this.#o.start),
      cpuMs: null,
      memoryMb: null,
      completed: this.completed,
    });
  }

  /**
   * Ends the call with `outcome`: answers with its error if nothing was answered yet, otherwise
   * breaks off the response stream (the client sees a truncated body, never a wrong one).
   */
  #end(outcome: Outcome, cpuUs: number | null, code?: Parameters<typeof errorResponse>[2]): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#reader?.cancel().catch(() => {});
    this.#wakePump();
    if (outcome.kind !== "ok") {
      if (!this.#answered) {
        // The client, not the script, was too slow to send its body: 408 rather than 504.
        const slowClient = outcome.kind === "timeout" && !this.#bodyDone;
        this.#answerWith(
          errorResponse(
            outcome,
            this.#o.requestId,
            code,
            slowClient ? 408 : undefined,
          ),
          outcome,
        );
      } else {
        try {
          this.#stream?.error(new Error(`Response stopped: ${outcome.kind}`));
        } catch { /* already closed */ }
      }
    }
    this.#stream = null;
    if (this.#holding) {
      this.#held = { outcome, cpuUs };
      return;
    }
    this.#completeWith(outcome, cpuUs);
  }

  #completeWith(outcome: Outcome, cpuUs: number | null): void {
    const completion: Completion = {
      outcome,
      logs: this.#logs,
      durationMs: Math.round(performance.now() - this.#o.start),
      cpuMs: cpuUs === null ? null : cpuUs / 1000,
      memoryMb: outcome.kind === "memory"
        ? Math.round(outcome.usedMb)
        : (this.#o.ex.lastRssMb || this.#o.ex.rssMb() || null),
      responseBytes: this.#responseBytes,
    };
    this.#complete(completion);
  }

  #wakePump(): void {
    const wake = this.#creditWaiter;
    this.#creditWaiter = null;
    wake?.();
  }

  /** The client went away: the script's `request.signal` aborts and its streams end. */
  #clientClosed(): void {
    if (this.#done) return;
    this.#stop("client_closed", { kind: "client_closed" });
  }

  /** Whether the pool's deadline sweep can let go of this call. */
  get finished(): boolean {
    return this.#done && !this.#held && (!this.#cancelled || this.#acked || this.#watching);
  }

  /**
   * Called by the pool's deadline sweep once `deadline` has passed: ends the call if it still
   * runs, and checks a Worker that has not acknowledged its cancel (a client that went away does
   * not stop a spinning script from being found and stopped at the deadline).
   */
  expire(now: number): void {
    if (this.#held) return this.#expireTail(now);
    if (!this.#done) {
      const elapsedMs = Math.round(now - this.#o.start);
      this.#stop("timeout", { kind: "timeout", limitMs: this.#o.timeoutMs, elapsedMs });
    }
    if (this.#cancelled && !this.#acked && !this.#watching) {
      this.#watching = true;
      const { ex, msg, requestId, log, kill } = this.#o;
      watchCancel({ ex, w: msg.w, id: this.#id, requestId, log, kill, acked: () => this.#acked });
    }
  }

  /** Ends the call here and tells the Worker to stop it (its reply would be ignored anyway). */
  #stop(reason: "timeout" | "client_closed" | "limit", outcome: Outcome): void {
    this.#cancelWorker(reason);
    this.#end(outcome, null);
  }

  #cancelWorker(reason: "timeout" | "client_closed" | "limit"): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    // Frames for this id are still read until the Worker acknowledges; its reply is dropped.
    this.#o.ex.send(this.#id, this.#o.msg.w, { t: "cancel", reason });
  }
}
