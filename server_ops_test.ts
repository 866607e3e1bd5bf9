/**
 * @module The operator endpoints on a whole platform: `/healthz`, `/readyz` and `/metrics` on the
 * console port, the tenant port's probe rule, and `/metrics` parsed as Prometheus text.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { insertTestApp } from "./testing/db.ts";
import { withTestPlatform } from "./testing/platform.ts";

const TOKEN = "metrics-token-0123456789";
const peer = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 40000 } });
const LOCAL = peer("127.0.0.1");
const OUTSIDE = peer("203.0.113.7");

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
}

Deno.test("ops - /healthz and /readyz answer on the console port with each check named", async () => {
  await withTestPlatform(async ({ p }) => {
    const live = await p.console.request("http://10.0.0.1/healthz", {}, OUTSIDE);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok" });
    const ready = await p.console.request("http://10.0.0.1/readyz", {}, OUTSIDE);
    const body = await ready.json();
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.equal(body.status, "ready");
    assert.equal(body.checks.database.state, "up");
    assert.equal(body.checks.migrations.state, "current");
    assert.equal(body.checks.routing.state, "loaded");
    p.health.startDraining();
    const draining = await p.console.request("http://10.0.0.1/readyz", {}, LOCAL);
    assert.equal(draining.status, 503);
    assert.equal((await draining.json()).status, "draining");
  });
});

Deno.test("ops - the tenant port answers probes only for direct loopback or trusted-proxy peers", async () => {
  await withTestPlatform(async ({ p }) => {
    // An app that routes every path of its host, /healthz included (no app can claim a bare
    // `*`, so a probe's Host is never decisive: the peer and the forwarding headers are).
    await insertTestApp(p.db.sql, {
      slug: "everything",
      host: "example.com",
      source: "export default { fetch: () => new Response('app says hi') };",
    });
    await p.routing.reload();
    const probe = await p.tenantFetch(new Request("http://example.com/healthz"), LOCAL);
    assert.deepEqual(await probe.json(), { status: "ok" });
    const readyProbe = await p.tenantFetch(new Request("http://127.0.0.1/readyz?x=1"), LOCAL);
    assert.equal(readyProbe.status, 200);
    assert.equal((await readyProbe.json()).status, "ready");
    // From outside, or forwarded for a client by a proxy: tenant traffic like any other path.
    for (
      const [info, headers] of [
        [OUTSIDE, {}],
        [LOCAL, { "x-forwarded-for": "198.51.100.1" }],
        [LOCAL, { forwarded: "for=198.51.100.1" }],
      ] as const
    ) {
      const res = await p.tenantFetch(
        new Request("http://example.com/healthz", { headers }),
        info,
      );
      assert.equal(await res.text(), "app says hi");
    }
    // /metrics is never answered on the tenant port.
    const m = await p.tenantFetch(new Request("http://example.com/metrics"), LOCAL);
    assert.equal(await m.text(), "app says hi");
  });
});

Deno.test("ops - /metrics is Prometheus text, loopback or token only", async () => {
  await withTestPlatform(async ({ p }) => {
    for (let i = 0; i < 3; i++) {
      const res = await p.tenantFetch(
        new Request("http://localhost/", { headers: { host: "localhost" } }),
        OUTSIDE,
      );
      assert.equal(res.status, 200);
      await res.text();
    }
    await p.tenantFetch(new Request("http://nobody.example/"), OUTSIDE).then((r) => r.text());
    await p.logs.flush();

    const denied = await p.console.request("http://10.0.0.1/metrics", {}, OUTSIDE);
    assert.equal(denied.status, 404);
    const wrong = await p.console.request("http://10.0.0.1/metrics", {
      headers: { authorization: "Bearer nope" },
    }, OUTSIDE);
    assert.equal(wrong.status, 404);

    const res = await p.console.request("http://10.0.0.1/metrics", {}, LOCAL);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parsePrometheusTextFormat(text) as Family[];
    const byName = new Map(families.map((f) => [f.name, f]));
    // Every family the text declares came through the parser.
    const declared = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(families.map((f) => f.name), declared);

    // Prometheus's own parser and linter, where installed (CI installs it: .ci/run).
    const promtool = await promtoolCheck(text);
    if (promtool !== null) assert.equal(promtool, "", `promtool check metrics:\n${promtool}`);
    else if (Deno.env.get("CI") === "true") assert.fail("promtool is missing on CI");

    const inv = byName.get("picloud_invocations_total")!;
    const hello = inv.metrics.find((m) =>
      m.labels?.class === "2xx" && m.labels?.trigger === "http"
    );
    assert.ok(hello, text);
    assert.equal(Number(hello.value), 3);
    const hist = byName.get("picloud_invocation_duration_seconds")!;
    assert.equal(hist.type, "HISTOGRAM");
    assert.equal(hist.metrics[0].buckets?.["+Inf"], "3");
    const tenant = byName.get("picloud_tenant_responses_total")!;
    assert.equal(Number(tenant.metrics.find((m) => m.labels?.class === "4xx")?.value), 1);
    assert.equal(Number(tenant.metrics.find((m) => m.labels?.class === "2xx")?.value), 3);
    assert.ok(Number(byName.get("picloud_cold_starts_total")!.metrics[0].value) >= 1);
    assert.ok(byName.get("picloud_log_writer_rows_written_total"));
    assert.ok(byName.get("picloud_bundler_runs_total"));
    assert.ok(byName.get("picloud_database_pool_max_connections"));

    const withToken = await p.console.request("http://10.0.0.1/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    }, OUTSIDE);
    assert.equal(withToken.status, 200);
  }, { PICLOUD_METRICS_TOKEN: TOKEN });
});

/** `promtool check metrics` of `text`: its complaints ("" when none), or null without promtool. */
async function promtoolCheck(text: string): Promise<string | null> {
  let child;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return out.code === 0 ? said.trim() : `exit ${out.code}: ${said}`;
}
