import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { grantMember } from "../members/service.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { readAudit } from "./service.ts";

Deno.test("audit service - the whole log for owners, one app's for its admins only", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const id = await t.createUser(await t.login(OWNER.email, OWNER.password), {
      email: "a@example.com",
    });
    await grantMember(deps, owner, "default", { user_id: id, role: "admin" });
    const all = await readAudit(deps, owner, { limit: 10 });
    assert.deepEqual(all.slice(0, 2).map((e) => e.action), ["member.grant", "user.create"]);
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const appAdmin: Principal = {
      kind: "session",
      userId: id,
      instanceRole: "member",
      appRoles: { [app.id]: "admin" },
    };
    const mine = await readAudit(deps, appAdmin, { app: "default", actor: owner.userId, limit: 5 });
    assert.deepEqual(mine.map((e) => e.action), ["member.grant"]);
    await assert.rejects(
      readAudit(deps, appAdmin, { limit: 5 }),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
    await assert.rejects(
      readAudit(deps, { ...appAdmin, appRoles: { [app.id]: "editor" } }, {
        app: "default",
        limit: 5,
      }),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
  });
});
