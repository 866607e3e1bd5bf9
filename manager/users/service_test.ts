import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";
import { createUser, deleteUser, getUser, updateUser } from "./service.ts";

function session(userId: string, instanceRole: Principal["instanceRole"]): Principal {
  return { kind: "session", userId, instanceRole, appRoles: {} };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err) => err instanceof ApiError && err.code === code);
}

Deno.test("users service - create, update and delete without HTTP, audited", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const [{ id: ownerId }] = await deps
      .sql`select id from admin_users where email = ${OWNER.email}`;
    const owner = session(ownerId, "owner");
    const ann = await createUser(deps, owner, {
      email: "ann@example.com",
      password: "ann-password-1",
      display_name: "Ann",
      instance_role: "member",
    });
    assert.equal(ann.instance_role, "member");
    assert.equal("password_hash" in ann, false);
    const promoted = await updateUser(deps, owner, ann.id, { instance_role: "admin" });
    assert.equal(promoted.instance_role, "admin");
    assert.equal((await getUser(deps, owner, ann.id)).display_name, "Ann");
    await deleteUser(deps, owner, ann.id);
    await rejectsWith(getUser(deps, owner, ann.id), "user_not_found");
    const actions = await deps.sql`
      select action from audit_log where resource_id = ${ann.id} order by id`;
    assert.deepEqual(actions.map((r) => r.action), ["user.create", "user.update", "user.delete"]);
  });
});

Deno.test("users service - refusals are typed errors", async (st) => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const [{ id: ownerId }] = await deps
      .sql`select id from admin_users where email = ${OWNER.email}`;
    const owner = session(ownerId, "owner");
    const member = await createUser(deps, owner, {
      email: "m@example.com",
      password: "m-password-1",
      display_name: "",
      instance_role: "member",
    });
    const asMember = session(member.id, "member");
    const key: Principal = {
      ...owner,
      kind: "api_key",
      key: { id: "k", appId: null, readOnly: false },
    };
    await st.step("a member cannot create users", async () => {
      await rejectsWith(
        createUser(deps, asMember, {
          email: "x@example.com",
          password: "x-password-1",
          display_name: "",
          instance_role: "member",
        }),
        "forbidden",
      );
    });
    await st.step("an API key cannot set a password", async () => {
      await rejectsWith(
        updateUser(deps, key, member.id, { password: "new-password-1" }),
        "session_required",
      );
    });
    await st.step("the last owner cannot be demoted", async () => {
      await rejectsWith(updateUser(deps, owner, ownerId, { instance_role: "admin" }), "last_owner");
    });
    await st.step("an own password change needs the current one", async () => {
      await rejectsWith(
        updateUser(deps, asMember, member.id, { password: "new-password-1" }),
        "current_password_required",
      );
      await rejectsWith(
        updateUser(deps, asMember, member.id, {
          password: "new-password-1",
          current_password: "wrong-password",
        }),
        "invalid_current_password",
      );
    });
    await st.step("an id that is not a UUID is not found", async () => {
      await rejectsWith(deleteUser(deps, owner, "not-a-uuid"), "user_not_found");
    });
  });
});
