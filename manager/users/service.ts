/**
 * @module The users service: list, create, read, update and delete admin users — authorization on
 * the target user, the last-owner and last-admin guards under row locks, the current-password
 * check of a self-service password change, audit. No HTTP here.
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { expireUserKeys } from "../api_keys/repo.ts";
import { recordChange } from "../audit/service.ts";
import { assertCan, type InstanceRole, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { tooManyAttempts } from "../rate_limit.ts";
import { deleteUserSessions } from "../sessions/repo.ts";
import {
  countUsers,
  deleteUser as deleteUserRow,
  findPasswordHash,
  findUser,
  findUserByEmail,
  insertUser,
  listUsers as listUserRows,
  lockForRoleChange,
  type RoleGuardState,
  updateUser as updateUserRow,
  type UserRow,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "passwords" | "loginLimits">;

/** A new user; it comes with a password. */
export interface NewUser {
  email: string;
  password: string;
  display_name: string;
  instance_role: InstanceRole;
}

/** A change to a user; `current_password` proves a self-service password change. */
export interface UserChange {
  display_name?: string;
  instance_role?: InstanceRole;
  active?: boolean;
  password?: string;
  current_password?: string;
}

/** Ids that cannot be a user's are simply not found. */
function isUuid(id: string): boolean {
  return z.uuid().safeParse(id).success;
}

/** Every user, by email. */
export async function listUsers(deps: Pick<Deps, "sql">, p: Principal): Promise<UserRow[]> {
  assertCan(p, "user.read");
  return await listUserRows(deps.sql);
}

/** Creates a user (only owners create owners; only a session, as the user gets a password). */
export async function createUser(deps: Deps, p: Principal, input: NewUser): Promise<UserRow> {
  // A new user comes with a password: a key could otherwise mint itself a session.
  assertCan(p, "user.write", { newRole: input.instance_role, credentials: true });
  const passwordHash = await deps.passwords.hash(input.password);
  return await deps.sql.begin(async (tx) => {
    const row = await insertUser(tx, {
      email: input.email,
      displayName: input.display_name,
      passwordHash,
      instanceRole: input.instance_role,
    });
    if (!row) throw new ApiError("email_taken", `A user with this email already exists`);
    await recordChange(tx, p, {
      action: "user.create",
      resourceId: row.id,
      appId: null,
      before: null,
      after: row,
    });
    return row;
  });
}

/**
 * The machine's operator creates a user offline (`picloud admin create`): whoever can open the
 * database may, so there is no principal; the audit entry has no actor and says `via: "cli"`.
 * Without a role, the first user of the instance is its owner and later ones are admins.
 */
export async function createUserAsOperator(
  deps: Pick<Deps, "sql" | "passwords">,
  input: Omit<NewUser, "instance_role"> & { instance_role?: InstanceRole },
): Promise<UserRow> {
  const passwordHash = await deps.passwords.hash(input.password);
  return await deps.sql.begin(async (tx) => {
    const role = input.instance_role ?? ((await countUsers(tx)) === 0 ? "owner" : "admin");
    const row = await insertUser(tx, {
      email: input.email,
      displayName: input.display_name,
      passwordHash,
      instanceRole: role,
    });
    if (!row) throw new ApiError("email_taken", `A user with this email already exists`);
    await recordChange(tx, null, {
      action: "user.create",
      resourceId: row.id,
      appId: null,
      before: null,
      after: { ...row, via: "cli" },
    });
    return row;
  });
}

/**
 * The machine's operator sets a user's password offline (`picloud admin reset-password`), found
 * by email; as with any new password, the user's sessions end. Audited without an actor.
 */
export async function resetPasswordAsOperator(
  deps: Pick<Deps, "sql" | "passwords">,
  email: string,
  password: string,
): Promise<{ user: UserRow; sessionsEnded: number }> {
  const passwordHash = await deps.passwords.hash(password);
  return await deps.sql.begin(async (tx) => {
    const before = await findUserByEmail(tx, email);
    if (!before) throw new ApiError("user_not_found", `No user with the email ${email}`);
    const user = (await updateUserRow(tx, before.id, { passwordHash }))!;
    const sessionsEnded = await deleteUserSessions(tx, before.id);
    await recordChange(tx, null, {
      action: "user.update",
      resourceId: before.id,
      appId: null,
      before,
      after: { ...user, password_changed: true, via: "cli" },
    });
    return { user, sessionsEnded };
  });
}

