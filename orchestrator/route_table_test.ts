/** @module Tests for per-app route tables. */

import assert from "node:assert/strict";
import {
  buildRouteTable,
  type RouteEntry,
  RoutePathError,
  routeShapeKey,
  validateRoutePath,
} from "./route_table.ts";

function r(id: string, method: string, path: string, host: string | null = null, appId = "app") {
  return { id, appId, scriptId: `s-${id}`, method, path, host } satisfies RouteEntry;
}

const routes: RouteEntry[] = [
  r("root", "GET", "/"),
  r("me", "GET", "/users/me"),
  r("user", "GET", "/users/:id"),
  r("userPut", "PUT", "/users/:id"),
  r("userAny", "ANY", "/users/:id"),
  r("posts", "GET", "/users/:id/posts"),
  r("usersAll", "GET", "/users/*"),
  r("fileMeta", "GET", "/files/:name/meta"),
  r("files", "GET", "/files/*"),
  r("headOnly", "HEAD", "/ping"),
  r("getPing", "GET", "/ping"),
  r("postOnly", "POST", "/form"),
  r("delOnly", "DELETE", "/form"),
  r("getX", "GET", "/x/:a/y"),
  r("postX", "POST", "/x/b/:c"),
  r("anyAll", "ANY", "/any/*"),
  r("hostExact", "GET", "/h", "api.example.com"),
  r("hostParam", "GET", "/h", "{t}.example.com"),
  r("hostWild", "GET", "/h", "*.example.com"),
  r("hostNone", "GET", "/h"),
  r("hostPost", "POST", "/hp", "api.example.com"),
  r("hostGet", "GET", "/hp"),
  r("hostOnly", "GET", "/only", "admin.example.com"),
  r("cafe", "GET", "/café"),
  r("other", "GET", "/users/me", null, "other"),
];

