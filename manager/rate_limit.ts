/**
 * @module An in-memory failure counter for logins, per key (account or client address) over a
 * fixed window. Per process: a cluster multiplies the allowance by its number of managers.
 */

/** Counts failures per key and says when a key is blocked. */
export interface FailureLimiter {
  /** Milliseconds until `key` may try again, or 0 when it is not blocked. */
  blockedForMs(key: string, now?: number): number;
  /** Records a failure for `key`. */
  fail(key: string, now?: number): void;
  /** Forgets `key` (after a success). */
  reset(key: string): void;
}

/** Creates a limiter allowing `maxFailures` per `windowMs`, holding at most `maxKeys` keys. */
export function createFailureLimiter(
  opts: { maxFailures: number; windowMs: number; maxKeys?: number },
): FailureLimiter {
  const maxKeys = opts.maxKeys ?? 100_000;
  const entries = new Map<string, { count: number; resetAt: number }>();
  const prune = (now: number) => {
    for (const [k, e] of entries) if (e.resetAt <= now) entries.delete(k);
    // Still full: drop the oldest keys rather than grow without bound.
    for (const k of entries.keys()) {
      if (entries.size < maxKeys) break;
      entries.delete(k);
    }
  };
  return {
    blockedForMs(key, now = Date.now()) {
      const e = entries.get(key);
      if (!e || e.resetAt <= now) return 0;
      return e.count >= opts.maxFailures ? e.resetAt - now : 0;
    },
    fail(key, now = Date.now()) {
      const e = entries.get(key);
      if (e && e.resetAt > now) {
        e.count++;
        return;
      }
      if (entries.size >= maxKeys) prune(now);
      entries.set(key, { count: 1, resetAt: now + opts.windowMs });
    },
    reset(key) {
      entries.delete(key);
    },
  };
}
