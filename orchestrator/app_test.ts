import assert from "node:assert/strict";
import { parseConfig } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import { openTestDatabase } from "../common/testing.ts";
import { createPlatform } from "../server.ts";

Deno.test("tls-ask - answers 200 only for claimed hosts and only to loopback peers", async (t) => {
  const db = await openTestDatabase();
  const platform = await createPlatform(parseConfig({ PICLOUD_CONSOLE_HOSTS: "console.example" }), {
    db,
    log: createLogger("error", () => {}),
  });
  const ask = (domain: string, peer = "127.0.0.1") =>
    platform.console.request(
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
    await platform.close();
    await db.close();
  }
});
