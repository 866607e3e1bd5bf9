/**
 * @module `/api/v1/admin/login`, `/logout` and `/me`: password sign-in with a session token that
 * is both an HttpOnly cookie and a bearer token. Failed sign-ins are throttled per account and
 * client address for unknown clients, and per device for clients holding a known-device token.
 */
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { type AuthEnv, authorize, SESSION_COOKIE } from "../authn.ts";
import type { IdentityDeps } from "../deps.ts";
import { membershipsOf } from "../members/repo.ts";
import {
  createFailureLimiter,
  createLoginThrottle,
  type LoginAttempt,
  tooManyAttempts,
} from "../rate_limit.ts";
import {
  createTrustedProxies,
  remoteAddrOf,
  requestScheme,
  throttleKeyOf,
} from "../remote_addr.ts";
import { newToken, tokenHash } from "../tokens.ts";
import { findCredentials, findUser, rehashPassword } from "../users/repo.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { loginResultSchema, meSchema } from "../openapi_schemas.ts";
import { jsonBody } from "../validate.ts";
import {
  DEVICE_COOKIE,
  DEVICE_TOKEN_TTL_MS,
  issueDeviceToken,
  verifyDeviceToken,
} from "./device_token.ts";
import { deleteSession, insertSession } from "./repo.ts";

const login = z.strictObject({
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

/** Binds `/login`, `/logout` and `/me` under the admin router. */
export function bindSessionsApi(deps: IdentityDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const auth = deps.config.auth;
  const throttle = createLoginThrottle({
    ...deps.loginLimits,
    perDevice: createFailureLimiter({
      maxFailures: auth.loginMaxFailures,
      windowMs: auth.loginWindowMs,
    }),
  });
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };

  api.post("/login", async (c) => {
    const input = await jsonBody(c, login);
    const addr = remoteAddrOf(c, addrOpts).hostname;
    const creds = await findCredentials(deps.sql, input.email.trim());
    const attempt: LoginAttempt = {
      account: input.email.trim().toLowerCase(),
      addr: throttleKeyOf(addr),
      device: creds
        ? await verifyDeviceToken(input.device_token ?? getCookie(c, DEVICE_COOKIE), {
          id: creds.user.id,
          passwordHash: creds.passwordHash,
        })
        : null,
    };
    const waitMs = throttle.waitMs(attempt);
    if (waitMs > 0) throw tooManyAttempts(c, waitMs, "Too many failed sign-in attempts");
    const usable = creds?.user.active ? creds.passwordHash : null;
    const verified = await deps.passwords.verify(usable, input.password);
    if (!creds || !verified.ok) {
      throttle.fail(attempt);
      throw new ApiError("invalid_credentials", "The email or password is not correct");
    }
    throttle.succeed(attempt);
    let passwordHash = creds.passwordHash!;
    if (verified.needsRehash) {
      const to = await deps.passwords.hash(input.password);
      await rehashPassword(deps.sql, creds.user.id, { from: passwordHash, to });
      passwordHash = to;
    }
    const token = newToken();
    const session = await insertSession(deps.sql, {
      userId: creds.user.id,
      tokenHash: await tokenHash(token),
      ttlMs: auth.sessionTtlMs,
      userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null,
      addr,
    });
    const secure = requestScheme(c, addrOpts) === "https";
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Lax",
      secure,
      // Only the console API gets it: never tenant traffic served on the same host.
      path: "/api/v1",
      // The cookie outlives the session's first expiry; the server decides validity.
      maxAge: 30 * 86_400,
    });
    const deviceToken = await issueDeviceToken({ id: creds.user.id, passwordHash });
    setCookie(c, DEVICE_COOKIE, deviceToken, {
      httpOnly: true,
      sameSite: "Strict",
      secure,
      path: "/api/v1/admin/login",
      maxAge: Math.floor(DEVICE_TOKEN_TTL_MS / 1000),
    });
    return c.json({
      token,
      expires_at: session.expires_at,
      user: creds.user,
      device_token: deviceToken,
    }, 200);
  });

  api.post("/logout", async (c) => {
    authorize(c, "session.end");
    const sessionId = c.get("auth").sessionId;
    if (sessionId === null) {
      throw new ApiError("not_a_session", "Logout ends a session; delete API keys instead");
    }
    await deleteSession(deps.sql, sessionId);
    deleteCookie(c, SESSION_COOKIE, {
      path: "/api/v1",
      secure: requestScheme(c, addrOpts) === "https",
    });
    return c.body(null, 204);
  });

  api.get("/me", async (c) => {
    const p = authorize(c, "me.read");
    const user = await findUser(deps.sql, p.userId);
    if (!user) throw new ApiError("unauthorized", "The user no longer exists");
    return c.json({
      user,
      via: p.kind,
      api_key: p.key ? { id: p.key.id, app_id: p.key.appId, read_only: p.key.readOnly } : null,
      // A key narrowed to one app sees only that app, as everywhere else.
      memberships: (await membershipsOf(deps.sql, p.userId))
        .filter((m) => !p.key?.appId || m.app_id === p.key.appId),
    });
  });

  return api;
}

/** The OpenAPI description of `/login`, `/logout` and `/me`. */
export const sessionsDocs: EndpointDoc[] = [
  {
    method: "post",
    path: "/api/v1/admin/login",
    summary: "Sign in with email and password; sets the session cookie and returns the token",
    action: "public",
    tag: "sessions",
    body: login,
    responses: {
      200: { description: "Signed in", schema: loginResult },
      401: { description: "`invalid_credentials`: the email or password is not correct" },
      429: { description: "`too_many_attempts`: too many failed sign-ins; see `Retry-After`" },
    },
  },
  {
    method: "post",
    path: "/api/v1/admin/logout",
    summary: "End the current session and clear its cookie",
    action: "session.end",
    tag: "sessions",
    responses: {
      204: { description: "Signed out" },
      400: { description: "`not_a_session`: called with an API key" },
    },
  },
  {
    method: "get",
    path: "/api/v1/admin/me",
    summary: "Who is calling: the user, how they signed in, and their app memberships",
    action: "me.read",
    tag: "sessions",
    responses: { 200: { description: "The caller", schema: meSchema } },
  },
];
