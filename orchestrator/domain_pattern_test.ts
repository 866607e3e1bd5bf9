/** @module Tests for domain pattern parsing and Host header normalisation. */

import assert from "node:assert/strict";
import { DomainPatternError, normalizeHost, parseDomainPattern } from "./domain_pattern.ts";

Deno.test("parseDomainPattern() - normalises valid patterns", async (t) => {
  const cases: { name: string; input: string; pattern: string; kind: string; names?: string[] }[] =
    [
      { name: "exact", input: "api.example.com", pattern: "api.example.com", kind: "exact" },
      { name: "upper case", input: "API.Example.COM", pattern: "api.example.com", kind: "exact" },
      { name: "trailing dot", input: "example.com.", pattern: "example.com", kind: "exact" },
      { name: "whitespace", input: "  example.com \n", pattern: "example.com", kind: "exact" },
      { name: "idna", input: "bücher.example", pattern: "xn--bcher-kva.example", kind: "exact" },
      {
        name: "idna upper",
        input: "BÜCHER.example",
        pattern: "xn--bcher-kva.example",
        kind: "exact",
      },
      {
        name: "punycode",
        input: "xn--bcher-kva.example",
        pattern: "xn--bcher-kva.example",
        kind: "exact",
      },
      {
        name: "ideographic dot",
        input: "bücher。example",
        pattern: "xn--bcher-kva.example",
        kind: "exact",
      },
      { name: "localhost", input: "localhost", pattern: "localhost", kind: "exact" },
      { name: "ipv4", input: "127.0.0.1", pattern: "127.0.0.1", kind: "exact" },
      { name: "ipv6", input: "[::1]", pattern: "[::1]", kind: "exact" },
      { name: "ipv6 long", input: "[0:0::1]", pattern: "[::1]", kind: "exact" },
      { name: "wildcard", input: "*.Example.com", pattern: "*.example.com", kind: "wildcard" },
      {
        name: "param",
        input: "{tenant}.example.com",
        pattern: "{tenant}.example.com",
        kind: "param",
        names: ["tenant"],
      },
      {
        name: "param middle",
        input: "api.{t}.example.com",
        pattern: "api.{t}.example.com",
        kind: "param",
        names: ["t"],
      },
      {
        name: "two params",
        input: "{a}.{b_2}.example.com",
        pattern: "{a}.{b_2}.example.com",
        kind: "param",
        names: ["a", "b_2"],
      },
      {
        name: "wildcard and param",
        input: "*.{t}.example.com",
        pattern: "*.{t}.example.com",
        kind: "wildcard",
        names: ["t"],
      },
      { name: "hyphen", input: "my-app.example.com", pattern: "my-app.example.com", kind: "exact" },
      {
        name: "63-char label",
        input: `${"a".repeat(63)}.com`,
        pattern: `${"a".repeat(63)}.com`,
        kind: "exact",
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const p = parseDomainPattern(c.input);
      assert.equal(p.pattern, c.pattern);
      assert.equal(p.kind, c.kind);
      assert.deepEqual(p.paramNames, c.names ?? []);
    });
  }
});

