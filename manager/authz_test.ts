import assert from "node:assert/strict";
import { decide, effectiveAppRole, type Principal, visibleAppIds } from "./authz.ts";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";

function user(instanceRole: Principal["instanceRole"], appRoles = {}): Principal {
  return { kind: "session", userId: "u1", instanceRole, appRoles };
}

Deno.test("decide() - app actions follow the app role; other apps are hidden", async (t) => {
  const viewer = user("member", { [A]: "viewer" });
  const cases: [string, Principal | null, Parameters<typeof decide>[1], string][] = [
    ["anonymous", null, "script.read", "unauthenticated"],
    ["viewer reads", viewer, "script.read", "allow"],
    ["viewer deploys", viewer, "script.deploy", "forbidden"],
    ["viewer executes", viewer, "script.execute", "forbidden"],
    ["editor deploys", user("member", { [A]: "editor" }), "script.deploy", "allow"],
    ["editor manages members", user("member", { [A]: "editor" }), "member.write", "forbidden"],
    ["app admin manages members", user("member", { [A]: "admin" }), "member.write", "allow"],
    ["instance admin acts as app admin", user("admin"), "member.write", "allow"],
  ];
  for (const [name, p, action, want] of cases) {
    await t.step(name, () => assert.equal(decide(p, action, { appId: A }), want));
  }
  await t.step(
    "non-member",
    () => assert.equal(decide(viewer, "app.read", { appId: B }), "hidden"),
  );
});

Deno.test("decide() - users: admins manage, owners alone touch owners, self-edits", async (t) => {
  await t.step(
    "member lists users",
    () => assert.equal(decide(user("member"), "user.read"), "forbidden"),
  );
  await t.step("admin creates admin", () => {
    assert.equal(decide(user("admin"), "user.write", { newRole: "admin" }), "allow");
  });
  await t.step("admin creates owner", () => {
    assert.equal(decide(user("admin"), "user.write", { newRole: "owner" }), "forbidden");
  });
  await t.step("admin edits owner", () => {
    assert.equal(
      decide(user("admin"), "user.write", { userId: "x", targetRole: "owner" }),
      "forbidden",
    );
  });
  await t.step("owner creates owner", () => {
    assert.equal(decide(user("owner"), "user.write", { newRole: "owner" }), "allow");
  });
  await t.step("member renames self", () => {
    assert.equal(decide(user("member"), "user.write", { userId: "u1" }), "allow");
  });
  await t.step("member promotes self", () => {
    assert.equal(
      decide(user("member"), "user.write", { userId: "u1", privileged: true, newRole: "admin" }),
      "forbidden",
    );
  });
});

Deno.test("decide() - API keys: narrowed, read-only, no key management", async (t) => {
  const owner = user("owner");
  const narrowed: Principal = {
    ...owner,
    kind: "api_key",
    key: { id: "k", appId: B, readOnly: false },
  };
  const readOnly: Principal = {
    ...owner,
    kind: "api_key",
    key: { id: "k", appId: null, readOnly: true },
  };
  await t.step("narrowed key on its app", () => {
    assert.equal(decide(narrowed, "script.deploy", { appId: B }), "allow");
  });
  await t.step("narrowed key elsewhere", () => {
    assert.equal(decide(narrowed, "script.read", { appId: A }), "hidden");
  });
  await t.step(
    "narrowed key on users",
    () => assert.equal(decide(narrowed, "user.read"), "forbidden"),
  );
  await t.step("read-only key reads", () => {
    assert.equal(decide(readOnly, "script.read", { appId: A }), "allow");
  });
  await t.step("read-only key deploys", () => {
    assert.equal(decide(readOnly, "script.deploy", { appId: A }), "forbidden");
  });
  await t.step("keys cannot mint keys", () => {
    assert.equal(decide(readOnly, "api_key.manage"), "session_required");
  });
  await t.step("my_role of a read-only key is viewer", () => {
    assert.equal(effectiveAppRole(readOnly, A), "viewer");
  });
  await t.step("visible apps", () => {
    assert.deepEqual(visibleAppIds(narrowed), [B]);
    assert.equal(visibleAppIds(owner), null);
    assert.deepEqual(visibleAppIds(user("member", { [A]: "viewer" })), [A]);
  });
});
