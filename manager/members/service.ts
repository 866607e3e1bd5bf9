/**
 * @module The members service: list, grant, change and revoke app roles. Grant is one insert that
 * does nothing on conflict (409 `member_exists`), change one update (404 `member_not_found`), so
 * both hold under concurrent requests. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { appFor } from "../apps/service.ts";
import { UUID_SHAPE } from "../apps/slugs.ts";
import { recordChange } from "../audit/service.ts";
import type { AppRole, Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { findUser, findUserByEmail } from "../users/repo.ts";
import {
  deleteMember,
  listMembers as listMemberRows,
  type MemberRow,
  tryInsertMember,
  updateMemberRole,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql">;

/** A role held in an app, as a grant or change returns it. */
export interface MemberGrant {
  app_id: string;
  user_id: string;
  role: AppRole;
}

/** The members of an app, by email. */
export async function listMembers(deps: Deps, p: Principal, ref: string): Promise<MemberRow[]> {
  const app = await appFor(deps, p, ref, "member.read");
  return await listMemberRows(deps.sql, app.id);
}

/** Grants a user, named by id or email, a role in the app. */
export async function grantMember(
  deps: Deps,
  p: Principal,
  ref: string,
  input: { user_id?: string; email?: string; role: AppRole },
): Promise<MemberGrant> {
  const app = await appFor(deps, p, ref, "member.write");
  const user = input.user_id !== undefined
    ? await findUser(deps.sql, input.user_id)
    : await findUserByEmail(deps.sql, input.email ?? "");
  if (!user) throw new ApiError("user_not_found", "No such user");
  await deps.sql.begin(async (tx) => {
    const row = await tryInsertMember(tx, { appId: app.id, userId: user.id, role: input.role });
    if (!row) {
      throw new ApiError("member_exists", `${user.email} is already a member of ${app.slug}`);
    }
    await recordChange(tx, p, {
      action: "member.grant",
      resourceId: user.id,
      appId: app.id,
      before: null,
      after: { user_id: user.id, role: row.role },
    });
  });
  return { app_id: app.id, user_id: user.id, role: input.role };
}

/** Changes a member's role; never re-creates a membership revoked meanwhile. */
export async function changeMemberRole(
  deps: Deps,
  p: Principal,
  ref: string,
  { userId, role }: { userId: string; role: AppRole },
): Promise<MemberGrant> {
  const app = await appFor(deps, p, ref, "member.write");
  const row = UUID_SHAPE.test(userId) &&
    await deps.sql.begin(async (tx) => {
      const row = await updateMemberRole(tx, { appId: app.id, userId, role });
      if (row) {
        await recordChange(tx, p, {
          action: "member.update",
          resourceId: userId,
          appId: app.id,
          before: { user_id: userId, role: row.before },
          after: { user_id: userId, role: row.role },
        });
      }
      return row;
    });
  if (!row) throw memberNotFound(userId, app.slug);
  return { app_id: app.id, user_id: userId, role: row.role };
}

/** Revokes a member's role in the app. */
export async function revokeMember(
  deps: Deps,
  p: Principal,
  ref: string,
  userId: string,
): Promise<void> {
  const app = await appFor(deps, p, ref, "member.write");
  const row = UUID_SHAPE.test(userId) &&
    await deps.sql.begin(async (tx) => {
      const row = await deleteMember(tx, { appId: app.id, userId });
      if (row) {
        await recordChange(tx, p, {
          action: "member.revoke",
          resourceId: userId,
          appId: app.id,
          before: { user_id: userId, role: row.role },
          after: null,
        });
      }
      return row;
    });
  if (!row) throw memberNotFound(userId, app.slug);
}

function memberNotFound(userId: string, slug: string) {
  return new ApiError("member_not_found", `${userId} is not a member of ${slug}`);
}
