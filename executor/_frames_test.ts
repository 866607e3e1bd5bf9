/** @module Tests of the length-prefixed frame codec. */

import assert from "node:assert/strict";
import { encodeFrame, FrameWriter, MAX_FRAME_BODY_BYTES, readFrames } from "./_frames.ts";

function pipe(): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  return new TransformStream<Uint8Array, Uint8Array>();
}

Deno.test("readFrames() - round-trips coalesced frames with and without bodies", async () => {
  const { readable, writable } = pipe();
  const writer = new FrameWriter(writable);
  const big = new Uint8Array(100_000).fill(7);
  writer.send({ t: "a", n: 1 });
  writer.send({ t: "b" }, new Uint8Array([1, 2, 3]));
  writer.send({ t: "c" }, big);
  const closing = writer.close();
  const frames = [];
  for await (const f of readFrames(readable)) frames.push(f);
  await closing;
  assert.deepEqual(frames.map((f) => f.header.t), ["a", "b", "c"]);
  assert.equal(frames[0].body, null);
  assert.deepEqual([...frames[1].body!], [1, 2, 3]);
  assert.equal(frames[2].body!.byteLength, big.byteLength);
});

Deno.test("readFrames() - rejects an absurd length before buffering it", async () => {
  const { readable, writable } = pipe();
  const w = writable.getWriter();
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setUint32(0, 0xffff_fff0);
  w.write(prefix);
  await assert.rejects(async () => {
    for await (const _ of readFrames(readable)) { /* none */ }
  }, RangeError);
  await w.abort().catch(() => {});
});

Deno.test("encodeFrame() - refuses oversized bodies", () => {
  assert.throws(
    () => encodeFrame({ t: "x" }, new Uint8Array(MAX_FRAME_BODY_BYTES + 1)),
    RangeError,
  );
});
