/**
 * @module `/api/v1/admin/login`, `/logout` and `/me`: password sign-in with a session token that
 * is both an HttpOnly cookie and a bearer token. The flow (throttling per account and client
 * address, or per known device) is the sessions service's; the cookies are set here.
 */
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { SESSION_COOKIE } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { loginResultSchema, meSchema } from "../openapi_schemas.ts";
import { createTrustedProxies, remoteAddrOf, requestScheme } from "../../common/remote_addr.ts";
import { DEVICE_COOKIE, DEVICE_TOKEN_TTL_MS } from "./device_token.ts";
import { login, logout, me } from "./service.ts";

/** `POST /login`: the credentials, and the device token of an earlier sign-in if any. */
const loginBody = z.strictObject({
  email: z.string().max(320),
  password: z.string().max(1024),
  device_token: z.string().max(200).optional().describe(
    "The `device_token` of an earlier sign-in to this account (browsers send it as a cookie): " +
      "failed sign-ins by other clients never hold this device back",
  ),
});
const loginResult = loginResultSchema.extend({
  device_token: z.string().describe(
    "Proof that this client has signed in to this account; send it with later sign-ins",
  ),
});

/** Where earlier versions scoped the console's cookies (cleared at sign-in). */
const LEGACY_COOKIE_PATHS: [string, string][] = [
  [SESSION_COOKIE, "/api/v1"],
  [DEVICE_COOKIE, "/api/v1/admin/login"],
];

/** Binds `/login`, `/logout` and `/me` at the admin router's root. */
export function bindSessionsApi(r: Routes, deps: ManagerDeps): void {
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };

  r.add({
    method: "post",
    path: "/login",
    summary: "Sign in with email and password; sets the session cookie and returns the token",
    action: "public",
    tag: "sessions",
    body: loginBody,
    responses: {
      200: { description: "Signed in", schema: loginResult },
      401: { description: "`invalid_credentials`: the email or password is not correct" },
      429: { description: "`too_many_attempts`: too many failed sign-ins; see `Retry-After`" },
    },
  }, async ({ body }, c) => {
    const signedIn = await login(deps, {
      email: body.email,
      password: body.password,
      deviceToken: body.device_token ?? getCookie(c, DEVICE_COOKIE),
      addr: remoteAddrOf(c, addrOpts).hostname,
      userAgent: c.req.header("user-agent") ?? null,
    });
    const secure = requestScheme(c, addrOpts) === "https";
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
    return c.json(signedIn, 200);
  });

  r.add({
    method: "post",
    path: "/logout",
    summary: "End the current session and clear its cookie",
    action: "session.end",
    tag: "sessions",
    responses: {
      204: { description: "Signed out" },
      400: { description: "`not_a_session`: called with an API key" },
    },
  }, async ({ p }, c) => {
    await logout(deps, p, c.get("auth").sessionId);
    const secure = requestScheme(c, addrOpts) === "https";
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure });
    deleteCookie(c, SESSION_COOKIE, { path: "/api/v1", secure });
    return c.body(null, 204);
  });

  r.add({
    method: "get",
    path: "/me",
    summary: "Who is calling: the user, how they signed in, and their app memberships",
    action: "me.read",
    tag: "sessions",
    responses: { 200: { description: "The caller", schema: meSchema } },
  }, async ({ p }, c) => c.json(await me(deps, p)));
}
