import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { claimDomain, listDomains, releaseDomain } from "./service.ts";

Deno.test("domains service - claim, collide, release; routing sees each change", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const claim = await claimDomain(deps, owner, "default", { pattern: "API.Example.TEST" });
    assert.equal(claim.pattern, "api.example.test");
    assert.equal(claim.kind, "exact");
    await t.p.routing.reload();
    assert.equal(t.p.routing.current().hosts.match("api.example.test")?.appId, claim.app_id);
    await assert.rejects(
      claimDomain(deps, owner, "default", { pattern: "api.example.test." }),
      (e) => e instanceof ApiError && e.code === "domain_taken" && e.details?.app === "default",
    );
    await assert.rejects(
      claimDomain(deps, owner, "default", { pattern: "example.com:80" }),
      (e) => e instanceof ApiError && e.code === "invalid_domain",
    );
    await releaseDomain(deps, owner, "default", claim.id);
    const left = await listDomains(deps, owner, "default");
    assert.ok(!left.some((d) => d.id === claim.id));
    await assert.rejects(
      releaseDomain(deps, owner, "default", claim.id),
      (e) => e instanceof ApiError && e.code === "domain_not_found",
    );
    const audit = await t.p.db.sql<{ action: string }[]>`
      select action from audit_log where resource_type = 'domain' order by id`;
    assert.deepEqual(audit.map((a) => a.action), ["domain.claim", "domain.release"]);
  });
});

Deno.test("domains service - a viewer cannot claim", async () => {
  await withTestPlatform(async (t) => {
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const viewer: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: { [app.id]: "viewer" },
    };
    await assert.rejects(
      claimDomain(t.p.managerDeps, viewer, "default", { pattern: "v.example.test" }),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
  });
});