type Want = { id: string; params?: Record<string, string> } | { allow: string[] } | null;
const cases: { name: string; method: string; path: string; host?: string; want: Want }[] = [
  { name: "root", method: "GET", path: "/", want: { id: "root" } },
  { name: "static beats param", method: "GET", path: "/users/me", want: { id: "me" } },
  { name: "param", method: "GET", path: "/users/42", want: { id: "user", params: { id: "42" } } },
  {
    name: "specific beats ANY",
    method: "PUT",
    path: "/users/42",
    want: { id: "userPut", params: { id: "42" } },
  },
  {
    name: "ANY fallback",
    method: "PATCH",
    path: "/users/42",
    want: { id: "userAny", params: { id: "42" } },
  },
  {
    name: "HEAD falls back to GET",
    method: "HEAD",
    path: "/users/42",
    want: { id: "user", params: { id: "42" } },
  },
  { name: "HEAD route beats GET", method: "HEAD", path: "/ping", want: { id: "headOnly" } },
  { name: "lower-case method", method: "get", path: "/ping", want: { id: "getPing" } },
  {
    name: "nested param",
    method: "GET",
    path: "/users/7/posts",
    want: { id: "posts", params: { id: "7" } },
  },
  {
    name: "param beats wildcard",
    method: "GET",
    path: "/users/7",
    want: { id: "user", params: { id: "7" } },
  },
  {
    name: "backtrack to wildcard",
    method: "GET",
    path: "/users/7/likes",
    want: { id: "usersAll", params: { "*": "7/likes" } },
  },
  {
    name: "wildcard empty rest",
    method: "GET",
    path: "/files",
    want: { id: "files", params: { "*": "" } },
  },
  {
    name: "wildcard trailing slash",
    method: "GET",
    path: "/files/",
    want: { id: "files", params: { "*": "" } },
  },
  {
    name: "wildcard deep",
    method: "GET",
    path: "/files/a/b/c.txt",
    want: { id: "files", params: { "*": "a/b/c.txt" } },
  },
  {
    name: "param before wildcard",
    method: "GET",
    path: "/files/a/meta",
    want: { id: "fileMeta", params: { name: "a" } },
  },
  {
    name: "param backtrack",
    method: "GET",
    path: "/files/a/meta/x",
    want: { id: "files", params: { "*": "a/meta/x" } },
  },
  {
    name: "decode param",
    method: "GET",
    path: "/users/a%20b%2Fc",
    want: { id: "user", params: { id: "a b/c" } },
  },
  {
    name: "decode wildcard",
    method: "GET",
    path: "/files/%C3%A9/x",
    want: { id: "files", params: { "*": "é/x" } },
  },
  {
    name: "malformed escape kept raw",
    method: "GET",
    path: "/users/%E0%A4%A",
    want: { id: "user", params: { id: "%E0%A4%A" } },
  },
  { name: "encoded static", method: "GET", path: "/caf%C3%A9", want: { id: "cafe" } },
  { name: "param not empty", method: "GET", path: "/x//y", want: null },
  { name: "405 with allow", method: "GET", path: "/form", want: { allow: ["POST", "DELETE"] } },
  { name: "405 GET implies HEAD", method: "POST", path: "/ping", want: { allow: ["GET", "HEAD"] } },
  {
    name: "method falls back across paths",
    method: "POST",
    path: "/x/b/y",
    want: { id: "postX", params: { c: "y" } },
  },
  {
    name: "method backtracks to param path",
    method: "GET",
    path: "/x/b/y",
    want: { id: "getX", params: { a: "b" } },
  },
  {
    name: "405 unions paths",
    method: "PUT",
    path: "/x/b/y",
    want: { allow: ["GET", "HEAD", "POST"] },
  },
  {
    name: "ANY wildcard",
    method: "OPTIONS",
    path: "/any/thing",
    want: { id: "anyAll", params: { "*": "thing" } },
  },
  {
    name: "exact segments",
    method: "GET",
    path: "/users/me/",
    want: { id: "usersAll", params: { "*": "me/" } },
  },
  { name: "unknown path", method: "GET", path: "/nope", want: null },
  { name: "not a path", method: "GET", path: "nope", want: null },
  {
    name: "exact host",
    method: "GET",
    path: "/h",
    host: "api.example.com",
    want: { id: "hostExact" },
  },
  {
    name: "param host",
    method: "GET",
    path: "/h",
    host: "acme.example.com",
    want: { id: "hostParam", params: { t: "acme" } },
  },
  {
    name: "wildcard host",
    method: "GET",
    path: "/h",
    host: "a.b.example.com",
    want: { id: "hostWild" },
  },
  {
    name: "host-less fallback",
    method: "GET",
    path: "/h",
    host: "other.org",
    want: { id: "hostNone" },
  },
  {
    name: "host route other method",
    method: "GET",
    path: "/hp",
    host: "api.example.com",
    want: { id: "hostGet" },
  },
  {
    name: "host route method",
    method: "POST",
    path: "/hp",
    host: "api.example.com",
    want: { id: "hostPost" },
  },
  {
    name: "host route elsewhere 405",
    method: "POST",
    path: "/hp",
    host: "x.org",
    want: { allow: ["GET", "HEAD"] },
  },
  {
    name: "host-only route",
    method: "GET",
    path: "/only",
    host: "admin.example.com",
    want: { id: "hostOnly" },
  },
  {
    name: "host-only route other host",
    method: "GET",
    path: "/only",
    host: "x.example.com",
    want: null,
  },
];

