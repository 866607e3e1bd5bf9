/** @module Tests of the entries that need no platform: Caddy's TLS ask on the console entry. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { createLogger } from "../common/logging.ts";
import { DEFAULT_TEST_APP, insertTestApp, openTestDatabase } from "../testing/db.ts";
import { createEntries } from "./app.ts";
import { createRouting } from "./routing.ts";

Deno.test("tls-ask - answers 200 only for claimed hosts and only to loopback peers", async (t) => {
  const db = await openTestDatabase();
  const log = createLogger("error", () => {});
  await insertTestApp(db.sql, DEFAULT_TEST_APP);
  const routing = await createRouting(db.sql, { listen: false, log });
  const { console } = createEntries({
    consoleHosts: ["console.example"],
    trustedProxies: [],
    consoleApi: new Hono(),
    tenant: () => Promise.resolve(new Response("tenant")),
    routing,
    log,
  });
  const ask = (domain: string, peer = "127.0.0.1") =>
    console.request(
      `http://localhost/api/v1/internal/tls-ask?domain=${encodeURIComponent(domain)}`,
      {},
      { remoteAddr: { hostname: peer, port: 1234, transport: "tcp" } },
    );
  try {
    const cases: [string, string, number][] = [
      ["claimed", "localhost", 200],
      ["claimed, upper case with trailing dot", "LOCALHOST.", 200],
      ["unclaimed", "evil.example", 404],
      ["garbage", "not a host", 404],
      ["from a remote peer", "localhost", 404],
    ];
    for (const [name, domain, status] of cases) {
      await t.step(name, async () => {
        const res = await ask(domain, name === "from a remote peer" ? "203.0.113.9" : "127.0.0.1");
        assert.equal(res.status, status);
        await res.body?.cancel();
      });
    }
  } finally {
    await routing.close();
    await db.close();
  }
});
