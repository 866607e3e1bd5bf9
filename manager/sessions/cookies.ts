/**
 * @module The session cookies as every front door sets and clears them (the API's `/login` and
 * `/logout`, the console's sign-in form and sign-out button), so the two cannot drift apart.
 */
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { DEVICE_COOKIE, SESSION_COOKIE } from "../../common/console_cookies.ts";
import { DEVICE_TOKEN_TTL_MS } from "./device_token.ts";
import type { SignedIn } from "./service.ts";

/** Where earlier versions scoped the console's cookies (cleared at sign-in). */
const LEGACY_COOKIE_PATHS: [string, string][] = [
  [SESSION_COOKIE, "/api/v1"],
  [DEVICE_COOKIE, "/api/v1/admin/login"],
];

/** Sets the session and known-device cookies of a new session (`secure` on HTTPS). */
export function setSessionCookies(c: Context, signedIn: SignedIn, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, signedIn.token, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    // The console's pages (`/admin`) and its API both need it. Browsers send a host's cookies
    // to every port, the tenant's included: the tenant side strips the console's cookies from
    // what scripts receive and from what they try to set (`console_cookies.ts`).
    path: "/",
    // The cookie outlives the session's first expiry; the server decides validity.
    maxAge: 30 * 86_400,
  });
  // The cookies of versions that scoped them to the API would shadow the new ones there.
  for (const [name, path] of LEGACY_COOKIE_PATHS) deleteCookie(c, name, { path, secure });
  setCookie(c, DEVICE_COOKIE, signedIn.device_token, {
    httpOnly: true,
    sameSite: "Strict",
    secure,
    // Read by both sign-in forms: the API's (`/api/v1/admin/login`) and the console's.
    path: "/",
    maxAge: Math.floor(DEVICE_TOKEN_TTL_MS / 1000),
  });
}

/** Clears the session cookie (and the API-scoped one of earlier versions); the device stays known. */
export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure });
  deleteCookie(c, SESSION_COOKIE, { path: "/api/v1", secure });
}
