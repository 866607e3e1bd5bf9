import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { checkSlug, createApp, deleteApp, getApp, listApps, updateApp } from "./service.ts";

const refusedWith = (code: string) => (e: unknown) => e instanceof ApiError && e.code === code;

Deno.test("apps service - create, rename (old slug held), check and delete, each audited, no HTTP", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const app = await createApp(deps, owner, { slug: "shop", name: "Shop", force: false });
    assert.equal(app.my_role, "admin");
    await assert.rejects(
      createApp(deps, owner, { slug: "shop", name: "Again", force: false }),
      refusedWith("slug_taken"),
    );
    const renamed = await updateApp(deps, owner, "shop", { slug: "store", force: false });
    assert.equal(renamed.slug, "store");
    // The old slug is held by the app's history: taking it needs `force`.
    assert.deepEqual(await checkSlug(deps, owner, "default", "shop"), {
      slug: "shop",
      status: "held_by_history",
      held_by: { id: app.id, slug: "store", name: "Shop" },
    });
    assert.equal((await getApp(deps, owner, app.id)).slug, "store");
    assert.deepEqual((await listApps(deps, owner)).map((a) => a.slug).sort(), ["default", "store"]);
    await deleteApp(deps, owner, "store");
    await assert.rejects(getApp(deps, owner, "store"), refusedWith("app_not_found"));
    await assert.rejects(deleteApp(deps, owner, "default"), refusedWith("default_app"));
    const audit = await t.p.db.sql<{ action: string }[]>`
      select action from audit_log where resource_type = 'app' order by id`;
    assert.deepEqual(audit.map((a) => a.action), ["app.create", "app.update", "app.delete"]);
  });
});

Deno.test("apps service - members see their apps only; a viewer cannot rename", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const mine = await createApp(deps, owner, { slug: "mine", name: "Mine", force: false });
    await createApp(deps, owner, { slug: "theirs", name: "Theirs", force: false });
    const viewer: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: { [mine.id]: "viewer" },
    };
    assert.deepEqual((await listApps(deps, viewer)).map((a) => [a.slug, a.my_role]), [
      ["mine", "viewer"],
    ]);
    await assert.rejects(
      updateApp(deps, viewer, "mine", { name: "X", force: false }),
      (e) => refusedWith("forbidden")(e),
    );
    // Another app does not exist for this caller: 404, not 403.
    await assert.rejects(getApp(deps, viewer, "theirs"), refusedWith("app_not_found"));
    await assert.rejects(
      createApp(deps, viewer, { slug: "new", name: "New", force: false }),
      refusedWith("forbidden"),
    );
  });
});
