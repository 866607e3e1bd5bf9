/**
 * @module `caddy/Caddyfile.cluster` as Debian's real `caddy` reads it (2.6 in Debian 12): adapted
 * to JSON and validated with several nodes and managers, then checked for what the cluster relies
 * on — every node and manager an upstream, active health checks on `/readyz`, passive ones,
 * retries bounded in time and limited to idempotent methods once a request was sent, and the
 * on-demand TLS `ask` going to an internal site balanced over the managers.
 */
import assert from "node:assert/strict";
import { CADDY, isFile } from "../testing/caddy.ts";

const FILE = new URL("./Caddyfile.cluster", import.meta.url).pathname;
const ENV = {
  PICLOUD_CONSOLE_HOST: "console.cluster.test",
  PICLOUD_NODES: "10.0.0.1:8000 10.0.0.2:8000 10.0.0.3:8000",
  PICLOUD_MANAGERS: "10.0.0.1:8001 10.0.0.2:8001",
  PICLOUD_ASK_PORT: "8099",
};

async function caddy(...args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "picloud-caddy-adapt-" });
  try {
    const r = await new Deno.Command(CADDY, {
      args,
      env: { ...ENV, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: r.code,
      out: new TextDecoder().decode(r.stdout),
      err: new TextDecoder().decode(r.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every `reverse_proxy` handler in the adapted JSON, wherever it is nested. */
// deno-lint-ignore no-explicit-any
function proxies(node: any, found: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => proxies(n, found));
  else if (node && typeof node === "object") {
    if (node.handler === "reverse_proxy") found.push(node);
    Object.values(node).forEach((n) => proxies(n, found));
  }
  return found;
}

const skip = !isFile(CADDY) && !Deno.env.get("CI");

Deno.test({
  name: `caddy - Caddyfile.cluster adapts and validates with Debian's caddy${
    skip ? " (SKIPPED: no /usr/bin/caddy, CI unset)" : ""
  }`,
  ignore: skip,
  fn: async () => {
    const valid = await caddy("validate", "--config", FILE, "--adapter", "caddyfile");
    assert.equal(valid.code, 0, valid.err);
    const adapted = await caddy("adapt", "--config", FILE, "--adapter", "caddyfile");
    assert.equal(adapted.code, 0, adapted.err);
    const json = JSON.parse(adapted.out);

    const dials = (p: { upstreams: { dial: string }[] }) => p.upstreams.map((u) => u.dial);
    const all = proxies(json.apps.http.servers);
    const nodes = all.filter((p) => dials(p).includes("10.0.0.3:8000"));
    const managers = all.filter((p) => dials(p).includes("10.0.0.2:8001"));
    assert.equal(nodes.length, 1, "one tenant proxy over the nodes");
    assert.deepEqual(dials(nodes[0]), ENV.PICLOUD_NODES.split(" "));
    assert.equal(managers.length, 2, "the console and the TLS ask, over the managers");
    for (const p of [...nodes, ...managers]) {
      assert.deepEqual(dials(p).length >= 2, true);
      assert.equal(p.health_checks.active.uri, "/readyz");
      assert.ok(p.health_checks.active.interval <= 2e9, "probed at least every 2 s");
      assert.ok(p.health_checks.passive.fail_duration > 0, "passive checks on");
      assert.ok(p.load_balancing.try_duration > 0, "a refused request is tried elsewhere");
    }
    // Once sent, only idempotent requests are retried (the tenant and console proxies).
    for (const p of [nodes[0], managers.find((m) => m.headers)]) {
      assert.deepEqual(p.load_balancing.retry_match, [{ method: ["GET", "HEAD", "OPTIONS"] }]);
    }
    // On-demand TLS asks the loopback site that balances over the managers.
    assert.equal(
      json.apps.tls.automation.on_demand.ask,
      "http://127.0.0.1:8099/api/v1/internal/tls-ask",
    );
    const askServer = Object.values(json.apps.http.servers).find((s) =>
      (s as { listen: string[] }).listen.includes("127.0.0.1:8099")
    );
    assert.ok(askServer, "the ask site listens on loopback only");
    assert.equal(proxies(askServer).length, 1);
  },
});
