/**
 * @module The sessions service: the sign-in flow (throttle, password verification, rehash,
 * session and device token), sign-out and who-am-I. Cookies are the front door's business.
 */
import { ApiError } from "../../common/errors.ts";
import { assertCan, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { membershipsOf } from "../members/repo.ts";
import { createLoginThrottle, type LoginAttempt, tooManyAttempts } from "../rate_limit.ts";
import { throttleKeyOf } from "../../common/remote_addr.ts";
import { newToken, tokenHash } from "../tokens.ts";
import { findCredentials, findUser, rehashPassword, type UserRow } from "../users/repo.ts";
import { issueDeviceToken, verifyDeviceToken } from "./device_token.ts";
import { deleteSession, insertSession } from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "config" | "passwords" | "loginLimits">;

/** A sign-in attempt and where it comes from. */
export interface LoginInput {
  email: string;
  password: string;
  /** A known-device token of an earlier sign-in to this account, if the client holds one. */
  deviceToken?: string;
  /** The client's address (what the session records and the throttle counts). */
  addr: string;
  userAgent: string | null;
}

/** A new session: its token (shown only now), expiry, user, and a fresh device token. */
export interface SignedIn {
  token: string;
  expires_at: Date;
  user: UserRow;
  device_token: string;
}

/** Who is calling, how, and in which apps. */
export interface Me {
  user: UserRow;
  via: Principal["kind"];
  api_key: { id: string; app_id: string | null; read_only: boolean } | null;
  memberships: Awaited<ReturnType<typeof membershipsOf>>;
}

/**
 * Signs in with email and password. Failures are throttled per account and address, or per
 * device for a client proving an earlier success (429 `too_many_attempts`); a wrong password
 * and an unknown or inactive account are the same 401 `invalid_credentials`.
 */
export async function login(deps: Deps, input: LoginInput): Promise<SignedIn> {
  const email = input.email.trim();
  const creds = await findCredentials(deps.sql, email);
  const attempt: LoginAttempt = {
    account: email.toLowerCase(),
    addr: throttleKeyOf(input.addr),
    device: creds
      ? await verifyDeviceToken(input.deviceToken, {
        id: creds.user.id,
        passwordHash: creds.passwordHash,
      })
      : null,
  };
  const throttle = createLoginThrottle(deps.loginLimits);
  const waitMs = throttle.waitMs(attempt);
  if (waitMs > 0) throw tooManyAttempts(waitMs, "Too many failed sign-in attempts");
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
    ttlMs: deps.config.auth.sessionTtlMs,
    userAgent: input.userAgent?.slice(0, 500) ?? null,
    addr: input.addr,
  });
  const device_token = await issueDeviceToken({ id: creds.user.id, passwordHash });
  return { token, expires_at: session.expires_at, user: creds.user, device_token };
}

/** Ends the caller's session (`sessionId`: null when the caller used an API key: 400). */
export async function logout(
  deps: Pick<Deps, "sql">,
  p: Principal,
  sessionId: string | null,
): Promise<void> {
  assertCan(p, "session.end");
  if (sessionId === null) {
    throw new ApiError("not_a_session", "Logout ends a session; delete API keys instead");
  }
  await deleteSession(deps.sql, sessionId);
}

/** The caller: the user, how they signed in, and their memberships (a narrowed key: one app). */
export async function me(deps: Pick<Deps, "sql">, p: Principal): Promise<Me> {
  assertCan(p, "me.read");
  const user = await findUser(deps.sql, p.userId);
  if (!user) throw new ApiError("unauthorized", "The user no longer exists");
  return {
    user,
    via: p.kind,
    api_key: p.key ? { id: p.key.id, app_id: p.key.appId, read_only: p.key.readOnly } : null,
    // A key narrowed to one app sees only that app, as everywhere else.
    memberships: (await membershipsOf(deps.sql, p.userId))
      .filter((m) => !p.key?.appId || m.app_id === p.key.appId),
  };
}
