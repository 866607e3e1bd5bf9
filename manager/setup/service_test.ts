import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { withTestPlatform } from "../../testing/platform.ts";
import { completeSetup } from "./service.ts";

const noBootstrap = { PICLOUD_BOOTSTRAP_EMAIL: "", PICLOUD_BOOTSTRAP_PASSWORD: "" };

Deno.test("setup service - the printed token creates the first owner once", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const token = /token=([A-Za-z0-9_-]+)/.exec(t.lines.join("\n"))![1];
    const input = {
      token,
      email: "first@example.com",
      password: "first-password-1",
      display_name: "",
    };
    await assert.rejects(
      completeSetup(deps, { ...input, token: "nope" }),
      (err) => err instanceof ApiError && err.code === "invalid_setup_token",
    );
    const owner = await completeSetup(deps, input);
    assert.equal(owner.instance_role, "owner");
    await assert.rejects(
      completeSetup(deps, input),
      (err) => err instanceof ApiError && err.code === "already_set_up",
    );
    const [row] = await deps.sql`select action from audit_log where resource_id = ${owner.id}`;
    assert.equal(row.action, "user.setup");
  }, noBootstrap);
});
