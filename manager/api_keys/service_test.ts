import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";
import { createApiKey, deleteApiKey, listApiKeys } from "./service.ts";

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err) => err instanceof ApiError && err.code === code);
}

const plain = { name: "ci", app_id: null, read_only: false, expires_at: null };

Deno.test("api keys service - create, list and delete without HTTP, audited", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const [{ id }] = await deps.sql`select id from admin_users where email = ${OWNER.email}`;
    const owner: Principal = { kind: "session", userId: id, instanceRole: "owner", appRoles: {} };
    const created = await createApiKey(deps, owner, {
      ...plain,
      app_id: "default",
      read_only: true,
    });
    assert.match(created.key, /^pc_/);
    assert.equal(created.read_only, true);
    assert.ok(created.app_id);
    const listed = await listApiKeys(deps, owner);
    assert.deepEqual(listed.map((k) => k.id), [created.id]);
    assert.equal("key" in listed[0], false);
    await deleteApiKey(deps, owner, created.id);
    assert.deepEqual(await listApiKeys(deps, owner), []);
    const actions = await deps.sql`
      select action from audit_log where resource_id = ${created.id} order by id`;
    assert.deepEqual(actions.map((r) => r.action), ["api_key.create", "api_key.delete"]);
  });
});

Deno.test("api keys service - refusals are typed errors", async (st) => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const [{ id }] = await deps.sql`select id from admin_users where email = ${OWNER.email}`;
    const owner: Principal = { kind: "session", userId: id, instanceRole: "owner", appRoles: {} };
    const key: Principal = {
      ...owner,
      kind: "api_key",
      key: { id: "k", appId: null, readOnly: false },
    };
    await st.step("an API key cannot manage keys", async () => {
      await rejectsWith(createApiKey(deps, key, plain), "session_required");
      await rejectsWith(listApiKeys(deps, key), "session_required");
    });
    await st.step("an expiry in the past", async () => {
      await rejectsWith(
        createApiKey(deps, owner, { ...plain, expires_at: "2000-01-01T00:00:00Z" }),
        "invalid_request",
      );
    });
    await st.step("an app the caller cannot see", async () => {
      const member: Principal = { ...owner, instanceRole: "member" };
      await rejectsWith(
        createApiKey(deps, member, { ...plain, app_id: "default" }),
        "app_not_found",
      );
    });
    await st.step("someone else's or no key", async () => {
      await rejectsWith(deleteApiKey(deps, owner, "not-a-uuid"), "api_key_not_found");
    });
  });
});
