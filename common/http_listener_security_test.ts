/**
 * @module Break 2 regression tests: a client cannot exhaust the HTTP listener (slow or idle
 * connections, connection floods, EMFILE, malformed bytes) nor end the process. Each scenario also
 * runs against plain `Deno.serve` (`serveOnConnection: null`) and logs the outcome there.
 */
import assert from "node:assert/strict";
import { type HttpListener, type HttpListenerOptions, listen } from "./http_listener.ts";

const enc = new TextEncoder();
/** Upper bound of every wait: reached only when the guarantee under test is broken. */
const BOUND_MS = 10_000;

function quietLog() {
  const lines: string[] = [];
  const push = (msg: string) => void lines.push(msg);
  return { lines, debug: push, info: push, warn: push, error: push };
}

function start(
  opts: Partial<HttpListenerOptions> = {},
  handler: Deno.ServeHandler<Deno.NetAddr> = () => new Response("ok"),
): HttpListener {
  return listen({ hostname: "127.0.0.1", port: 0, log: quietLog(), ...opts }, handler);
}

function connect(server: HttpListener): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads until the peer closes (or resets) or `limitMs` passes; closes our side either way. */
async function readUntilClosed(
  conn: Deno.Conn,
  limitMs = BOUND_MS,
): Promise<{ text: string; closed: boolean }> {
  const buf = new Uint8Array(16 * 1024);
  const dec = new TextDecoder();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((r) => timer = setTimeout(() => r("expired"), limitMs));
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buf).catch(() => null), expired]);
      if (n === "expired") return { text, closed: false };
      if (n === null) return { text, closed: true };
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Writes one byte of an endless header line every `everyMs` until the write fails or `stop`. */
function trickle(conn: Deno.Conn, everyMs: number, stop: { done: boolean }): Promise<void> {
  return (async () => {
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")).catch(() => {});
    for (let i = 0; i < BOUND_MS / everyMs && !stop.done; i++) {
      await sleep(everyMs);
      if (stop.done) return;
      try {
        await conn.write(enc.encode("a"));
      } catch {
        return;
      }
    }
  })();
}

