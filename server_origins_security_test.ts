/**
 * @module Security tests of the two front doors over the whole platform: tenant scripts never
 * answer on the console's origin, console cookies never reach user code, malformed hosts and
 * request targets are 400s, never 500s.
 */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "./common/config.ts";
import { withTestPlatform } from "./testing/platform.ts";

const A = "/api/v1/admin";

/** A script that shows what it was sent and tries to plant cookies and HTML on whoever serves it. */
const NOSY = `export default { fetch: (req) => new Response(
  "<script>fetch('/api/v1/admin/users',{method:'POST'})</script>" + (req.headers.get("cookie") ?? "-") +
  "|" + (req.headers.get("authorization") ?? "-"),
  { headers: [["content-type", "text/html"], ["set-cookie", "picloud_session=evil; Path=/"],
    ["set-cookie", "theme=dark"], ["access-control-allow-origin", "*"],
    ["access-control-allow-credentials", "true"], ["clear-site-data", "\\"cookies\\""]] }) };`;

Deno.test("break 1 - tenant scripts never answer on the console's origin (default: two ports)", async (t) => {
  await withTestPlatform(async ({ p, call, login }) => {
    const token = await login("owner@example.com", "owner-password-1");
    const s = await call("POST", `${A}/scripts`, {
      token,
      body: { app_id: "default", name: "nosy", source: NOSY },
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    for (const path of ["/nosy", "/api/v1/x", "/admin/x"]) {
      const r = await call("POST", `${A}/routes`, {
        token,
        body: { app_id: "default", script_id: s.body.id, method: "ANY", path },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    await t.step("the console port serves no tenant route, whatever the path or host", async () => {
      for (const url of ["http://localhost/nosy", "http://localhost/", "http://other.test/nosy"]) {
        const res = await p.console.request(url);
        assert.equal(res.status, 404, url);
        assert.equal((await res.json()).error.code, "not_found");
      }
    });

    await t.step(
      "the tenant port serves no console API: /api/v1 and /admin are app paths",
      async () => {
        const me = await p.tenant.request("http://localhost/api/v1/admin/me", {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(me.status, 404);
        assert.equal((await me.json()).error.code, "no_route");
        const routed = await p.tenant.request("http://localhost/api/v1/x");
        assert.equal(routed.status, 200);
        await routed.body?.cancel();
      },
    );

    await t.step("a tenant script never sees the console cookie and cannot set it", async () => {
      const res = await p.tenant.request("http://localhost/nosy", {
        headers: {
          cookie: `a=1; picloud_session=${token}; __Host-picloud_session=x; picloud_device=d; b=2`,
        },
      });
      const text = await res.text();
      assert.ok(!text.includes(token), text);
      assert.ok(text.endsWith("a=1; b=2|-"), text);
      assert.deepEqual(res.headers.getSetCookie(), ["theme=dark"]);
    });

    await t.step("the listener's entry (no Hono in between) gives the same answers", async () => {
      const info = { remoteAddr: { transport: "tcp", hostname: "203.0.113.5", port: 4000 } };
      const res = await p.tenantFetch(
        new Request("http://localhost/nosy", {
          headers: { cookie: `a=1; picloud_session=${token}; b=2` },
        }),
        info,
      );
      const text = await res.text();
      assert.ok(!text.includes(token), text);
      assert.ok(text.endsWith("a=1; b=2|-"), text);
      assert.deepEqual(res.headers.getSetCookie(), ["theme=dark"]);
      const me = await p.tenantFetch(new Request("http://localhost/api/v1/admin/me"), info);
      assert.equal(me.status, 404);
      assert.equal((await me.json()).error.code, "no_route");
      const bad = await p.tenantFetch(
        new Request("http://localhost/", { headers: { host: "a b" } }),
      );
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, "invalid_host");
    });

    await t.step("execute answers on the console origin as a script-less sandbox", async () => {
      const res = await p.console.request(`http://localhost/api/v1/execute/${s.body.id}`, {
        headers: { authorization: `Bearer ${token}`, cookie: `picloud_session=${token}; a=1` },
      });
      assert.equal(res.status, 200);
      const seen = await res.text();
      assert.ok(!seen.includes(token), "the script saw the caller's credentials");
      assert.match(res.headers.get("content-security-policy") ?? "", /^sandbox/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      for (const h of ["set-cookie", "clear-site-data", "access-control-allow-origin"]) {
        assert.equal(res.headers.get(h), null, h);
      }
    });
  });
});

Deno.test("break 1 - claims covering a console host or a public suffix are 409 domain_reserved", async (t) => {
  await withTestPlatform(async ({ call, login }) => {
    const token = await login("owner@example.com", "owner-password-1");
    const app = await call("POST", `${A}/apps`, { token, body: { slug: "acme", name: "Acme" } });
    assert.equal(app.status, 201);
    const cases: [string, number][] = [
      ["console.test", 409],
      ["Console.Test.", 409],
      ["CONSOLE.TEST", 409],
      ["*.test", 409],
      ["{x}.test", 409],
      ["ops.example.com", 409],
      ["*.example.com", 409],
      ["{tenant}.example.com", 409],
      ["*.com", 409],
      ["{x}.co.uk", 409],
      ["*.github.io", 409],
      ["a.{x}.com", 409],
      ["{a}.{b}.io", 409],
      ["*.localhost", 409],
      ["*.acme.co.uk", 201],
      ["{tenant}.acme.dev", 201],
      ["api.console.test", 201],
    ];
    for (const [pattern, status] of cases) {
      await t.step(`${pattern} → ${status}`, async () => {
        const r = await call("POST", `${A}/apps/acme/domains`, { token, body: { pattern } });
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (status === 409) assert.equal(r.body.error.code, "domain_reserved");
      });
    }
  }, { PICLOUD_CONSOLE_HOSTS: "console.test,ops.example.com,localhost" });
});

Deno.test("break 1 - on one shared port, console hosts are console-only", async (t) => {
  await withTestPlatform(async ({ p, call, login }) => {
    const token = await login("owner@example.com", "owner-password-1");
    // The default app claims localhost; as a console host that claim never reaches a script.
    await t.step("GET / on the console host is not Hello World", async () => {
      const res = await p.shared.request("http://localhost/");
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, "not_found");
    });
    await t.step("the console API answers on the console host", async () => {
      const res = await p.shared.request("http://localhost/api/v1/admin/me", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
    await t.step("tenant hosts reach apps, never the console API", async () => {
      const res = await p.shared.request("http://127.0.0.1/api/v1/admin/me", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, "no_route");
      const hello = await p.shared.request("http://127.0.0.1/");
      assert.equal(await hello.text(), "Hello World\n");
    });
    await t.step("the console refuses hosts that are not its own", async () => {
      const res = await p.console.request("http://127.0.0.1/api/v1/admin/me", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 421);
      assert.equal((await res.json()).error.code, "not_console_host");
    });
    const r = await call("POST", `${A}/apps/default/domains`, {
      token,
      body: { pattern: "LocalHost." },
    });
    assert.equal(r.body.error.code, "domain_reserved");
  }, { PORT: "8000", PICLOUD_CONSOLE_PORT: "8000", PICLOUD_CONSOLE_HOSTS: "localhost" });
});

Deno.test("break 1 - sharing the tenant port needs console hosts", () => {
  assert.throws(
    () => parseConfig({ PORT: "9000", PICLOUD_CONSOLE_PORT: "9000" }),
    (err: unknown) =>
      err instanceof ConfigError && err.issues[0].variable === "PICLOUD_CONSOLE_HOSTS",
  );
  const split = parseConfig({});
  assert.deepEqual([split.port, split.console.port, split.console.shared], [8000, 8001, false]);
  // Console hosts are compared with normalised Host headers: no port, no trailing dot.
  assert.deepEqual(
    parseConfig({ PICLOUD_CONSOLE_HOSTS: "Console.Example.com:443, [::1]:8001, a.test." })
      .consoleHosts,
    ["console.example.com", "[::1]", "a.test"],
  );
});

/** Sends one raw HTTP/1.1 request and returns the status line's code (0 when closed unanswered). */
async function rawStatus(port: number, head: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    const text = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

Deno.test("break 12 - malformed Host headers are 400 invalid_host on both ports, never a 500", async (t) => {
  await withTestPlatform(async ({ p, lines }) => {
    const servers = [p.tenant, p.console].map((entry) =>
      Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, entry.fetch)
    );
    try {
      const hosts = [
        "a:99999",
        "[::1",
        "a b",
        "%00",
        "1.2.3.4.5",
        "a..b",
        "a/b",
        "a@b",
        "x".repeat(300),
        "[zz::1]",
        "*.test",
        "{x}.test",
        "localhost:0x50",
      ];
      for (const [i, server] of servers.entries()) {
        for (const host of hosts) {
          await t.step(`${i === 0 ? "tenant" : "console"}: Host ${host.slice(0, 20)}`, async () => {
            const path = i === 0 ? "/" : "/api/v1/health";
            const status = await rawStatus(
              server.addr.port,
              `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
            );
            // 400 from PiCloud, or from the HTTP server itself for bytes it will not parse.
            assert.ok(status === 400 || status === 404, `${host}: ${status}`);
          });
        }
      }
      assert.deepEqual(lines.filter((l) => l.includes("unhandled error")), []);
    } finally {
      for (const s of servers) await s.shutdown();
    }
  });
});

Deno.test("break 12 - odd request targets on the tenant path never reach a 500", async (t) => {
  await withTestPlatform(async ({ p, lines }) => {
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      p.tenant.fetch,
    );
    try {
      const targets = [
        "/%00",
        "/%zz",
        "/%c3%28",
        "/%ed%a0%80",
        "/a/../../b",
        "//double//slash",
        "/?q=%00&%ff=1",
        "/" + "x".repeat(8000),
        "/" + "a/".repeat(2000),
        "http://evil.test/",
        "http://localhost/%00",
        "/\u00e9",
        "/;a=b",
        "/#frag",
      ];
      for (const target of targets) {
        for (const method of ["GET", "POST", "OPTIONS", "FOO"]) {
          await t.step(`${method} ${target.slice(0, 24)}`, async () => {
            const status = await rawStatus(
              server.addr.port,
              `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n` +
                `Connection: close\r\n\r\n`,
            );
            assert.ok(status > 0 && status < 500, `${method} ${target}: ${status}`);
          });
        }
      }
      assert.deepEqual(lines.filter((l) => l.includes("unhandled error")), []);
    } finally {
      await server.shutdown();
    }
  });
});
