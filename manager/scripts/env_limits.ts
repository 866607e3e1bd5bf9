/**
 * @module The caps on a script's env (vars and secrets together): how many names and how many
 * bytes, measured on the env as it would be stored after a merge.
 */
import { ApiError } from "../../common/errors.ts";

/** Most bytes of a script's env: UTF-8 names plus values, vars plus secrets (sealed form). */
export const MAX_ENV_TOTAL_BYTES = 64 * 1024;

/** Most names (vars plus secrets) in a script's env. */
export const MAX_ENV_NAMES = 128;

/** A script's env as stored: plain vars and sealed secrets, by name. */
export interface StoredEnv {
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/** The size of an env in the units of the caps. */
export interface EnvSize {
  bytes: number;
  names: number;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The size of an env. Secrets count at their sealed size (a little over 4/3 of the value), an
 * upper bound of what the script receives.
 */
export function envSize(env: StoredEnv): EnvSize {
  let bytes = 0;
  let names = 0;
  for (const map of [env.vars, env.secrets]) {
    for (const [k, v] of Object.entries(map)) {
      bytes += utf8Bytes(k) + utf8Bytes(v);
      names++;
    }
  }
  return { bytes, names };
}

/** The change of one `PUT …/env`: names to set (secrets already sealed) and names to delete. */
export interface EnvChange {
  setVars: Record<string, string>;
  deleteVars: string[];
  setSecrets: Record<string, string>;
  deleteSecrets: string[];
}

/** `before` with `change` applied, as the repo's merge stores it (set, then delete). */
export function mergedEnv(before: StoredEnv, change: EnvChange): StoredEnv {
  const apply = (map: Record<string, string>, set: Record<string, string>, del: string[]) => {
    const out = { ...map, ...set };
    for (const k of del) delete out[k];
    return out;
  };
  return {
    vars: apply(before.vars, change.setVars, change.deleteVars),
    secrets: apply(before.secrets, change.setSecrets, change.deleteSecrets),
  };
}

/**
 * Refuses a merge whose result is over a cap with 413 `env_too_large` (limits and measured sizes
 * in `details`). An env already over a cap from before the caps existed may still shrink: only a
 * change that leaves it over a cap AND larger than before is refused.
 */
export function checkEnvCaps(before: StoredEnv, after: StoredEnv): void {
  const was = envSize(before);
  const now = envSize(after);
  const overBytes = now.bytes > MAX_ENV_TOTAL_BYTES && now.bytes > was.bytes;
  const overNames = now.names > MAX_ENV_NAMES && now.names > was.names;
  if (!overBytes && !overNames) return;
  throw new ApiError(
    "env_too_large",
    overBytes
      ? `The env would take ${now.bytes} bytes; the limit is ${MAX_ENV_TOTAL_BYTES}`
      : `The env would have ${now.names} names; the limit is ${MAX_ENV_NAMES}`,
    {
      limit_bytes: MAX_ENV_TOTAL_BYTES,
      size_bytes: now.bytes,
      limit_names: MAX_ENV_NAMES,
      names: now.names,
    },
  );
}
