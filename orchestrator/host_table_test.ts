/** @module Tests for the host → app table. */

import assert from "node:assert/strict";
import { buildHostTable, type HostClaim } from "./host_table.ts";

const claims: HostClaim[] = [
  { appId: "exact", pattern: "api.example.com" },
  { appId: "wild", pattern: "*.example.com" },
  { appId: "tenant", pattern: "{tenant}.example.com" },
  { appId: "apiparam", pattern: "{t}.api.example.com" },
  { appId: "deepwild", pattern: "*.b.example.com" },
  { appId: "region", pattern: "{svc}.{region}.cloud.test" },
  { appId: "mid", pattern: "www.{site}.pages.test" },
  { appId: "local", pattern: "localhost" },
  { appId: "ipv4", pattern: "127.0.0.1" },
  { appId: "ipv6", pattern: "[::1]" },
  { appId: "idna", pattern: "xn--bcher-kva.example" },
  { appId: "apex", pattern: "example.com" },
  { appId: "onlywild", pattern: "*.wild.test" },
];

Deno.test("HostTable.match() - precedence and params", async (t) => {
  const cases: {
    name: string;
    host: string;
    app: string | null;
    params?: Record<string, string>;
  }[] = [
    { name: "exact beats param and wildcard", host: "api.example.com", app: "exact" },
    { name: "apex exact", host: "example.com", app: "apex" },
    {
      name: "param beats wildcard",
      host: "acme.example.com",
      app: "tenant",
      params: { tenant: "acme" },
    },
    { name: "literal beats param", host: "x.api.example.com", app: "apiparam", params: { t: "x" } },
    { name: "backtrack to wildcard", host: "x.y.example.com", app: "wild" },
    { name: "deeper wildcard wins", host: "x.b.example.com", app: "deepwild" },
    { name: "deeper wildcard many labels", host: "x.y.b.example.com", app: "deepwild" },
    {
      name: "param at b beats wildcard",
      host: "b.example.com",
      app: "tenant",
      params: { tenant: "b" },
    },
    {
      name: "two params",
      host: "db.eu.cloud.test",
      app: "region",
      params: { svc: "db", region: "eu" },
    },
    { name: "two params wrong depth", host: "eu.cloud.test", app: null },
    { name: "middle param", host: "www.blog.pages.test", app: "mid", params: { site: "blog" } },
    { name: "middle param literal mismatch", host: "api.blog.pages.test", app: null },
    { name: "wildcard one label", host: "a.wild.test", app: "onlywild" },
    { name: "wildcard three labels", host: "a.b.c.wild.test", app: "onlywild" },
    { name: "wildcard needs a label", host: "wild.test", app: null },
    { name: "localhost", host: "localhost", app: "local" },
    { name: "ipv4", host: "127.0.0.1", app: "ipv4" },
    { name: "other ipv4", host: "127.0.0.2", app: null },
    { name: "ipv6", host: "[::1]", app: "ipv6" },
    { name: "idna", host: "xn--bcher-kva.example", app: "idna" },
    { name: "unknown", host: "nope.org", app: null },
    { name: "empty", host: "", app: null },
    { name: "empty label", host: "a..example.com", app: null },
  ];
  for (const order of ["given", "reversed"]) {
    const table = buildHostTable(order === "given" ? claims : [...claims].reverse());
    for (const c of cases) {
      await t.step(`${c.name} (${order})`, () => {
        const m = table.match(c.host);
        assert.equal(m?.appId ?? null, c.app);
        if (m) assert.deepEqual(m.params, c.params ?? {});
      });
    }
  }
});

Deno.test("buildHostTable() - first claim wins for equal shape keys", async (t) => {
  const cases: { name: string; claims: HostClaim[]; host: string; app: string; params: object }[] =
    [
      {
        name: "renamed param",
        claims: [{ appId: "a", pattern: "{x}.t.com" }, { appId: "b", pattern: "{y}.t.com" }],
        host: "q.t.com",
        app: "a",
        params: { x: "q" },
      },
      {
        name: "exact duplicate",
        claims: [{ appId: "b", pattern: "t.com" }, { appId: "a", pattern: "T.com." }],
        host: "t.com",
        app: "b",
        params: {},
      },
      {
        name: "wildcard duplicate",
        claims: [{ appId: "a", pattern: "*.t.com" }, { appId: "b", pattern: "*.t.com" }],
        host: "q.t.com",
        app: "a",
        params: {},
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const m = buildHostTable(c.claims).match(c.host);
      assert.equal(m?.appId, c.app);
      assert.deepEqual(m?.params, c.params);
    });
  }
});

Deno.test("buildHostTable() - empty table and invalid claims", async (t) => {
  await t.step("empty", () => assert.equal(buildHostTable([]).match("example.com"), null));
  await t.step("invalid claim throws", () => {
    assert.throws(() => buildHostTable([{ appId: "a", pattern: "a:80" }]), {
      code: "invalid_domain",
    });
  });
});