async function waitFor(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < BOUND_MS / 20; i++) {
    if (cond()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

Deno.test("break 2 - a connection that does not finish its headers in time is closed", async (t) => {
  const server = start({ headerTimeoutMs: 300, idleTimeoutMs: 600 }, async (req) => {
    if (req.url.endsWith("/slow")) await sleep(1500);
    return new Response("ok");
  });
  await t.step("silent after a partial header", async () => {
    const conn = await connect(server);
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n"));
    assert.deepEqual(await readUntilClosed(conn), { text: "", closed: true });
  });
  await t.step("connected, nothing sent", async () => {
    assert.deepEqual(await readUntilClosed(await connect(server)), { text: "", closed: true });
  });
  await t.step("slow-loris: one header byte every 50 ms (the timeout is per header)", async () => {
    const conn = await connect(server);
    const stop = { done: false };
    const writing = trickle(conn, 50, stop);
    const result = await readUntilClosed(conn);
    stop.done = true;
    await writing;
    assert.deepEqual(result, { text: "", closed: true });
  });
  await t.step("keep-alive connection idle after a response", async () => {
    const conn = await connect(server);
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    const { text, closed } = await readUntilClosed(conn);
    assert(text.startsWith("HTTP/1.1 200"), text);
    assert(closed);
  });
  await t.step("second request trickled on a keep-alive connection", async () => {
    const conn = await connect(server);
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    const stop = { done: false };
    const writing = trickle(conn, 50, stop);
    const { text, closed } = await readUntilClosed(conn);
    stop.done = true;
    await writing;
    assert.deepEqual(text.split("HTTP/1.1 ").length, 2, "exactly one response");
    assert(closed);
  });
  await t.step("a request in flight longer than both timeouts is not cut", async () => {
    const conn = await connect(server);
    await conn.write(enc.encode("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    const { text, closed } = await readUntilClosed(conn);
    assert(text.startsWith("HTTP/1.1 200"), text);
    assert(closed, "then closed as idle");
  });
  await t.step(
    "a trickled body the handler never reads holds the connection no longer",
    async () => {
      const conn = await connect(server);
      await conn.write(
        enc.encode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nab"),
      );
      const stop = { done: false };
      const writing = (async () => {
        for (let i = 0; i < BOUND_MS / 50 && !stop.done; i++) {
          await sleep(50);
          if (await conn.write(enc.encode("a")).then(() => false, () => true)) return;
        }
      })();
      const { text, closed } = await readUntilClosed(conn);
      stop.done = true;
      await writing;
      assert(text.startsWith("HTTP/1.1 200"), text);
      assert(closed);
    },
  );
  const stats = server.stats();
  assert.deepEqual(stats.headerTimeouts, 3);
  assert.deepEqual(stats.idleTimeouts, 4);
  assert.deepEqual(stats.open, 0);
  await server.shutdown();

  await t.step("plain Deno.serve keeps a partial header open (demonstration)", async () => {
    const plain = start({ serveOnConnection: null });
    const conn = await connect(plain);
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n"));
    const { closed } = await readUntilClosed(conn, 1500);
    console.log(`plain Deno.serve closed a partial header within 1.5 s: ${closed}`);
    await plain.shutdown();
  });
});

Deno.test("break 2 - beyond maxConnections new connections get 503 and the server recovers", async (t) => {
  const server = start({ maxConnections: 20, headerTimeoutMs: 60_000 });
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < 60; i++) conns.push(await connect(server));
  await waitFor("60 accepts", () => server.stats().accepted === 60);
  assert.deepEqual(server.stats().open, 20);
  assert.deepEqual(server.stats().refused, 40);

  await t.step("the refused 40 get 503 with Retry-After and are closed", async () => {
    // Accept order is connect order (one listen backlog): the last 40 were refused.
    const results = await Promise.all(conns.slice(20).map((c) => readUntilClosed(c)));
    for (const r of results) {
      assert(r.closed);
      assert(r.text.startsWith("HTTP/1.1 503"), r.text);
      assert(/retry-after: \d+/i.test(r.text) && /connection: close/i.test(r.text), r.text);
    }
  });
  await t.step("a new client while full is refused at once, not left hanging", async () => {
    const { text, closed } = await readUntilClosed(await connect(server));
    assert(closed && text.startsWith("HTTP/1.1 503"), text);
  });
  await t.step("as soon as held connections drop, requests are served", async () => {
    for (const c of conns.slice(0, 20)) c.close();
    await waitFor("held connections to close", () => server.stats().open === 0);
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    assert.deepEqual([res.status, await res.text()], [200, "ok"]);
  });
  assert.deepEqual(server.stats().refused, 41);
  await server.shutdown();

  await t.step("plain Deno.serve accepts every connection (demonstration)", async () => {
    const plain = start({ serveOnConnection: null });
    const held = await Promise.all(Array.from({ length: 60 }, () => connect(plain)));
    const probe = await readUntilClosed(await connect(plain), 500);
    console.log(`plain Deno.serve: 61st idle connection refused: ${probe.closed}`);
    for (const c of held) c.close();
    await plain.shutdown();
  });
});

/** Runs the fixture server under `ulimit -n 64`, floods it with 200 connections, then probes. */
async function floodChild(args: string[]) {
  const fixture = new URL("./testdata/http_listener_child.ts", import.meta.url).pathname;
  const child = new Deno.Command("bash", {
    args: ["-c", 'ulimit -n 64 && exec "$0" "$@"', Deno.execPath(), "run", "-A", fixture, ...args],
    stdout: "piped",
    stderr: Deno.env.get("FLOOD_STDERR") ? "inherit" : "null",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  let status: Deno.CommandStatus | null = null;
  const ended = child.status.then((s) => status = s);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number(/ready (\d+)/.exec((await reader.read()).value ?? "")?.[1]);
  const flood: Deno.Conn[] = [];
  for (let i = 0; i < 200 && status === null; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
    if (conn === null) continue;
    flood.push(conn);
    conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).catch(() => {});
  }
  await sleep(1000);
  for (const c of flood) c.close();
  let stats: Record<string, number> | null = null;
  for (let i = 0; i < BOUND_MS / 100 && status === null && stats === null; i++) {
    // A 503 means the server has not yet seen every flood connection close: ask again.
    stats = await fetch(`http://127.0.0.1:${port}/stats`).then(
      (r) => r.ok ? r.json() : r.body?.cancel().then(() => null) ?? null,
      () => null,
    );
    if (stats === null) await sleep(100);
  }
  const alive = status === null;
  if (alive) child.kill("SIGTERM");
  await ended;
  await reader.cancel();
  return { alive, stats, exit: status, flooded: flood.length };
}

Deno.test("break 2 - EMFILE from accept never ends the process; it serves once the flood ends", async (t) => {
  await t.step("cap above the fd limit: accept fails with EMFILE and backs off", async () => {
    const { alive, stats, exit } = await floodChild(["guarded", "1000"]);
    assert(alive, `the child process died: ${JSON.stringify(exit)}`);
    assert(stats !== null && stats.acceptErrors > 0, JSON.stringify(stats));
  });
  await t.step("default cap derived from the fd limit: refusals", async () => {
    const { alive, stats, exit, flooded } = await floodChild(["guarded"]);
    assert(alive, `the child process died: ${JSON.stringify(exit)}`);
    assert(stats !== null && stats.refused > 0, JSON.stringify({ stats, flooded }));
  });
  await t.step("plain Deno.serve under the same flood (demonstration)", async () => {
    const { alive } = await floodChild(["plain"]);
    console.log(`plain Deno.serve survived EMFILE: ${alive}`);
  });
});

const HOSTS = ["a b", "[::1", "%00", "a:99999", "u@h", "a:0", "a:-1", "a:", "[zz]", "a\tb"];

Deno.test("break 2 - malformed requests get 400 or a close, and nothing ends the process", async (t) => {
  const server = start({ headerTimeoutMs: 2000 }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/throw") throw new Error("boom");
    if (path === "/reject") return Promise.reject(new Error("boom"));
    if (path === "/big") return new Response(new Uint8Array(8 * 1024 * 1024));
    return new Response("ok");
  });
  const exchange = async (bytes: Uint8Array) => {
    const conn = await connect(server);
    await conn.write(bytes).catch(() => {});
    return await readUntilClosed(conn);
  };
  const badRequests: [string, Uint8Array][] = [
    ["random bytes", crypto.getRandomValues(new Uint8Array(512))],
    [
      "TLS ClientHello",
      new Uint8Array([22, 3, 1, 0, 165, 1, 0, 0, 161, 3, 3, ...new Uint8Array(64)]),
    ],
    ["invalid request line", enc.encode("HELLO WORLD\r\n\r\n")],
    [
      "100 KB header line",
      enc.encode(`GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(100_000)}\r\n\r\n`),
    ],
    [
      "100 KB request target",
      enc.encode(`GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: a\r\n\r\n`),
    ],
    ["NUL in header", enc.encode("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n")],
    ["two Host headers", enc.encode("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")],
    ["absolute target, bad host", enc.encode("GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n")],
    ["absolute target, bad port", enc.encode("GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n")],
    ...HOSTS.map((h): [string, Uint8Array] => [
      `Host: ${JSON.stringify(h)}`,
      enc.encode(`GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`),
    ]),
  ];
  for (const [name, bytes] of badRequests) {
    await t.step(`${name} → 400 or closed`, async () => {
      const { text, closed } = await exchange(bytes);
      assert(closed, "connection left open");
      assert(text === "" || text.startsWith("HTTP/1.1 400"), text.slice(0, 200));
      if (text.includes("content-type: application/json")) assert(text.includes('"invalid_host"'));
    });
  }
  await t.step("handler that throws or rejects → 500 internal", async () => {
    for (const path of ["/throw", "/reject"]) {
      const req = `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;
      const { text } = await exchange(enc.encode(req));
      assert(text.startsWith("HTTP/1.1 500") && text.includes('"internal"'), text);
    }
  });
  await t.step("client resets mid-header, mid-body and mid-response", async () => {
    for (let i = 0; i < 20; i++) {
      const a = await connect(server);
      await a.write(enc.encode("GET / HTTP/1.1\r\nHo"));
      a.close();
      const b = await connect(server);
      await b.write(enc.encode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99\r\n\r\nxx"));
      b.close();
      const c = await connect(server);
      await c.write(enc.encode("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
      await c.read(new Uint8Array(1024));
      c.close();
    }
  });
  await t.step("client half-closes after its request", async () => {
    const conn = await connect(server);
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    await conn.closeWrite();
    const { text, closed } = await readUntilClosed(conn);
    assert(closed);
    assert(text === "" || text.startsWith("HTTP/1.1 200"), text);
  });
  await t.step("a normal request is still served", async () => {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    assert.deepEqual([res.status, await res.text()], [200, "ok"]);
  });
  await server.shutdown();
});
