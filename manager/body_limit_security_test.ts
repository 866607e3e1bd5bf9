/**
 * @module Break 4 regression tests: every `/api/v1` route limits its request body while reading,
 * before any other work; large bodies are only read for a signed-in caller.
 */
import assert from "node:assert/strict";
import { ADMIN_MAX_BODY_BYTES, ANONYMOUS_MAX_BODY_BYTES } from "./mod.ts";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";

const CHUNK_BYTES = 16 * 1024;
/** What the client offers: far more than any limit, generated only as it is pulled. */
const OFFERED_BYTES = 256 * 1024 * 1024;

/** A lazily generated body of `totalBytes` spaces that counts how many bytes were pulled. */
function countingBody(totalBytes = OFFERED_BYTES) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (pulled >= totalBytes) return ctrl.close();
      pulled += CHUNK_BYTES;
      ctrl.enqueue(new Uint8Array(CHUNK_BYTES).fill(0x20));
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => pulled };
}

async function send(
  t: TestPlatform,
  method: string,
  path: string,
  opts: { token?: string; totalBytes?: number } = {},
) {
  const body = countingBody(opts.totalBytes);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await t.p.console.request(`http://localhost${path}`, {
    method,
    headers,
    body: body.stream,
  });
  const json = await res.json();
  return { status: res.status, json, pulled: body.pulled() };
}

function assertRefused(
  r: {
    status: number;
    json: { error?: { code: string; details?: Record<string, unknown> } };
    pulled: number;
  },
  limit: number,
) {
  assert.equal(r.status, 413, JSON.stringify(r.json));
  assert.equal(r.json.error?.code, "body_too_large");
  assert.equal(r.json.error?.details?.limit_bytes, limit);
  // Reading stopped at the limit: at most one chunk past it, never the whole offer.
  assert.ok(r.pulled <= limit + 2 * CHUNK_BYTES, `pulled ${r.pulled} bytes`);
}

Deno.test("break 4 - unauthenticated endpoints stop reading a streamed body at 64 KiB", async (t) => {
  await withTestPlatform(async (tp) => {
    const cases: [string, string][] = [
      ["POST", "/api/v1/setup"], // before the "already set up" check (the owner exists)
      ["POST", "/api/v1/admin/login"], // before Argon2
      ["POST", "/api/v1/admin/apps"], // an admin route without credentials
      ["DELETE", "/api/v1/admin/apps/default"],
      ["POST", "/api/v1/health"],
      ["PUT", "/api/v1/no-such-endpoint"],
      ["POST", "/api/v1/openapi.json"],
    ];
    for (const [method, path] of cases) {
      await t.step(`${method} ${path}`, async () => {
        assertRefused(await send(tp, method, path), ANONYMOUS_MAX_BODY_BYTES);
      });
    }
    await t.step("a wrong token is anonymous", async () => {
      const r = await send(tp, "POST", "/api/v1/admin/scripts", { token: "not-a-session" });
      assertRefused(r, ANONYMOUS_MAX_BODY_BYTES);
    });
  });
});

Deno.test("break 4 - a signed-in caller's body stops at the admin limit", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    assertRefused(
      await send(t, "POST", "/api/v1/admin/scripts", { token }),
      ADMIN_MAX_BODY_BYTES,
    );
    assertRefused(
      await send(t, "DELETE", "/api/v1/admin/apps/default", { token }),
      ADMIN_MAX_BODY_BYTES,
    );
    // Under the limit, the body is read and parsed as usual.
    const small = await send(t, "POST", "/api/v1/admin/apps", { token, totalBytes: 64 });
    assert.equal(small.status, 400);
    assert.equal(small.json.error.code, "invalid_request");
  });
});

Deno.test("break 4 - a declared Content-Length over the limit is refused unread", async () => {
  await withTestPlatform(async (t) => {
    for (const path of ["/api/v1/setup", "/api/v1/admin/login", "/api/v1/admin/apps"]) {
      const body = countingBody();
      const res = await t.p.console.request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-length": String(OFFERED_BYTES) },
        body: body.stream,
      });
      const json = await res.json();
      assert.equal(res.status, 413, path);
      assert.equal(json.error.code, "body_too_large");
      assert.equal(body.pulled(), 0, path);
    }
  });
});

Deno.test("break 4 - over a real socket: GET and DELETE with chunked bodies stop at the limit", async () => {
  await withTestPlatform(async (t) => {
    let pulled = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      if (!req.body) return t.p.console.fetch(req);
      // Count what the application reads from the socket.
      const counted = req.body.pipeThrough(
        new TransformStream({
          transform(chunk, ctrl) {
            pulled += chunk.length;
            ctrl.enqueue(chunk);
          },
        }),
      );
      return t.p.console.fetch(new Request(req, { body: counted }));
    });
    try {
      for (
        const [method, path] of [["GET", "/api/v1/health"], ["DELETE", "/api/v1/admin/apps/x"]]
      ) {
        pulled = 0;
        const status = await rawChunkedRequest(server.addr.port, method, path);
        // GET bodies may not be exposed at all (then nothing is read); never a 5xx.
        assert.ok(status === 413 || status === 200 || status === 401, `${method} ${status}`);
        assert.ok(pulled <= ANONYMOUS_MAX_BODY_BYTES + 64 * 1024, `${method} read ${pulled}`);
      }
    } finally {
      await server.shutdown();
    }
  });
});

/** Writes a chunked request of up to 16 MiB and returns the response status. */
async function rawChunkedRequest(port: number, method: string, path: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const reader = (async () => {
    const buf = new Uint8Array(4096);
    let text = "";
    while (!/HTTP\/1\.1 (\d{3})/.test(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  })();
  try {
    await conn.write(enc.encode(
      `${method} ${path} HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n` +
        `content-type: application/json\r\n\r\n`,
    ));
    const chunk = enc.encode(`4000\r\n${" ".repeat(0x4000)}\r\n`);
    // Stop writing once answered: a server that stopped reading would block the writes forever.
    const answered = reader.then(() => "answered" as const);
    for (let i = 0; i < 1024; i++) {
      const w = conn.write(chunk).then(() => "written" as const);
      w.catch(() => {});
      if (await Promise.race([w, answered]) === "answered") break;
    }
  } catch { /* the server may close the connection after answering */ }
  const status = await reader;
  conn.close();
  return status;
}

Deno.test("break 4 - /execute streams the body to the script, which stops at maxBodyBytes", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const s = await t.call("POST", "/api/v1/admin/scripts", {
      token,
      body: {
        name: "reader",
        source: "export default { async fetch(req) { " +
          "return new Response(String((await req.arrayBuffer()).byteLength)); } };",
      },
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const maxBodyBytes = 256 * 1024;
    const pol = await t.call("PUT", `/api/v1/admin/scripts/${s.body.id}/policy`, {
      token,
      body: { maxBodyBytes },
    });
    assert.equal(pol.status, 200, JSON.stringify(pol.body));
    const r = await send(t, "POST", `/api/v1/execute/${s.body.id}`, { token });
    assert.equal(r.status, 413, JSON.stringify(r.json));
    assert.equal(r.json.error.code, "body_too_large");
    assert.ok(r.pulled < 16 * 1024 * 1024, `pulled ${r.pulled} of ${OFFERED_BYTES}`);
    // Without credentials nothing is read at all.
    const anon = await send(t, "POST", `/api/v1/execute/${s.body.id}`);
    assert.equal(anon.status, 401);
    assert.ok(anon.pulled <= 2 * CHUNK_BYTES, `pulled ${anon.pulled}`);
  });
});
