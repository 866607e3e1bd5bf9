/** @module Tests of the HTTP listener's pure parts, its internal hook, fallback and shutdown. */
import assert from "node:assert/strict";
import {
  defaultMaxConnections,
  hasValidAuthority,
  parseOpenFilesSoftLimit,
} from "./_http_guard.ts";
import { findServeOnConnection } from "./_serve_on_conn.ts";
import { listen } from "./http_listener.ts";

const log = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("defaultMaxConnections() - half the fd limit, a reserve left, capped", () => {
  assert.equal(defaultMaxConnections(1024), 512);
  assert.equal(defaultMaxConnections(4096), 2048);
  assert.equal(defaultMaxConnections(20_000), 10_000);
  assert.equal(defaultMaxConnections(Infinity), 10_000);
  assert.equal(defaultMaxConnections(400), 144);
  assert.equal(defaultMaxConnections(64), 8);
  assert.equal(defaultMaxConnections(null), 512);
});

Deno.test("parseOpenFilesSoftLimit() - reads /proc/<pid>/limits text", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units\n" +
    "Max open files            20000                20000                files\n";
  assert.equal(parseOpenFilesSoftLimit(text), 20_000);
  assert.equal(parseOpenFilesSoftLimit(text.replace("20000 ", "unlimited ")), Infinity);
  assert.equal(parseOpenFilesSoftLimit("nothing here"), null);
});

Deno.test("hasValidAuthority() - well-formed hosts and ports only", async (t) => {
  const good = [
    "http://localhost:8000/",
    "http://127.0.0.1/x?y",
    "http://[::1]:8000/",
    "http://a.example.com",
    "http://xn--bcher-kva.example/",
    "http://ünï.com/",
    "http://my_host:65535/",
  ];
  const bad = [
    "http://a b/",
    "http://[::1/",
    "http://%00/",
    "http://a:99999/",
    "http://a:0/",
    "http://u@h/",
    "http:///",
    "http://a:/",
    "http://a\tb/",
    "no-scheme",
  ];
  for (const url of good) await t.step(`accepts ${url}`, () => assert.ok(hasValidAuthority(url)));
  for (const url of bad) await t.step(`rejects ${url}`, () => assert.ok(!hasValidAuthority(url)));
});

Deno.test("findServeOnConnection() - Deno's internal hook exists in this Deno", () => {
  // If this fails after a Deno upgrade, listen() falls back to plain Deno.serve (no timeouts, no
  // cap) and logs a warning: fix _serve_on_conn.ts before shipping.
  assert.equal(typeof findServeOnConnection(), "function");
});

Deno.test("listen() - guarded mode serves, keeps info.remoteAddr, and reports stats", async () => {
  const server = listen(
    { hostname: "127.0.0.1", port: 0, log },
    (_req, info) => new Response(info.remoteAddr.hostname),
  );
  const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(await res.text(), "127.0.0.1");
  const stats = server.stats();
  assert.equal(stats.mode, "guarded");
  assert.equal(stats.accepted, 1);
  await server.shutdown();
});

Deno.test("listen() - without the internal hook it falls back to Deno.serve, loudly", async () => {
  const warnings: string[] = [];
  const server = listen({
    hostname: "127.0.0.1",
    port: 0,
    log: { ...log, warn: (m: string) => void warnings.push(m) },
    serveOnConnection: null,
  }, () => new Response("ok"));
  const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(await res.text(), "ok");
  assert.equal(server.stats().mode, "fallback");
  assert.equal(warnings.length, 1);
  await server.shutdown();
});

Deno.test("listen() - shutdown lets a request in flight finish and closes idle connections", async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  let started = () => {};
  const inHandler = new Promise<void>((r) => started = r);
  const server = listen({ hostname: "127.0.0.1", port: 0, log }, async () => {
    started();
    await gate;
    return new Response("done");
  });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const pending = fetch(`http://127.0.0.1:${server.addr.port}/`).then((r) => r.text());
  await inHandler;
  const closing = server.shutdown();
  release();
  assert.equal(await pending, "done");
  await closing;
  assert.equal(await idle.read(new Uint8Array(10)), null);
  idle.close();
  assert.equal(server.stats().open, 0);
});
