import assert from "node:assert/strict";
import { admin, type Ctx, expected, needsOf, WHO, type Who } from "../testing/access_matrix.ts";
import { ENDPOINTS } from "../testing/access_matrix_endpoints.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { declarationOf, nonConformance, OWNER, withTestPlatform } from "../testing/platform.ts";

Deno.test("authorization - every endpoint × every kind of caller", async (t) => {
  await withTestPlatform(async (tp) => {
    const sql = tp.p.db.sql;
    let counter = 0;
    const owner = await tp.login(OWNER.email, OWNER.password);
    await sql`insert into apps (slug, name) values ('app-a', 'A'), ('app-b', 'B')`;
    const [{ id: appA }] = await sql`select id from apps where slug = 'app-a'`;
    const script = await tp.call("POST", `${admin}/scripts`, {
      token: owner,
      body: {
        app_id: "app-a",
        name: "main",
        source: "export default { fetch: () => new Response('ok') };",
      },
    });
    assert.equal(script.status, 201);
    await tp.p.routing.reload();

    const tokens: Partial<Record<Who, string>> = { owner };
    const member = async (who: Who, role: string | null, instanceRole = "member") => {
      const email = `${who}@example.com`;
      const id = await tp.createUser(owner, { email, role: instanceRole });
      if (role) {
        const r = await tp.call("POST", `${admin}/apps/app-a/members`, {
          token: owner,
          body: { user_id: id, role },
        });
        assert.equal(r.status, 201);
      }
      tokens[who] = await tp.login(email, "member-password-1");
      return id;
    };
    await member("viewer", "viewer");
    await member("editor", "editor");
    await member("app_admin", "admin");
    await member("instance_admin", null, "admin");
    const gone = await member("deactivated", "admin");
    const off = await tp.call("PATCH", `${admin}/users/${gone}`, {
      token: owner,
      body: { active: false },
    });
    assert.equal(off.status, 200);
    const keyB = await tp.call("POST", `${admin}/api-keys`, {
      token: owner,
      body: { name: "b only", app_id: "app-b" },
    });
    tokens.key_other_app = keyB.body.key;
    const expiring = await tp.call("POST", `${admin}/api-keys`, {
      token: owner,
      body: { name: "old", expires_at: new Date(Date.now() + 60_000).toISOString() },
    });
    await sql`update api_keys set expires_at = now() - interval '1 second'
      where id = ${expiring.body.id}`;
    tokens.expired_key = expiring.body.key;

    const ctx: Ctx = {
      t: tp,
      owner,
      appA,
      scriptA: script.body.id,
      bystander: await tp.createUser(owner, { email: "bystander@example.com" }),
      n: () => ++counter,
      relogin: async (token) => {
        const me = await tp.call("GET", `${admin}/me`, { token });
        const email = me.body.user.email as string;
        return await tp.login(email, email === OWNER.email ? OWNER.password : "member-password-1");
      },
    };
    const docs = tp.p.endpoints();
    const covered = new Set<EndpointDoc>();
    for (const e of ENDPOINTS) {
      await t.step(e.name, async () => {
        const got: string[] = [];
        const want: string[] = [];
        const wrong: string[] = [];
        for (const who of WHO) {
          const token = tokens[who];
          const session = token !== undefined && !token.startsWith("pc_") && who !== "deactivated";
          const req = await e.make(ctx, { token, session });
          // The expectation comes from the declaration the request hits and its action.
          const decl = declarationOf(docs, req);
          assert.ok(decl, `${req.method} ${req.path} is not a declared endpoint`);
          covered.add(decl);
          const action = e.action ?? decl.action;
          assert.ok(
            action === decl.action || decl.actions?.includes(action as never),
            `${e.name}: ${action} is not an action of ${decl.method} ${decl.path}`,
          );
          const r = await tp.call(req.method, req.path, {
            token: req.token ?? token,
            body: req.body,
          });
          got.push(`${who} ${r.status}${r.status >= 400 ? " " + r.body.error?.code : ""}`);
          want.push(`${who} ${e.except?.[who]?.status ?? expected(needsOf(action), who, e.ok)}`);
          wrong.push(...nonConformance(decl, r.status, r.body).map((w) => `${who}: ${w}`));
        }
        assert.deepEqual(got.map((g) => g.split(" ").slice(0, 2).join(" ")), want, got.join(", "));
        assert.deepEqual(wrong, [], "answers that differ from the declaration");
      });
    }
    await t.step("every declared endpoint that needs a caller is in the matrix", () => {
      const missing = docs
        .filter((d) => d.action !== "public" && d.action !== "setup_token" && !covered.has(d))
        .map((d) => `${d.method.toUpperCase()} ${d.path}`);
      assert.deepEqual(missing, []);
    });
  });
});

Deno.test("declared answers - 409 and 422 conform to their declarations too", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const cases: [string, string, unknown, number, string][] = [
      ["POST", `${admin}/apps`, { slug: "default", name: "Again" }, 409, "slug_taken"],
      ["DELETE", `${admin}/apps/default`, undefined, 409, "default_app"],
      [
        "POST",
        `${admin}/scripts`,
        {
          app_id: "default",
          name: "broken",
          source: "export default { fetch( };",
        },
        422,
        "compile_error",
      ],
      [
        "POST",
        `${admin}/users`,
        {
          email: OWNER.email,
          password: "long-enough-1",
        },
        409,
        "email_taken",
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await tp.call(method, path, { token, body });
      assert.deepEqual([r.status, r.body.error?.code], [status, code], `${method} ${path}`);
    }
    // withTestPlatform fails the test if any of these answers is off its declaration.
    assert.deepEqual(tp.nonConforming, []);
  });
});
