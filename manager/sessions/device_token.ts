/**
 * @module Known-device tokens: proof that a client has signed in to an account before, so sign-in
 * throttling can tell the account's owner from someone guessing. Stateless: an HMAC keyed by a
 * digest of the account's stored password hash, so a password change revokes every device token
 * of the account, and every node of a cluster verifies them without shared state.
 */

/** The cookie that carries the token to `/login` only. */
export { DEVICE_COOKIE } from "../../common/console_cookies.ts";

/** How long a device token is honoured after it was issued. */
export const DEVICE_TOKEN_TTL_MS = 365 * 86_400_000;

const enc = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

async function macOf(passwordHash: string, message: string): Promise<string> {
  const keyBytes = await crypto.subtle.digest(
    "SHA-256",
    enc.encode(`picloud device token v1\0${passwordHash}`),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message))));
}

/** Issues a token for `userId`, bound to the user's current password hash. */
export async function issueDeviceToken(
  user: { id: string; passwordHash: string },
  now = Date.now(),
): Promise<string> {
  const id = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const issued = Math.floor(now / 1000).toString(36);
  return `${id}.${issued}.${await macOf(user.passwordHash, `${user.id}.${id}.${issued}`)}`;
}

/**
 * The device id of a token valid for this user and password hash (unexpired, MAC matching), or
 * null. Constant time in the MAC comparison.
 */
export async function verifyDeviceToken(
  token: string | null | undefined,
  user: { id: string; passwordHash: string | null },
  now = Date.now(),
): Promise<string | null> {
  if (!token || user.passwordHash === null || token.length > 200) return null;
  const m = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const [, id, issued, mac] = m;
  const issuedMs = parseInt(issued, 36) * 1000;
  if (!(issuedMs <= now + 60_000 && now - issuedMs < DEVICE_TOKEN_TTL_MS)) return null;
  const want = await macOf(user.passwordHash, `${user.id}.${id}.${issued}`);
  let diff = want.length ^ mac.length;
  for (let i = 0; i < want.length && i < mac.length; i++) {
    diff |= want.charCodeAt(i) ^ mac.charCodeAt(i);
  }
  return diff === 0 ? id : null;
}
