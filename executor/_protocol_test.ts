/** @module Tests of the frame protocol's encoders. */

import assert from "node:assert/strict";
import { headerPairs } from "./_protocol.ts";

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
