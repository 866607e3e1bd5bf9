/** @module The bounded FIFO queue of requests waiting for an executor slot when the fleet is full. */

/** Why a waiting request was turned away. */
export interface Refusal {
  refused: "queue_full" | "queue_timeout" | "closed";
  /** Requests waiting when it was refused (itself excluded). */
  queueLength: number;
  waitedMs: number;
}

/** Upper bounds of the queue-wait histogram's buckets, in seconds (the last bucket is +Inf). */
export const QUEUE_WAIT_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** How long admitted requests waited in the queue: only those that queued at all are counted. */
export interface QueueWaits {
  /** Admitted waiters per bucket of `QUEUE_WAIT_BUCKETS_S` (not cumulative), then over the last. */
  counts: number[];
  sumS: number;
  count: number;
  /** Requests waiting now. */
  waiting: number;
}

/** Queue bounds; units are in the names. */
export interface AdmissionOptions {
  /** Most requests waiting at once, all apps together. */
  maxQueue: number;
  /** Most requests of one key (app) waiting at once, so one app cannot fill the queue alone. */
  maxQueuePerKey: number;
}

interface Waiter<T, M> {
  key: string;
  meta: M;
  enqueuedAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve: (got: T | Refusal) => void;
}

/**
 * Waiters are served first in, first out, by key: when the head's key gets a slot, every waiter of
 * that key is served with it (an app holding an executor never waits). The queue only holds
 * waiters; which slot frees and when is the pool's business (`head()`, `grant()`).
 */
export class AdmissionQueue<T, M> {
  #opts: AdmissionOptions;
  #waiters: Waiter<T, M>[] = [];
  #perKey = new Map<string, number>();
  #waitCounts: number[] = new Array(QUEUE_WAIT_BUCKETS_S.length + 1).fill(0);
  #waitSumS = 0;
  #waitCount = 0;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
  }

  /** Requests waiting now. */
  get length(): number {
    return this.#waiters.length;
  }

  /** The longest-waiting request's key and metadata, if any. */
  head(): { key: string; meta: M } | undefined {
    const w = this.#waiters[0];
    return w && { key: w.key, meta: w.meta };
  }

  /**
   * Waits for `grant(key, …)`; refuses at once when the queue (or the key's share) is full, and
   * after `timeoutMs` in the queue.
   */
  wait(key: string, meta: M, timeoutMs: number): Promise<T | Refusal> {
    const mine = this.#perKey.get(key) ?? 0;
    if (this.#waiters.length >= this.#opts.maxQueue || mine >= this.#opts.maxQueuePerKey) {
      return Promise.resolve({
        refused: "queue_full",
        queueLength: this.#waiters.length,
        waitedMs: 0,
      });
    }
    return new Promise((resolve) => {
      const w: Waiter<T, M> = {
        key,
        meta,
        enqueuedAt: performance.now(),
        timer: undefined,
        resolve,
      };
      w.timer = setTimeout(() => {
        if (!this.#remove(w)) return;
        resolve({
          refused: "queue_timeout",
          queueLength: this.#waiters.length,
          waitedMs: Math.round(performance.now() - w.enqueuedAt),
        });
      }, timeoutMs);
      this.#waiters.push(w);
      this.#perKey.set(key, mine + 1);
    });
  }

  /** Serves every waiter of `key`, in order; `take()` is called once per waiter, synchronously. */
  grant(key: string, take: () => T): number {
    const served = this.#waiters.filter((w) => w.key === key);
    const now = performance.now();
    for (const w of served) {
      this.#remove(w);
      this.#observeWait((now - w.enqueuedAt) / 1000);
      w.resolve(take());
    }
    return served.length;
  }

  /** The waits of admitted requests so far, and how many wait now. */
  waits(): QueueWaits {
    return {
      counts: [...this.#waitCounts],
      sumS: this.#waitSumS,
      count: this.#waitCount,
      waiting: this.#waiters.length,
    };
  }

  #observeWait(s: number): void {
    let b = 0;
    while (b < QUEUE_WAIT_BUCKETS_S.length && s > QUEUE_WAIT_BUCKETS_S[b]) b++;
    this.#waitCounts[b]++;
    this.#waitSumS += s;
    this.#waitCount++;
  }

  /** Refuses every waiter (the pool is closing). */
  refuseAll(): void {
    for (const w of [...this.#waiters]) {
      this.#remove(w);
      w.resolve({
        refused: "closed",
        queueLength: 0,
        waitedMs: Math.round(performance.now() - w.enqueuedAt),
      });
    }
  }

  #remove(w: Waiter<T, M>): boolean {
    const at = this.#waiters.indexOf(w);
    if (at < 0) return false;
    this.#waiters.splice(at, 1);
    clearTimeout(w.timer);
    const left = (this.#perKey.get(w.key) ?? 1) - 1;
    if (left > 0) this.#perKey.set(w.key, left);
    else this.#perKey.delete(w.key);
    return true;
  }
}
