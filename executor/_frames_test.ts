/** @module Tests of the length-prefixed frame codec over a real Unix socket pair. */

import assert from "node:assert/strict";
import { encodeBatch } from "./_protocol.ts";
import { type Frame, FrameWriter, MAX_FRAME_BODY_BYTES, readFrames } from "./_frames.ts";

async function socketPair(): Promise<{ a: Deno.UnixConn; b: Deno.UnixConn; done: () => void }> {
  const dir = Deno.makeTempDirSync({ prefix: "picloud-frames-" });
  const path = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const [a, b] = await Promise.all([
    Deno.connect({ transport: "unix", path }),
    listener.accept(),
  ]);
  listener.close();
  return {
    a,
    b,
    done: () => {
      for (const c of [a, b]) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("readFrames() - round-trips frames written in one turn, small and large", async () => {
  const { a, b, done } = await socketPair();
  try {
    const writer = new FrameWriter(a);
    const big = new Uint8Array(300_000).fill(7);
    writer.send({ t: "a", n: 1 });
    writer.send({ t: "b" }, new Uint8Array([1, 2, 3]));
    writer.send({ t: "c" }, big);
    writer.send({ t: "d" }, new Uint8Array(70_000).fill(9));
    const frames: Frame[] = [];
    let batches = 0;
    const reading = readFrames(b, (f) => frames.push(f), {}, () => batches++);
    await writer.drained();
    a.close();
    await reading;
    assert.deepEqual(frames.map((f) => f.header.t), ["a", "b", "c", "d"]);
    assert.equal(frames[0].body, null);
    assert.deepEqual([...frames[1].body!], [1, 2, 3]);
    assert.equal(frames[2].body!.byteLength, big.byteLength);
    assert.ok(frames[2].body!.every((x) => x === 7));
    assert.ok(frames[3].body!.every((x) => x === 9));
    assert.ok(batches >= 1);
  } finally {
    done();
  }
});

Deno.test("readFrames() - a body is a copy: later reads do not change it", async () => {
  const { a, b, done } = await socketPair();
  try {
    const writer = new FrameWriter(a);
    for (let i = 0; i < 200; i++) writer.send({ t: "x", i }, new Uint8Array(1000).fill(i));
    const frames: Frame[] = [];
    const reading = readFrames(b, (f) => frames.push(f));
    await writer.drained();
    a.close();
    await reading;
    assert.equal(frames.length, 200);
    frames.forEach((f, i) => assert.ok(f.body!.every((x) => x === (i & 255))));
  } finally {
    done();
  }
});

Deno.test("readFrames() - rejects an absurd length before buffering it", async () => {
  const { a, b, done } = await socketPair();
  try {
    const prefix = new Uint8Array(16);
    new DataView(prefix.buffer).setUint32(0, 0xffff_fff0);
    await a.write(prefix);
    await assert.rejects(() => readFrames(b, () => {}), RangeError);
  } finally {
    done();
  }
});

Deno.test("readFrames() - a stream that ends inside a frame is an error", async () => {
  const { a, b, done } = await socketPair();
  try {
    // A frame announcing a 10-byte body, without the body.
    const frame = encodeBatch([{ header: { t: "x" }, body: new Uint8Array(10) }]);
    await a.write(frame.subarray(0, frame.byteLength - 10));
    a.close();
    await assert.rejects(() => readFrames(b, () => {}), /inside a frame/);
  } finally {
    done();
  }
});

Deno.test("FrameWriter - refuses oversized bodies", async () => {
  const { a, done } = await socketPair();
  try {
    const writer = new FrameWriter(a);
    assert.throws(
      () => writer.send({ t: "x" }, new Uint8Array(MAX_FRAME_BODY_BYTES + 1)),
      RangeError,
    );
  } finally {
    done();
  }
});

Deno.test("FrameWriter - frames queued while a write is under way, over several turns, arrive whole and in order", async () => {
  const { a, b, done } = await socketPair();
  try {
    const writer = new FrameWriter(a);
    const sent: { i: number; size: number }[] = [];
    const frames: Frame[] = [];
    const reading = readFrames(b, (f) => frames.push(f));
    // Sizes around the reused buffer's (64 KiB) and the direct-write bound, headers of all sizes.
    const sizes = [0, 1, 500, 40_000, 65_535, 65_536, 70_000, 3, 200_000, 10];
    for (let i = 0; i < 60; i++) {
      const size = sizes[i % sizes.length];
      const pad = i % 7 === 0 ? "é".repeat(30_000) : "";
      writer.send({ t: "x", i, pad }, size > 0 ? new Uint8Array(size).fill(i) : null);
      sent.push({ i, size });
      // Some frames in the same turn, some after the previous write started.
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    await writer.drained();
    a.close();
    await reading;
    assert.deepEqual(frames.map((f) => f.header.i), sent.map((s) => s.i));
    frames.forEach((f, n) => {
      assert.equal(f.body?.byteLength ?? 0, sent[n].size);
      assert.ok(f.body === null || f.body.every((x) => x === (sent[n].i & 255)));
      if (sent[n].i % 7 === 0) assert.equal(f.header.pad, "é".repeat(30_000));
    });
  } finally {
    done();
  }
});

Deno.test("FrameWriter - a refused header leaves nothing behind: the next frame goes out intact", async () => {
  const { a, b, done } = await socketPair();
  try {
    const writer = new FrameWriter(a);
    writer.send({ t: "before" }, new Uint8Array([1]));
    assert.throws(() => writer.send({ t: "huge", s: "x".repeat(5 * 1024 * 1024) }), RangeError);
    writer.send({ t: "after" }, new Uint8Array([2]));
    const frames: Frame[] = [];
    const reading = readFrames(b, (f) => frames.push(f));
    await writer.drained();
    a.close();
    await reading;
    assert.deepEqual(frames.map((f) => [f.header.t, [...f.body!]]), [["before", [1]], ["after", [
      2,
    ]]]);
  } finally {
    done();
  }
});

Deno.test("encodeBatch() - headers of any text and bodies round-trip through readFrames", async () => {
  // What a Worker's link carries: its replies encoded by encodeBatch, read by the supervisor.
  const { a, b, done } = await socketPair();
  try {
    const msgs = [
      { header: { t: "a", s: "plain" }, body: null },
      { header: { t: "b", s: "é😀\u2028" }, body: new Uint8Array([1, 2, 3]) },
      { header: { t: "c", s: "x".repeat(70_000) }, body: new Uint8Array(100_000).fill(9) },
      { header: { t: "d" }, body: new Uint8Array(0) },
    ];
    const decoded: Frame[] = [];
    const reading = readFrames(b, (f) => decoded.push(f));
    const bytes = encodeBatch(msgs);
    for (let at = 0; at < bytes.byteLength;) at += await a.write(bytes.subarray(at));
    a.closeWrite();
    await reading;
    assert.deepEqual(decoded.map((m) => m.header), msgs.map((m) => m.header));
    assert.deepEqual(decoded.map((m) => m.body?.byteLength ?? 0), [0, 3, 100_000, 0]);
    assert.ok(decoded[2].body!.every((x) => x === 9));
  } finally {
    done();
  }
});
