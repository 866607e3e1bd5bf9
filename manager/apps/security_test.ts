/**
 * @module Break 13 (input) and 12 regression tests for apps: no UUID-shaped slugs (they would be
 * read as ids and never found by slug), no lone surrogates or NUL in any stored text.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin/apps";
const UUIDS = [
  "123e4567-e89b-12d3-a456-426614174000",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
];

Deno.test("break 13 - a slug shaped like a UUID is refused at create, rename and check", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const app = await t.call("POST", A, { token, body: { slug: "acme", name: "Acme" } });
    assert.equal(app.status, 201);
    for (const slug of UUIDS) {
      const create = await t.call("POST", A, { token, body: { slug, name: "x" } });
      assert.equal(create.status, 400, slug);
      assert.equal(create.body.error.code, "invalid_request");
      const rename = await t.call("PATCH", `${A}/acme`, { token, body: { slug } });
      assert.equal(rename.status, 400, slug);
      assert.equal(rename.body.error.code, "invalid_request");
      const check = await t.call("POST", `${A}/acme/slug:check`, { token, body: { slug } });
      assert.equal(check.status, 400, slug);
    }
    // Near misses are ordinary slugs.
    const near = await t.call("POST", A, {
      token,
      body: { slug: "123e4567-e89b-12d3-a456-42661417400", name: "x" },
    });
    assert.equal(near.status, 201);
    assert.equal((await t.call("GET", `${A}/acme`, { token })).body.slug, "acme");
  });
});

Deno.test("break 13 - lone surrogates in JSON strings are refused, not replaced", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const raw = async (method: string, path: string, body: string) => {
      const res = await t.p.console.request(`http://localhost${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      return { status: res.status, body: await res.json() };
    };
    const cases: [string, string, string][] = [
      ["POST", A, '{"slug":"s1","name":"a\\ud800b"}'],
      ["POST", A, '{"slug":"s2","name":"\\udc00"}'],
      ["POST", A, '{"slug":"s3","name":"\\ude00\\ud83d"}'], // reversed pair
      ["PATCH", `${A}/default`, '{"name":"x\\ud800"}'],
      ["POST", "/api/v1/admin/scripts", '{"name":"s","source":"//\\ud800","description":"d"}'],
      ["POST", "/api/v1/admin/scripts", '{"name":"s","source":"x","description":"\\ud800"}'],
      ["POST", "/api/v1/admin/users", '{"email":"a@b.co","password":"password\\ud800"}'],
      ["POST", "/api/v1/admin/api-keys", '{"name":"\\ud800"}'],
    ];
    for (const [method, path, body] of cases) {
      const r = await raw(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${body}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "invalid_request");
      assert.ok(Array.isArray(r.body.error.details?.issues), JSON.stringify(r.body));
    }
    // A proper pair (an emoji) is fine.
    const ok = await raw("POST", A, '{"slug":"emoji","name":"\\ud83d\\ude00"}');
    assert.equal(ok.status, 201);
    assert.equal(ok.body.name, "😀");
  });
});

Deno.test("break 12 - NUL and control characters in app fields, paths and queries are 400", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const bad: [string, string, unknown][] = [
      ["POST", A, { slug: "n1", name: "a\u0000b" }],
      ["POST", A, { slug: "n2", name: "a\u0007b" }],
      ["PATCH", `${A}/default`, { name: "\u0000" }],
      ["GET", `${A}/a%00b`, undefined],
      ["GET", `${A}/%ED%A0%80`, undefined],
      ["GET", `${A}/default/domains?x=%00`, undefined],
      ["GET", `/api/v1/admin/scripts?app=%00`, undefined],
      ["GET", `/api/v1/admin/routes?app=a%00`, undefined],
      ["GET", `/api/v1/admin/schedules?app=%FF`, undefined],
      ["GET", `/api/v1/admin/audit?app=%00`, undefined],
      ["GET", `/api/v1/admin/audit?since=0000-01-01T00:00:00Z`, undefined],
      ["GET", `/api/v1/admin/audit?since=2024-01-01T00:00:00%2B99:99`, undefined],
    ];
    for (const [method, path, body] of bad) {
      const r = await t.call(method, path, { token, body });
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "invalid_request");
    }
  });
});
