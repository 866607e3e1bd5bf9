/** @module Tests of the frame protocol's encoders. */

import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, headerPairs } from "./_protocol.ts";

Deno.test("headerPairs() - the same pairs as iterating the Headers: sorted, combined, each Set-Cookie apart", () => {
  const headers = new Headers([
    ["X-B", "2"],
    ["set-cookie", "a=1"],
    ["x-a", "1"],
    ["Set-Cookie", "b=2"],
    ["x-b", "3"],
  ]);
  assert.deepEqual(headerPairs(headers), [...headers]);
  assert.deepEqual(headerPairs(headers), [
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["x-a", "1"],
    ["x-b", "2, 3"],
  ]);
  assert.deepEqual(headerPairs(new Headers()), []);
});

Deno.test("encodeBatch() - headers of any text and bodies round-trip through decodeBatch", () => {
  const msgs = [
    { header: { t: "a", s: "plain" }, body: null },
    { header: { t: "b", s: "é😀\u2028" }, body: new Uint8Array([1, 2, 3]) },
    { header: { t: "c", s: "x".repeat(70_000) }, body: new Uint8Array(100_000).fill(9) },
    { header: { t: "d" }, body: new Uint8Array(0) },
  ];
  const decoded = decodeBatch(encodeBatch(msgs));
  assert.deepEqual(decoded.map((m) => m.header), msgs.map((m) => m.header));
  assert.deepEqual(decoded.map((m) => m.body?.byteLength ?? 0), [0, 3, 100_000, 0]);
  assert.ok(decoded[2].body!.every((x) => x === 9));
});
