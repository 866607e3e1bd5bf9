/**
 * @module Authentication: turns a session cookie, a session bearer token or an API key into a
 * `Principal` and refuses cross-site unsafe requests authenticated by cookie (CSRF); actions are
 * enforced with `assertCan` (authz.ts) by the endpoints and the services.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { ApiError } from "../common/errors.ts";
import { type ApiKeyVerification, findKeyForVerification, touchApiKey } from "./api_keys/repo.ts";
import type { Principal } from "./authz.ts";
import { SESSION_COOKIE, withoutConsoleCookies } from "../common/console_cookies.ts";
import type { ManagerDeps } from "./deps.ts";
import {
  type ClientAddrOptions,
  createTrustedProxies,
  requestScheme,
} from "../common/remote_addr.ts";
import { findSessionAuth, type SessionAuth, touchSession } from "./sessions/repo.ts";
import { type ApiKeyParts, digestsEqual, parseApiKey, tokenHash } from "./tokens.ts";

export { SESSION_COOKIE } from "../common/console_cookies.ts";

/** Sessions slide and keys record use at most this often, so reads do not write every time. */
export const TOUCH_INTERVAL_MS = 60_000;

/** The credential a request presented, kept so long-lived responses can re-check it. */
export type Credential =
  | { kind: "session"; tokenHash: string }
  | { kind: "api_key"; prefix: string; secretHash: string };

/** What the authenticator found for the current request. */
export interface Auth {
  principal: Principal | null;
  /** The session behind the principal (cookie or bearer), for logout. */
  sessionId: string | null;
  /** The verified credential (null when anonymous). */
  credential?: Credential | null;
  /** True when the session came from the cookie (the browser sent it by itself). */
  viaCookie?: boolean;
}

/** Hono environment of every authenticated router. */
export type AuthEnv = { Variables: { auth: Auth } };

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** Resolves the caller (anonymous when no or bad credentials) and applies the CSRF rule. */
export function authenticate(deps: ManagerDeps): MiddlewareHandler<AuthEnv> {
  const origin = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? "" : null;
    const cookie = bearer === null ? getCookie(c, SESSION_COOKIE) ?? null : null;
    let auth: Auth = { principal: null, sessionId: null };
    // An API key by its whole shape (`pc_<prefix>_<secret>`), not its first letters: a session
    // token is random base64url and starts with "pc_" once in 262,144 sessions.
    const key = bearer ? parseApiKey(bearer) : null;
    if (key) auth = await fromApiKey(deps, key);
    else if (bearer) auth = await fromSession(deps, bearer);
    else if (cookie) {
      auth = { ...await fromSession(deps, cookie), viaCookie: true };
      if (auth.principal && !safeMethods.has(c.req.method)) assertSameOrigin(c, origin);
    }
    c.set("auth", auth);
    await next();
  };
}

/** The principal of the current request (null when anonymous). */
export function principalOf(c: Context<AuthEnv>): Principal | null {
  return c.get("auth")?.principal ?? null;
}

/**
 * Refuses (403 `csrf_rejected`) a request that a browser may have sent on another site's behalf:
 * it needs `Sec-Fetch-Site: same-origin`, or — from browsers without Fetch Metadata — an `Origin`
 * equal to this origin, scheme and port included (the scheme from `X-Forwarded-Proto` only
 * when a trusted proxy sent it).
 */
export function assertSameOrigin(c: Context, opts: ClientAddrOptions = {}): void {
  if (!sameOrigin(c, opts)) {
    throw new ApiError("csrf_rejected", "Cross-site request refused", {
      hint: "Send Origin or Sec-Fetch-Site: same-origin, or use a bearer token",
    });
  }
}

function sameOrigin(c: Context, opts: ClientAddrOptions): boolean {
  const site = c.req.header("sec-fetch-site");
  // A browser that sends Fetch Metadata says exactly where the request came from.
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  if (!origin) return false;
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  try {
    const own = new URL(`${requestScheme(c, opts)}://${host}`);
    const theirs = new URL(origin);
    return theirs.origin !== "null" && theirs.origin === own.origin;
  } catch {
    return false;
  }
}

/**
 * The principal a credential stands for right now, exactly as a fresh request with it would be
 * authenticated (session unexpired, key unexpired and undeleted, user active, current roles), or
 * null. Touches nothing: a long-lived response must not keep its session alive.
 */
export async function reauthenticate(
  deps: ManagerDeps,
  credential: Credential,
): Promise<Principal | null> {
  if (credential.kind === "session") {
    return sessionPrincipal(await findSessionAuth(deps.sql, credential.tokenHash));
  }
  const k = await findKeyForVerification(deps.sql, credential.prefix);
  return k && digestsEqual(credential.secretHash, k.keyHash) ? keyPrincipal(k) : null;
}

function sessionPrincipal(s: SessionAuth | null): Principal | null {
  return s && {
    kind: "session",
    userId: s.user_id,
    instanceRole: s.instance_role,
    appRoles: s.app_roles,
  };
}

function keyPrincipal(k: ApiKeyVerification): Principal {
  return {
    kind: "api_key",
    userId: k.userId,
    instanceRole: k.instanceRole,
    appRoles: k.appRoles,
    key: { id: k.id, appId: k.appId, readOnly: k.readOnly },
  };
}

async function fromSession(deps: ManagerDeps, token: string): Promise<Auth> {
  const hash = await tokenHash(token);
  const s = await findSessionAuth(deps.sql, hash);
  if (!s) return { principal: null, sessionId: null };
  if (Date.now() - s.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) {
    await touchSession(deps.sql, s.id, {
      ttlMs: deps.config.auth.sessionTtlMs,
      minIntervalMs: TOUCH_INTERVAL_MS,
    });
  }
  return {
    principal: sessionPrincipal(s),
    sessionId: s.id,
    credential: { kind: "session", tokenHash: hash },
  };
}

async function fromApiKey(deps: ManagerDeps, parts: ApiKeyParts): Promise<Auth> {
  const k = await findKeyForVerification(deps.sql, parts.prefix);
  const secretHash = await tokenHash(parts.secret);
  if (!k || !digestsEqual(secretHash, k.keyHash)) {
    return { principal: null, sessionId: null };
  }
  if (!k.lastUsedAt || Date.now() - k.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    await touchApiKey(deps.sql, k.id, TOUCH_INTERVAL_MS);
  }
  return {
    principal: keyPrincipal(k),
    sessionId: null,
    credential: { kind: "api_key", prefix: parts.prefix, secretHash },
  };
}

/**
 * The request without the caller's credentials (`Authorization` and the console's cookies), for
 * handing to user code: a script run through `/execute` must not see who ran it.
 */
export function withoutCredentials(req: Request): Request {
  const headers = new Headers(req.headers);
  headers.delete("authorization");
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const kept = withoutConsoleCookies(cookie);
    if (kept !== "") headers.set("cookie", kept);
    else headers.delete("cookie");
  }
  return new Request(req, { headers });
}