Deno.test("parseDomainPattern() - rejects invalid patterns", async (t) => {
  const cases: { name: string; input: string }[] = [
    { name: "empty", input: "" },
    { name: "blank", input: "   " },
    { name: "only dot", input: "." },
    { name: "port", input: "example.com:8080" },
    { name: "ipv6 port", input: "[::1]:8000" },
    { name: "path", input: "example.com/path" },
    { name: "scheme", input: "https://example.com" },
    { name: "empty label", input: "a..example.com" },
    { name: "leading dot", input: ".example.com" },
    { name: "two trailing dots", input: "example.com.." },
    { name: "label too long", input: `${"a".repeat(64)}.com` },
    { name: "name too long", input: `${"a".repeat(60)}.`.repeat(5) + "com" },
    { name: "underscore", input: "a_b.example.com" },
    { name: "space", input: "a b.example.com" },
    { name: "at sign", input: "user@example.com" },
    { name: "leading hyphen", input: "-a.example.com" },
    { name: "bad punycode", input: "xn--zz.example.com" },
    { name: "bare wildcard", input: "*" },
    { name: "inner wildcard", input: "a.*.example.com" },
    { name: "partial wildcard", input: "a*.example.com" },
    { name: "two wildcards", input: "*.*.example.com" },
    { name: "param tld", input: "example.{tld}" },
    { name: "bare param", input: "{t}" },
    { name: "partial param", input: "x{t}.example.com" },
    { name: "bad param name", input: "{1t}.example.com" },
    { name: "empty param", input: "{}.example.com" },
    { name: "duplicate param", input: "{a}.{a}.example.com" },
    { name: "numeric tld", input: "example.123" },
    { name: "wildcard ip", input: "*.0.0.1" },
    { name: "bad ipv6", input: "[::g]" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => parseDomainPattern(c.input), (e: unknown) => {
        assert.ok(e instanceof DomainPatternError);
        assert.equal(e.code, "invalid_domain");
        assert.doesNotMatch(e.message, /\.$/);
        return true;
      });
    });
  }
});

Deno.test("parseDomainPattern() - shape keys erase parameter names", async (t) => {
  const cases: { name: string; a: string; b: string; same: boolean }[] = [
    { name: "renamed param", a: "{a}.x.com", b: "{b}.X.com", same: true },
    { name: "renamed params", a: "{a}.{b}.x.com", b: "{c}.{d}.x.com", same: true },
    { name: "trailing dot", a: "x.com.", b: "x.com", same: true },
    { name: "idna", a: "bücher.example", b: "xn--bcher-kva.example", same: true },
    { name: "param vs wildcard", a: "{a}.x.com", b: "*.x.com", same: false },
    { name: "param vs literal", a: "{a}.x.com", b: "a.x.com", same: false },
    { name: "different depth", a: "{a}.x.com", b: "{a}.{b}.x.com", same: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const same = parseDomainPattern(c.a).shapeKey === parseDomainPattern(c.b).shapeKey;
      assert.equal(same, c.same);
    });
  }
  await t.step(
    "key text",
    () => assert.equal(parseDomainPattern("{a}.x.com").shapeKey, "{}.x.com"),
  );
});

Deno.test("normalizeHost() - normalises Host headers", async (t) => {
  const cases: { name: string; input: string; want: string | null }[] = [
    { name: "plain", input: "example.com", want: "example.com" },
    { name: "upper case", input: "API.Example.COM", want: "api.example.com" },
    { name: "port", input: "example.com:8080", want: "example.com" },
    { name: "trailing dot", input: "example.com.", want: "example.com" },
    { name: "trailing dot and port", input: "example.com.:443", want: "example.com" },
    { name: "idna", input: "Bücher.example:443", want: "xn--bcher-kva.example" },
    { name: "localhost", input: "localhost:8000", want: "localhost" },
    { name: "ipv4", input: "127.0.0.1:8000", want: "127.0.0.1" },
    { name: "ipv6 port", input: "[::1]:8000", want: "[::1]" },
    { name: "ipv6", input: "[::1]", want: "[::1]" },
    { name: "empty", input: "", want: null },
    { name: "space", input: "a b", want: null },
    { name: "path", input: "example.com/x", want: null },
    { name: "userinfo", input: "u@example.com", want: null },
    { name: "bad port", input: "example.com:99999", want: null },
    { name: "empty label", input: "a..example.com", want: null },
    { name: "bad ipv6", input: "[::1", want: null },
    { name: "numeric tld", input: "example.123", want: null },
    { name: "wildcard host", input: "*.example.com", want: null },
    { name: "brace host", input: "{t}.example.com", want: null },
    { name: "underscore tolerated", input: "a_b.example.com", want: "a_b.example.com" },
    { name: "too long", input: `${"a".repeat(60)}.`.repeat(5) + "com", want: null },
    { name: "ipv4 shorthand", input: "0x7f.1", want: "127.0.0.1" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(normalizeHost(c.input), c.want));
  }
});
