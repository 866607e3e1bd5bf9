/** @module CPU time of each invocation, from its Worker thread's CPU clock (/proc schedstat), shared fairly between the invocations in flight on that thread. */

/** A Worker thread's CPU clock, read by seeking an open schedstat file (about 3 µs a read). */
interface Clock {
  file: Deno.FsFile | null;
  /** Thread number `n` of `worker-n` (the name Deno gives the n-th Worker's OS thread). */
  n: number;
  lastNs: number;
  /** Invocations in flight on this thread: CPU ns charged to each so far. */
  charged: Map<number, number>;
  /** Failed attempts to find the thread (it is looked up a few times at most). */
  misses: number;
  /** Read during the current batch of frames (one read serves all of a batch's replies). */
  fresh: boolean;
}

const MAX_THREADS_SCANNED = 256;
const buf = new Uint8Array(128);

/**
 * Charges each invocation the CPU time its Worker's thread used while it was in flight. Time used
 * while several were in flight is split equally between them; the thread is read at most once per
 * batch of frames read from the executor, so the cost under load is a fraction of a read per
 * request. Work after the response (timers, `waitUntil`) with nothing in flight is not charged.
 */
export class UsageMeter {
  #pid: number;
  #clocks = new Map<number, Clock>();
  #stale: Clock[] = [];

  /** Meters the Worker threads of process `pid`. */
  constructor(pid: number) {
    this.#pid = pid;
  }

  /** The child's `thread` frame: Worker `w` runs on thread `worker-n`. */
  announce(w: unknown, n: unknown): void {
    if (typeof w !== "number" || typeof n !== "number" || w <= 0) return;
    const clock = this.#clock(w);
    if (clock.n === n) return;
    clock.file?.close();
    clock.file = null;
    clock.n = n;
    clock.misses = 0;
    // Invocations that started before the thread was known are charged from now on (the child
    // names the thread as it hands the Worker its script, before its first request runs).
    if ([...clock.charged.values()].some(Number.isNaN)) {
      this.#sample(clock, false);
      if (clock.lastNs >= 0) {
        for (const [id, ns] of clock.charged) if (Number.isNaN(ns)) clock.charged.set(id, 0);
      }
    }
  }

  #clock(w: number): Clock {
    let clock = this.#clocks.get(w);
    if (!clock) {
      clock = { file: null, n: -1, lastNs: -1, charged: new Map(), fresh: false, misses: 0 };
      this.#clocks.set(w, clock);
    }
    return clock;
  }

  /** An invocation starts on Worker `w`: time from now on is shared with it. */
  start(id: number, w: number): void {
    const clock = this.#clock(w);
    // With nothing in flight, the thread's time so far belongs to nobody.
    if (clock.charged.size === 0) this.#sample(clock, false);
    // Without a reading at its start, its share would be a guess: it is reported as unknown.
    clock.charged.set(id, clock.lastNs < 0 ? NaN : 0);
  }

  /** An invocation ended: its CPU time in µs (null if the thread could not be read). */
  finish(id: number, w: number): number | null {
    const clock = this.#clocks.get(w);
    if (!clock || !clock.charged.has(id)) return null;
    if (!clock.fresh) this.#sample(clock);
    const ns = clock.charged.get(id)!;
    clock.charged.delete(id);
    return clock.lastNs < 0 || Number.isNaN(ns) ? null : Math.round(ns / 1000);
  }

  /** CPU ns used by Worker `w`'s thread so far (read now), or -1. */
  read(w: number): number {
    const clock = this.#clocks.get(w);
    if (!clock) return -1;
    this.#sample(clock, false);
    return clock.lastNs;
  }

  /** A batch of frames was handled: the next reply reads the clock again. */
  batch(): void {
    for (const clock of this.#stale) clock.fresh = false;
    this.#stale = [];
  }

  /** Worker `w` is gone. */
  forgetWorker(w: number): void {
    const clock = this.#clocks.get(w);
    if (!clock) return;
    this.#clocks.delete(w);
    clock.file?.close();
  }

  /** The process is gone. */
  close(): void {
    for (const w of [...this.#clocks.keys()]) this.forgetWorker(w);
  }

  #sample(clock: Clock, inBatch = true): void {
    const ns = this.#readNs(clock);
    if (ns < 0) return;
    if (clock.lastNs >= 0 && clock.charged.size > 0) {
      const share = (ns - clock.lastNs) / clock.charged.size;
      for (const [id, charged] of clock.charged) clock.charged.set(id, charged + share);
    }
    clock.lastNs = ns;
    if (inBatch && !clock.fresh) {
      clock.fresh = true;
      this.#stale.push(clock);
    }
  }

  #readNs(clock: Clock): number {
    try {
      if (!clock.file) {
        if (clock.misses >= 3 || clock.n < 0) return -1;
        clock.file = this.#open(clock.n);
        if (!clock.file) {
          clock.misses++;
          return -1;
        }
      }
      clock.file.seekSync(0, Deno.SeekMode.Start);
      const n = clock.file.readSync(buf) ?? 0;
      // The first field, in decimal: read from the bytes without building strings.
      let ns = 0;
      let i = 0;
      for (; i < n && buf[i] >= 48 && buf[i] <= 57; i++) ns = ns * 10 + (buf[i] - 48);
      return i > 0 && (i === n || buf[i] === 32) ? ns : -1;
    } catch {
      clock.file?.close();
      clock.file = null;
      return -1;
    }
  }

  #open(n: number): Deno.FsFile | null {
    const name = `worker-${n}`;
    const dir = `/proc/${this.#pid}/task`;
    let scanned = 0;
    for (const task of Deno.readDirSync(dir)) {
      if (++scanned > MAX_THREADS_SCANNED) break;
      try {
        if (Deno.readTextFileSync(`${dir}/${task.name}/comm`).trim() !== name) continue;
        return Deno.openSync(`${dir}/${task.name}/schedstat`);
      } catch { /* the thread ended meanwhile */ }
    }
    return null;
  }
}