/** One user (anyone may read themselves). */
export async function getUser(deps: Pick<Deps, "sql">, p: Principal, id: string) {
  assertCan(p, "user.read", { userId: id });
  const user = isUuid(id) ? await findUser(deps.sql, id) : null;
  if (!user) throw userNotFound(id);
  return user;
}

/**
 * Changes a user's name, role, active flag or password. Deactivating or a new password ends
 * their sessions; deactivating also expires their API keys.
 */
export async function updateUser(
  deps: Deps,
  p: Principal,
  id: string,
  input: UserChange,
): Promise<UserRow> {
  const privileged = input.instance_role !== undefined || input.active !== undefined;
  const credentials = input.password !== undefined;
  const access = { userId: id, privileged, newRole: input.instance_role, credentials };
  assertCan(p, "user.write", access);
  if (!isUuid(id)) throw userNotFound(id);
  if (credentials && id === p.userId) await checkCurrentPassword(deps, id, input.current_password);
  const passwordHash = input.password === undefined
    ? undefined
    : await deps.passwords.hash(input.password);
  return await deps.sql.begin(async (tx) => {
    const state = await lockForRoleChange(tx, id);
    const before = state.target;
    if (!before) throw userNotFound(id);
    assertCan(p, "user.write", { ...access, targetRole: before.instance_role });
    assertGuards(state, before, { role: input.instance_role, active: input.active });
    const after = (await updateUserRow(tx, id, {
      displayName: input.display_name,
      instanceRole: input.instance_role,
      active: input.active,
      passwordHash,
    }))!;
    const deactivated = before.active && input.active === false;
    if (deactivated || passwordHash !== undefined) await deleteUserSessions(tx, id);
    if (deactivated) await expireUserKeys(tx, id);
    await recordChange(tx, p, {
      action: "user.update",
      resourceId: id,
      appId: null,
      before,
      after: { ...after, password_changed: passwordHash !== undefined },
    });
    return after;
  });
}

/** Deletes a user (their sessions, keys and memberships go with them). */
export async function deleteUser(deps: Pick<Deps, "sql">, p: Principal, id: string) {
  assertCan(p, "user.write", { userId: id, privileged: true });
  if (!isUuid(id)) throw userNotFound(id);
  await deps.sql.begin(async (tx) => {
    const state = await lockForRoleChange(tx, id);
    const before = state.target;
    if (!before) throw userNotFound(id);
    assertCan(p, "user.write", { userId: id, privileged: true, targetRole: before.instance_role });
    assertGuards(state, before, { role: "member", active: false });
    await deleteUserRow(tx, id);
    await recordChange(tx, p, {
      action: "user.delete",
      resourceId: id,
      appId: null,
      before,
      after: null,
    });
  });
}

/**
 * Self-service password change: the current password proves it is the user, not someone holding
 * a stolen session. Wrong ones count per user like failed sign-ins, so a session is no free
 * password oracle.
 */
async function checkCurrentPassword(deps: Deps, userId: string, given: string | undefined) {
  if (given === undefined) {
    throw new ApiError(
      "current_password_required",
      "Changing your own password needs current_password",
    );
  }
  const failures = deps.loginLimits.currentPassword;
  const waitMs = failures.blockedForMs(userId);
  if (waitMs > 0) throw tooManyAttempts(waitMs, "Too many wrong current passwords");
  const verified = await deps.passwords.verify(await findPasswordHash(deps.sql, userId), given);
  if (!verified.ok) {
    failures.fail(userId);
    throw new ApiError("invalid_current_password", "The current password is not correct");
  }
  failures.reset(userId);
}

/** The last active owner, and the last active admin-or-owner, cannot lose that standing. */
function assertGuards(
  state: RoleGuardState,
  target: UserRow,
  change: { role?: InstanceRole; active?: boolean },
) {
  if (!target.active) return;
  const staysActive = change.active !== false;
  const role = change.role ?? target.instance_role;
  if (target.instance_role === "owner" && (!staysActive || role !== "owner")) {
    if (state.otherOwners === 0) {
      throw new ApiError("last_owner", "The last active owner cannot be demoted or removed");
    }
  }
  if (target.instance_role !== "member" && (!staysActive || role === "member")) {
    if (state.otherAdmins === 0) {
      throw new ApiError("last_admin", "The last active admin cannot be demoted or removed");
    }
  }
}

function userNotFound(id: string) {
  return new ApiError("user_not_found", `No user ${id}`);
}
