/**
 * @module In-memory failure counters for logins over a fixed window, and the sign-in throttle
 * built on them: unknown clients are counted per account and per client address, clients holding
 * a known-device token only per device, so nobody can lock a user out of a device they have
 * signed in from before. Per process: a cluster multiplies the allowance by its managers.
 */
import { ApiError } from "../common/errors.ts";

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

/** One sign-in attempt as the throttle sees it. */
export interface LoginAttempt {
  /** The account tried (the normalised email, whether or not it exists). */
  account: string;
  /** The client's throttling key (its address; an IPv6 client's /64). */
  addr: string;
  /** The id of a valid known-device token for this account, or null. */
  device: string | null;
}

/** Decides whether an attempt may be verified and records the outcome. */
export interface LoginThrottle {
  /** Milliseconds until this attempt may be verified, or 0 when it may be now. */
  waitMs(a: LoginAttempt, now?: number): number;
  /** Records a wrong password (or unknown account). */
  fail(a: LoginAttempt, now?: number): void;
  /** Records a successful sign-in. */
  succeed(a: LoginAttempt): void;
}

/**
 * The sign-in throttle. Without a device token an attempt is refused while its account
 * (`perAccount`) or its address (`perAddr`) is over its failure budget, and a failure counts
 * against both. With a valid device token (proof of an earlier success on this account) only
 * that device's own budget (`perDevice`) applies, so failures by anyone else — the same proxy,
 * a botnet — never lock out a device the user has signed in from before.
 */
export function createLoginThrottle(
  limits: { perAccount: FailureLimiter; perAddr: FailureLimiter; perDevice: FailureLimiter },
): LoginThrottle {
  return {
    waitMs(a, now = Date.now()) {
      if (a.device !== null) return limits.perDevice.blockedForMs(a.device, now);
      return Math.max(
        limits.perAccount.blockedForMs(a.account, now),
        limits.perAddr.blockedForMs(a.addr, now),
      );
    },
    fail(a, now = Date.now()) {
      if (a.device !== null) return limits.perDevice.fail(a.device, now);
      limits.perAccount.fail(a.account, now);
      limits.perAddr.fail(a.addr, now);
    },
    succeed(a) {
      // Account and address budgets are not refunded: a success from one client must not buy
      // more guesses for everyone else.
      if (a.device !== null) limits.perDevice.reset(a.device);
    },
  };
}

/**
 * The 429 for a throttled credential check, with `Retry-After` in whole seconds (set by the one
 * error mapper).
 */
export function tooManyAttempts(waitMs: number, message: string): ApiError {
  const seconds = Math.ceil(waitMs / 1000);
  return new ApiError("too_many_attempts", message, {
    limit: "login_failures",
    retry_after_s: seconds,
  }, { "Retry-After": String(seconds) });
}
