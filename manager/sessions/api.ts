/**
 * @module `/api/v1/admin/login`, `/logout` and `/me`: password sign-in with a session token that
 * is both an HttpOnly cookie and a bearer token. The flow (throttling per account and client
 * address, or per known device) is the sessions service's; the cookies are set here.
 */
import { getCookie } from "hono/cookie";
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { loginResultSchema, meSchema } from "../openapi_schemas.ts";
import { createTrustedProxies, remoteAddrOf, requestScheme } from "../../common/remote_addr.ts";
import { clearSessionCookie, setSessionCookies } from "./cookies.ts";
import { DEVICE_COOKIE } from "./device_token.ts";
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
    setSessionCookies(c, signedIn, requestScheme(c, addrOpts) === "https");
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
    clearSessionCookie(c, requestScheme(c, addrOpts) === "https");
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
