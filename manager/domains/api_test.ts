import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const apps = "/api/v1/admin/apps";

Deno.test("domains API - patterns are normalised; invalid ones are 400", async (t) => {
  await withTestPlatform(async (tp) => {
    const owner = await tp.login(OWNER.email, OWNER.password);
    assert.equal(
      (await tp.call("POST", apps, { token: owner, body: { slug: "n", name: "N" } }))
        .status,
      201,
    );
    const cases: [input: string, status: number, pattern: string, kind?: string][] = [
      ["API.Example.COM", 201, "api.example.com", "exact"],
      ["bücher.example", 201, "xn--bcher-kva.example", "exact"],
      ["trailing.example.", 201, "trailing.example", "exact"],
      ["*.Wild.Example", 201, "*.wild.example", "wildcard"],
      ["{tenant}.Example.Test", 201, "{tenant}.example.test", "param"],
      ["10.0.0.7", 201, "10.0.0.7", "exact"],
      ["example.com:8080", 400, "invalid_domain"],
      ["https://example.com", 400, "invalid_domain"],
      ["example.com/path", 400, "invalid_domain"],
      ["a..b", 400, "invalid_domain"],
      ["foo.*.com", 400, "invalid_domain"],
      ["{tenant}", 400, "invalid_domain"],
      ["under_score.example", 400, "invalid_domain"],
      ["", 400, "invalid_request"],
    ];
    for (const [input, status, expected, kind] of cases) {
      await t.step(`${JSON.stringify(input)} → ${status} ${expected}`, async () => {
        const r = await tp.call("POST", `${apps}/n/domains`, {
          token: owner,
          body: { pattern: input },
        });
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (status === 201) {
          assert.equal(r.body.pattern, expected);
          assert.equal(r.body.kind, kind);
        } else assert.equal(r.body.error.code, expected);
      });
    }
    await t.step("the same host in another spelling collides", async () => {
      for (const input of ["api.example.com.", "xn--bcher-kva.example", "{other}.example.test"]) {
        const r = await tp.call("POST", `${apps}/n/domains`, {
          token: owner,
          body: { pattern: input },
        });
        assert.equal(r.status, 409, input);
        assert.equal(r.body.error.code, "domain_taken");
        assert.equal(r.body.error.details?.app, "n");
      }
    });
    const list = await tp.call("GET", `${apps}/n/domains`, { token: owner });
    assert.deepEqual(list.body.items.map((d) => d.pattern), [
      "*.wild.example",
      "10.0.0.7",
      "api.example.com",
      "trailing.example",
      "xn--bcher-kva.example",
      "{tenant}.example.test",
    ]);
  });
});

Deno.test("domains API - domain_taken names the holder only to callers who can see it", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    for (const slug of ["holder", "claimer"]) {
      assert.equal(
        (await t.call("POST", apps, { token: owner, body: { slug, name: slug } })).status,
        201,
      );
    }
    const claim = await t.call("POST", `${apps}/holder/domains`, {
      token: owner,
      body: { pattern: "{x}.shared.test" },
    });
    assert.equal(claim.status, 201);
    await t.createUser(owner, { email: "outsider@example.com" });
    await t.createUser(owner, { email: "insider@example.com" });
    const grant = async (slug: string, email: string, role: string) => {
      const r = await t.call("POST", `${apps}/${slug}/members`, {
        token: owner,
        body: { email, role },
      });
      assert.equal(r.status, 201);
    };
    await grant("claimer", "outsider@example.com", "admin");
    await grant("claimer", "insider@example.com", "admin");
    await grant("holder", "insider@example.com", "viewer");
    const outsider = await t.login("outsider@example.com", "member-password-1");
    const insider = await t.login("insider@example.com", "member-password-1");

    const cases: [who: string, token: string, app: string | undefined][] = [
      ["owner", owner, "holder"],
      ["member of both apps", insider, "holder"],
      ["member of the claiming app only", outsider, undefined],
    ];
    for (const [who, token, app] of cases) {
      const r = await t.call("POST", `${apps}/claimer/domains`, {
        token,
        body: { pattern: "{y}.Shared.test" },
      });
      assert.equal(r.status, 409, who);
      assert.equal(r.body.error.code, "domain_taken", who);
      assert.equal(r.body.error.details?.app, app, who);
      if (app === undefined) assert.ok(!JSON.stringify(r.body).includes("holder"), who);
    }
  });
});

Deno.test("domains API - 30 concurrent claims of one shape: one 201, the rest 409", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const slugs = ["r0", "r1", "r2"];
    for (const slug of slugs) {
      assert.equal(
        (await t.call("POST", apps, { token: owner, body: { slug, name: slug } })).status,
        201,
      );
    }
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.call("POST", `${apps}/${slugs[i % 3]}/domains`, {
          token: owner,
          body: { pattern: i % 2 ? `{p${i}}.race.test` : "{tenant}.race.test" },
        })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(","));
    assert.ok(results.every((r) => r.status === 201 || r.body.error.code === "domain_taken"));
    const [{ n }] = await t.p.db.sql`
      select count(*)::int as n from app_domains where shape_key = '{}.race.test'`;
    assert.equal(n, 1);
    const [{ audits }] = await t.p.db.sql`
      select count(*)::int as audits from audit_log where action = 'domain.claim'`;
    assert.equal(audits, 1);
  });
});

Deno.test("domains API - claims and releases reach routing at once", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    assert.equal(
      (await t.call("POST", apps, { token: owner, body: { slug: "live", name: "L" } }))
        .status,
      201,
    );
    const code = async () =>
      (await (await t.p.tenant.request("http://now.example.test/")).json()).error.code;
    assert.equal(await code(), "unknown_host");
    const claim = await t.call("POST", `${apps}/live/domains`, {
      token: owner,
      body: { pattern: "now.example.test" },
    });
    assert.equal(claim.status, 201);
    assert.equal(await code(), "no_route");

    const other = await t.call("DELETE", `${apps}/default/domains/${claim.body.id}`, {
      token: owner,
    });
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, "domain_not_found");
    const bad = await t.call("DELETE", `${apps}/live/domains/not-a-uuid`, { token: owner });
    assert.equal(bad.status, 404);
    const del = await t.call("DELETE", `${apps}/live/domains/${claim.body.id}`, { token: owner });
    assert.equal(del.status, 204);
    assert.equal(await code(), "unknown_host");
    const again = await t.call("DELETE", `${apps}/live/domains/${claim.body.id}`, { token: owner });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, "domain_not_found");
  });
});