Deno.test("RouteTable.match() - precedence, methods, params and hosts", async (t) => {
  for (const order of ["given", "reversed"]) {
    const table = buildRouteTable(order === "given" ? routes : [...routes].reverse());
    for (const c of cases) {
      await t.step(`${c.name} (${order})`, () => {
        const m = table.match("app", c.method, c.path, c.host ?? "localhost");
        if (c.want === null) return assert.equal(m, null);
        assert.ok(m, "expected a match");
        if ("allow" in c.want) {
          return assert.deepEqual(m, { methodNotAllowed: true, allow: c.want.allow });
        }
        assert.ok("route" in m, `expected a route, got ${JSON.stringify(m)}`);
        assert.equal(m.route.id, c.want.id);
        assert.deepEqual(m.params, c.want.params ?? {});
      });
    }
  }
});

Deno.test("RouteTable.match() - apps are partitioned", async (t) => {
  const table = buildRouteTable(routes);
  const cases = [
    { name: "other app", app: "other", path: "/users/me", want: "other" },
    { name: "other app has no param route", app: "other", path: "/users/1", want: null },
    { name: "unknown app", app: "ghost", path: "/", want: null },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const m = table.match(c.app, "GET", c.path, "localhost");
      assert.equal(m && "route" in m ? m.route.id : null, c.want);
    });
  }
  await t.step("first duplicate wins", () => {
    const dup = buildRouteTable([r("a", "GET", "/u/:id"), r("b", "get", "/u/:uid")]);
    const m = dup.match("app", "GET", "/u/1", "localhost");
    assert.deepEqual(m && "route" in m ? [m.route.id, m.params] : null, ["a", { id: "1" }]);
  });
  await t.step("bad method throws", () => {
    assert.throws(() => buildRouteTable([r("a", "FETCH", "/")]), { code: "invalid_route_method" });
  });
});

Deno.test("routeShapeKey() - erases parameter names", async (t) => {
  type K = [string, string, string | null];
  const cases: { name: string; a: K; b: K; same: boolean }[] = [
    {
      name: "param names",
      a: ["GET", "/users/:id", null],
      b: ["get", "/users/:uid", null],
      same: true,
    },
    {
      name: "host param names",
      a: ["GET", "/", "{a}.x.com"],
      b: ["GET", "/", "{b}.x.com"],
      same: true,
    },
    { name: "method", a: ["GET", "/a", null], b: ["POST", "/a", null], same: false },
    { name: "host vs none", a: ["GET", "/a", "x.com"], b: ["GET", "/a", null], same: false },
    { name: "param vs wildcard", a: ["GET", "/a/:x", null], b: ["GET", "/a/*", null], same: false },
    { name: "param vs static", a: ["GET", "/a/:x", null], b: ["GET", "/a/x", null], same: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(routeShapeKey(...c.a) === routeShapeKey(...c.b), c.same);
    });
  }
  await t.step(
    "key text",
    () => assert.equal(routeShapeKey("get", "/u/:id/*", null), "GET /u/:/*"),
  );
});

Deno.test("validateRoutePath() - rejects bad patterns", async (t) => {
  const ok = ["/", "/a", "/a/:id", "/a/*", "/*", "/:a/:b", "/v1/items:batch", "/café"];
  for (const path of ok) await t.step(`accepts ${path}`, () => void validateRoutePath(path));
  const bad = [
    { name: "no slash", path: "users" },
    { name: "empty", path: "" },
    { name: "trailing slash", path: "/users/" },
    { name: "double slash", path: "/a//b" },
    { name: "wildcard not last", path: "/*/a" },
    { name: "partial wildcard", path: "/a*" },
    { name: "bad param", path: "/:1a" },
    { name: "empty param", path: "/:" },
    { name: "duplicate param", path: "/:a/:a" },
    { name: "dot segment", path: "/a/../b" },
    { name: "query", path: "/a?b" },
    { name: "space", path: "/a b" },
    { name: "too long", path: "/" + "a".repeat(1024) },
  ];
  for (const c of bad) {
    await t.step(c.name, () => {
      assert.throws(() => validateRoutePath(c.path), (e: unknown) => {
        assert.ok(e instanceof RoutePathError);
        assert.equal(e.code, "invalid_route_path");
        return true;
      });
    });
  }
});
