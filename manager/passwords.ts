/**
 * @module Password hashing with Argon2id (@node-rs/argon2): hashing with the configured
 * parameters, verification that costs the same whether or not the account exists, and the
 * "needs rehash" check run on every successful login.
 */
import type { AuthConfig } from "../common/config.ts";

/**
 * The Argon2 addon, loaded at the first hash or verification instead of at start: a native
 * library of ~5 MB RSS that a server nobody has signed in to does not need (small machines).
 */
let addon: Promise<typeof import("@node-rs/argon2")> | undefined;
const argon2 = () => addon ??= import("@node-rs/argon2");

/** Argon2id cost parameters. */
export type Argon2Params = AuthConfig["argon2"];

/** The result of a verification. */
export interface Verified {
  ok: boolean;
  /** The stored hash was made with other parameters: store a new one. */
  needsRehash: boolean;
}

/** Hashes and verifies passwords with one set of parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Verifies `password` against `stored`; with `stored` null (no such account, or no password)
   * it verifies against a dummy hash so a miss takes as long as a wrong password.
   */
  verify(stored: string | null, password: string): Promise<Verified>;
}

/** True when a PHC string was not made by Argon2id with exactly these parameters. */
export function needsRehash(stored: string, params: Argon2Params): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (!m) return true;
  return Number(m[1]) !== params.memoryKib || Number(m[2]) !== params.iterations ||
    Number(m[3]) !== params.parallelism;
}

/** Creates a hasher; the dummy hash is made once, on first use. */
export function createPasswordHasher(params: Argon2Params): PasswordHasher {
  const options = {
    memoryCost: params.memoryKib,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  };
  let dummy: Promise<string> | undefined;
  const dummyHash = () => dummy ??= argon2().then((a) => a.hash(crypto.randomUUID(), options));
  return {
    hash: async (password) => (await argon2()).hash(password, options),
    async verify(stored, password) {
      const { verify } = await argon2();
      if (stored === null) {
        await verify(await dummyHash(), password).catch(() => false);
        return { ok: false, needsRehash: false };
      }
      const ok = await verify(stored, password).catch(() => false);
      return { ok, needsRehash: ok && needsRehash(stored, params) };
    },
  };
}
