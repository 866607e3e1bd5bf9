/** @module Streaming both ways through real executors: order, back-pressure, limits as bytes flow, client disconnects. */

import assert from "node:assert/strict";
import { fixture, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";
import { WINDOW_BYTES } from "./_protocol.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

function streamed(path: string, body: ReadableStream<Uint8Array>): Request {
  return new Request(`http://app.test${path}`, {
    method: "POST",
    body,
    duplex: "half",
  } as RequestInit);
}

/** A request body the test feeds by hand. */
function feeder() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return { body, controller };
}

Deno.test("streaming - each request chunk reaches the script and comes back before the next is sent", async () => {
  const pool = testPool();
  try {
    const s = script("stream-echo", fixture("streams.js"));
    const { body, controller } = feeder();
    const inv = await pool.fetch(s, streamed("/echo", body), opts());
    assert.equal(inv.response.status, 200);
    const reader = inv.response.body!.getReader();
    // If either direction were buffered until the end, the first read would never complete.
    for (const n of [1, 2, 3, 4]) {
      controller.enqueue(enc.encode(`chunk ${n};`));
      let got = "";
      while (!got.includes(`chunk ${n};`)) {
        const { value, done } = await reader.read();
        assert.equal(done, false);
        got += dec.decode(value);
      }
    }
    controller.close();
    assert.equal((await reader.read()).done, true);
    assert.equal((await inv.completed).outcome.kind, "ok");
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - the script sees the upload's chunks as they were sent, not one buffer", async () => {
  const pool = testPool();
  try {
    const s = script("stream-chunks", fixture("streams.js"));
    const { body, controller } = feeder();
    const pending = pool.fetch(s, streamed("/chunks", body), opts());
    for (const size of [100, 200, 300, 400]) {
      controller.enqueue(new Uint8Array(size));
      // Let each chunk travel on its own before the next exists.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    controller.close();
    const inv = await pending;
    assert.deepEqual(await inv.response.json(), { sizes: [100, 200, 300, 400] });
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - server-sent events reach the client before the script has finished", async () => {
  const pool = testPool();
  try {
    const s = script("stream-sse", fixture("streams.js"));
    const inv = await pool.fetch(s, new Request("http://app.test/sse"), opts());
    assert.equal(inv.response.headers.get("content-type"), "text/event-stream");
    let finished = false;
    inv.completed.then(() => finished = true);
    const reader = inv.response.body!.getReader();
    const first = await reader.read();
    assert.equal(dec.decode(first.value), "data: 1\n\n");
    assert.equal(finished, false, "the first event arrived while the script still ran");
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += dec.decode(value);
    }
    assert.equal(rest, "data: 2\n\ndata: 3\n\n");
    const done = await inv.completed;
    assert.equal(done.outcome.kind, "ok");
    assert.equal(done.responseBytes, 27);
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - a slow reader holds the script's stream back (no unbounded buffering)", async () => {
  const pool = testPool();
  try {
    const s = script("stream-slow", fixture("streams.js"), {
      limits: { ...TEST_LIMITS, maxBodyBytes: 1 << 30 },
    });
    const inv = await pool.fetch(s, new Request("http://app.test/endless"), opts());
    const reader = inv.response.body!.getReader();
    await reader.read();
    // The client reads nothing more for a while; the script would produce without end.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const check = await pool.fetch(s, new Request("http://app.test/produced"), opts());
    const { produced } = await check.response.json();
    const chunk = 64 * 1024;
    assert.ok(produced >= 1, `produced ${produced}`);
    assert.ok(
      produced * chunk <= WINDOW_BYTES + 4 * chunk,
      `produced ${produced} chunks of 64 KiB with the window at ${WINDOW_BYTES} bytes`,
    );
    await reader.cancel();
    assert.equal((await inv.completed).outcome.kind, "client_closed");
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - a client that goes away aborts request.signal in the script", async () => {
  const pool = testPool();
  try {
    const s = script("stream-abort", fixture("streams.js"));
    const client = new AbortController();
    const inv = await pool.fetch(s, new Request("http://app.test/hold"), {
      ...opts(),
      signal: () => client.signal,
    });
    const reader = inv.response.body!.getReader();
    assert.equal(dec.decode((await reader.read()).value), "first\n");
    client.abort();
    const done = await inv.completed;
    assert.equal(done.outcome.kind, "client_closed");
    let aborted = 0;
    for (let i = 0; i < 50 && aborted === 0; i++) {
      const check = await pool.fetch(s, new Request("http://app.test/aborted"), opts());
      ({ aborted } = await check.response.json());
      if (aborted === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(aborted, 1);
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - a script that answers without reading its upload stops the upload", async () => {
  const pool = testPool();
  try {
    const s = script("stream-ignore", fixture("streams.js"), {
      limits: { ...TEST_LIMITS, maxBodyBytes: 64 << 20 },
    });
    const { body, controller } = feeder();
    // More than a window's worth, so the upload is waiting for credit when the answer comes.
    for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(64 * 1024));
    const inv = await pool.fetch(s, streamed("/ignore-body", body), opts());
    assert.equal(await inv.response.text(), "answered without reading");
    assert.equal((await inv.completed).outcome.kind, "ok");
    // The platform no longer reads the client's upload.
    assert.throws(() => controller.enqueue(new Uint8Array(1)), TypeError);
    // And the script's Worker is free for the next request.
    const next = await pool.fetch(s, new Request("http://app.test/ignore-body"), opts());
    assert.equal(next.response.status, 200);
    await next.response.body?.cancel();
  } finally {
    await pool.close();
  }
});

Deno.test("streaming - body limits count bytes as they flow, with the limit named", async (t) => {
  const pool = testPool();
  const limits = { ...TEST_LIMITS, maxBodyBytes: 100_000 };
  try {
    const s = script("stream-limits", fixture("streams.js"), { limits });
    await t.step(
      "an upload without a length is stopped at the limit: 413 body_too_large",
      async () => {
        const { body, controller } = feeder();
        const pending = pool.fetch(s, streamed("/read-fails", body), opts());
        for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(30_000));
        const inv = await pending;
        assert.equal(inv.response.status, 413);
        const err = (await inv.response.json()).error;
        assert.equal(err.code, "body_too_large");
        assert.equal(err.details.limit_bytes, 100_000);
        assert.ok(err.details.received_bytes > 100_000);
        // The platform stopped reading the upload: the client's side of it is cancelled.
        assert.throws(() => controller.enqueue(new Uint8Array(1)), TypeError);
      },
    );
    await t.step("a whole response over the limit: 502 response_too_large", async () => {
      const inv = await pool.fetch(s, new Request("http://app.test/big?n=200000"), opts());
      assert.equal(inv.response.status, 502);
      assert.equal((await inv.response.json()).error.code, "response_too_large");
    });
    await t.step("a body ready at once and over the limit: 502 before any byte", async () => {
      const inv = await pool.fetch(s, new Request("http://app.test/bigsync?n=300000"), opts());
      assert.equal(inv.response.status, 502);
      assert.equal((await inv.response.json()).error.code, "response_too_large");
    });
    await t.step("a streamed response over the limit is cut off and logged as such", async () => {
      const inv = await pool.fetch(s, new Request("http://app.test/bigstream?n=300000"), opts());
      assert.equal(inv.response.status, 200);
      await assert.rejects(() => inv.response.arrayBuffer());
      const done = await inv.completed;
      assert.equal(done.outcome.kind, "response_too_large");
    });
    await t.step("within the limit, a streamed response arrives whole", async () => {
      const inv = await pool.fetch(s, new Request("http://app.test/bigstream?n=98304"), opts());
      assert.equal((await inv.response.arrayBuffer()).byteLength, 98_304);
      assert.equal((await inv.completed).outcome.kind, "ok");
    });
  } finally {
    await pool.close();
  }
});
